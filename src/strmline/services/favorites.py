"""A user's favourite channels: add and remove (both idempotent), and a keyset page of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, Favorite
from strmline.errors import NotFound
from strmline.formats import cursor as cursor_codec
from strmline.services import channels as channel_service


async def add(*, session: AsyncSession, user_id: int, channel_id: int) -> None:
    if await session.get(Channel, channel_id) is None:
        raise NotFound(f"no channel with id {channel_id}")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # ON CONFLICT rather than check-then-insert: a double click must not become a 409.
    await session.execute(
        insert(Favorite)
        .values(user_id=user_id, channel_id=channel_id)
        .on_conflict_do_nothing(index_elements=[Favorite.user_id, Favorite.channel_id])
    )


async def remove(*, session: AsyncSession, user_id: int, channel_id: int) -> None:
    await session.execute(
        delete(Favorite).where(Favorite.user_id == user_id, Favorite.channel_id == channel_id)
    )


async def list_page(
    *, session: AsyncSession, user_id: int, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the user's favourite channels by name (keyset ``(name, id)``), each a
    channel view with its health and ``favorite: True``, and the next page's cursor.

    Two statements: the page, and the health counts of its channels.
    """
    after = cursor_codec.decode(cursor, str, int)
    query = (
        select(Channel)
        .join(Favorite, Favorite.channel_id == Channel.id)
        .where(Favorite.user_id == user_id)
        .order_by(Channel.name, Channel.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(Channel.name, Channel.id) > tuple_(*after))
    channels, more = cursor_codec.split_page(list((await session.scalars(query)).all()), limit)
    items = [channel_service.channel_view(c) | {"favorite": True} for c in channels]
    next_cursor = cursor_codec.encode(channels[-1].name, channels[-1].id) if more else None
    return await channel_service.with_health(session, items), next_cursor
