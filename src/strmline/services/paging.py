"""Keyset pages of a whole table in id order (the cursor is the last id of a page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.formats import cursor as cursor_codec


async def list_by_id(
    *, session: AsyncSession, model: Any, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Up to ``limit`` ``model`` rows after the cursor's id, and the next page's cursor."""
    after = cursor_codec.decode(cursor, int)
    query = select(model).order_by(model.id).limit(limit + 1)
    if after is not None:
        query = query.where(model.id > after[0])
    rows, more = cursor_codec.split_page(list((await session.scalars(query)).all()), limit)
    return rows, cursor_codec.encode(rows[-1].id) if more else None
