"""Keyset pages: of a whole table in id order (the cursor is the last id of a page), and of the
channel list with its health (the cursor is the last sort key, :mod:`strmline.services.curation`).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Column, ColumnElement, Row, Table, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import visitors

from strmline.db.models import Channel
from strmline.formats import cursor as cursor_codec
from strmline.services import curation
from strmline.services.channels import health_columns, health_of, number_view

# What a list item shows (as channel_view), and search_name, the "name" sort's cursor value. The
# table's own columns, not the mapped attributes: a statement served from the compiled cache then
# selects the very column objects the cached result map holds, which SQLAlchemy would otherwise
# match up again on every execution.
_CHANNELS = cast(Table, Channel.__table__)
LIST_COLUMNS = tuple(
    _CHANNELS.c[name]
    for name in (
        *("id", "name", "search_name", "category", "country", "region", "variant", "number"),
        *("tvg_id", "logo", "enabled", "stream_count", "active_stream_count", "best_quality"),
    )
)

# A list item's fields (channel_view's, from a row of _PAGE_COLUMNS): zipped with the row's
# values, as reading a row's columns by name costs more than the rest of the item.
_FIELDS = (*(c.key for c in LIST_COLUMNS), "streams", "working", "failed")

# The page is a subquery named "page" and the outer query reads it by name: built once, these
# spare each request SQLAlchemy's column collection of a new subquery (most of the time it takes
# to build the statement).
_PAGE = "page"


def _on_page(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return literal_column(f"{_PAGE}.{column.key}", type_=column.type)


_PAGE_COLUMNS = (
    *(_on_page(c).label(c.key) for c in LIST_COLUMNS),
    *health_columns(_on_page(_CHANNELS.c.id)),
)


def _on_page_instead(element: Any, **_kw: Any) -> ColumnElement[Any] | None:
    # The replacement_traverse callback: None keeps an element (and looks inside it).
    if isinstance(element, Column) and element.table is _CHANNELS:
        return _on_page(element)
    return None


def _outer(clause: ColumnElement[Any]) -> ColumnElement[Any]:
    """An ORDER BY clause of the page query, over the page's columns instead of the table's."""
    options: dict[str, Any] = {}
    return cast(
        ColumnElement[Any], visitors.replacement_traverse(clause, options, _on_page_instead)
    )


def _item(row: Row[Any]) -> dict[str, Any]:
    item = dict(zip(_FIELDS, row, strict=True))
    del item["search_name"]
    item["number"] = number_view(item["number"])
    item.update(health_of(item.pop("streams"), item.pop("working"), item.pop("failed")))
    return item


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


async def channel_page(
    *, session: AsyncSession, params: curation.ListParams
) -> curation.ChannelPage:
    """A page of the channel list with each channel's health: one statement, whatever the
    filters and the catalogue size.

    The page query is :func:`strmline.services.curation.list_query` (filters, sort, cursor) cut
    to the columns a list item shows; the health counts are read around it, for the page's rows
    only, and the rows come back as plain tuples: no ORM objects for a read-only list. One
    statement matters on SQLite, where each one is several hand-offs to the driver's thread.
    """
    query = curation.list_query(params)
    page = query.with_only_columns(*LIST_COLUMNS).subquery(_PAGE)
    # A subquery's order is not kept: the outer query sorts its few rows again, the same way.
    order = [_outer(clause) for clause in query._order_by_clauses]
    statement = select(*_PAGE_COLUMNS).select_from(page).order_by(*order)
    conn = await session.connection()
    rows = list(await conn.execute(statement))
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = None
    if more:
        last = rows[-1]
        value = getattr(last, curation.SORT_COLUMNS[params.sort].key)
        cursor = curation.encode_cursor(params, value, last.id)
    items = [_item(row) for row in rows]
    return curation.ChannelPage(items=items, next_cursor=cursor)
