"""Bulk inserts: COPY on PostgreSQL, executemany elsewhere; batches bound the memory either way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy import JSON, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


def batched(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def insert_rows(
    session: AsyncSession, table: Table, rows: Iterable[dict[str, Any]], *, batch: int
) -> int:
    """Insert dict rows (all with the same keys) in batches; returns how many."""
    count = 0
    copy = session.get_bind().dialect.name == "postgresql"
    for chunk in batched(rows, batch):
        if copy:
            await _copy(session, table, chunk)
        else:
            await session.execute(insert(table), chunk)
        count += len(chunk)
    return count


async def _copy(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    # COPY bypasses SQLAlchemy's type processing: JSON goes over as text, which asyncpg accepts.
    json_cols = {c for c in columns if isinstance(table.c[c].type, JSON)}
    records = [
        tuple(
            (orjson.dumps(row[c]).decode() if row[c] is not None else None)
            if c in json_cols
            else row[c]
            for c in columns
        )
        for row in rows
    ]
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
