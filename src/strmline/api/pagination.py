"""Keyset pagination shared by every list endpoint: ``limit`` + opaque ``cursor`` → a ``Page``.

A cursor is the sort key of the last row of a page, JSON-encoded and base64url'd: opaque to
clients, so the sort can change without breaking their URLs in a way they could depend on.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (max {MAX_LIMIT})")]
CursorQuery = Annotated[
    str | None, Query(description="next_cursor of the previous page; omit for the first page")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """The sort key in ``cursor`` checked against ``types``; 422 for anything a client invented."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise _invalid() from exc
    if not isinstance(values, list) or len(values) != len(types):
        raise _invalid()
    out: list[Any] = []
    for value, kind in zip(values, types, strict=True):
        # bool is an int subclass in Python; a cursor never holds one where a number belongs.
        if value is None or (isinstance(value, bool) and kind is not bool):
            raise _invalid()
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, kind):
            raise _invalid()
        # Sort keys are 32-bit integers in the database; anything larger was never issued here.
        if isinstance(value, int) and not -(2**31) <= value < 2**31:
            raise _invalid()
        out.append(value)
    return tuple(out)


def split_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Rows fetched with ``LIMIT limit + 1``: the page, and whether another one follows."""
    return rows[:limit], len(rows) > limit


async def page_by_id(
    session: AsyncSession, model: Any, read: type[R], limit: int, cursor: str | None
) -> Page[R]:
    """One page of every ``model`` row in id order, each shown as ``read``; the cursor is the id."""
    after = decode_cursor(cursor, int)
    query = select(model).order_by(model.id).limit(limit + 1)
    if after is not None:
        query = query.where(model.id > after[0])
    rows, more = split_page(list((await session.scalars(query)).all()), limit)
    page: type[Page[R]] = Page[read]  # type: ignore[valid-type]
    return page(
        items=[read.model_validate(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


def _invalid() -> ApiError:
    return ApiError(422, "invalid_cursor", "the cursor is not valid; start again without it")
