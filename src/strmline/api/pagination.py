"""Keyset pagination shared by every list endpoint: ``limit`` + opaque ``cursor`` → a ``Page``.

Only the HTTP side lives here. Services build and read cursors with the one codec,
:mod:`strmline.formats.cursor`, whose ``InvalidCursor`` the API answers with a 422.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (max {MAX_LIMIT})")]
CursorQuery = Annotated[
    str | None, Query(description="next_cursor of the previous page; omit for the first page")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
