"""A user's favourite channels: add and remove (both idempotent), and a keyset page of them."""

from __future__ import annotations

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, Favorite
from strmline.errors import NotFound


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
    *, session: AsyncSession, user_id: int, limit: int, after: tuple[str, int] | None
) -> list[Channel]:
    """Up to ``limit`` favourite channels by name after the keyset ``(name, id)``."""
    query = (
        select(Channel)
        .join(Favorite, Favorite.channel_id == Channel.id)
        .where(Favorite.user_id == user_id)
        .order_by(Channel.name, Channel.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Channel.name, Channel.id) > tuple_(*after))
    return list((await session.scalars(query)).all())
