"""Bulk writes: COPY on PostgreSQL, executemany elsewhere; batches bound the memory either way.

Also ids for new rows in one statement (so inserts need no RETURNING), executemany updates grouped
by row shape, and a pause of the cyclic garbage collector for steps that allocate millions of
objects and no cycles.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Table, bindparam, insert, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_MISSING = object()
_IMMUTABLE = frozenset({type(None), bool, int, float, str, datetime, date})


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
    dialect = session.get_bind().dialect
    copy = dialect.name == "postgresql"
    plain: _PlainInsert | None = None
    for chunk in batched(rows, batch):
        if copy:
            await _copy(session, table, chunk)
        else:
            if plain is None:
                plain = _PlainInsert.build(table, list(chunk[0]), dialect)
            if plain is None:
                await session.execute(insert(table), chunk)
            else:
                conn = await session.connection()
                await conn.exec_driver_sql(plain.sql, plain.params(chunk))
        count += len(chunk)
    return count


async def insert_records(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    records: Iterable[tuple[Any, ...]],
    *,
    batch: int,
) -> int:
    """Like insert_rows, for rows given as tuples in ``columns`` order; returns how many.

    For the big inserts of a sync: a tuple per row instead of a dict saves building and then
    taking apart 100k dicts, and COPY takes the tuples as they are.
    """
    dialect = session.get_bind().dialect
    names = list(columns)
    if dialect.name == "postgresql":
        json_at = [i for i, c in enumerate(names) if isinstance(table.c[c].type, JSON)]
        chunks: Iterable[list[tuple[Any, ...]]] = _batched_records(records, batch)
        count = 0
        for chunk in chunks:
            await _copy_records(session, table, names, _json_as_text(chunk, json_at))
            count += len(chunk)
        return count
    plain = _PlainInsert.build(table, names, dialect)
    if plain is None:
        return await insert_rows(
            session, table, (dict(zip(names, r, strict=True)) for r in records), batch=batch
        )
    count = 0
    for chunk in _batched_records(records, batch):
        conn = await session.connection()
        await conn.exec_driver_sql(plain.sql, plain.records(chunk))
        count += len(chunk)
    return count


def _batched_records(
    records: Iterable[tuple[Any, ...]], size: int
) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _json_as_text(records: list[tuple[Any, ...]], json_at: list[int]) -> list[tuple[Any, ...]]:
    # COPY bypasses SQLAlchemy's type processing: JSON goes over as text, which asyncpg accepts.
    if not json_at:
        return records
    out: list[tuple[Any, ...]] = []
    for record in records:
        values = list(record)
        for i in json_at:
            if values[i] is not None:
                values[i] = orjson.dumps(values[i]).decode()
        out.append(tuple(values))
    return out


class _PlainInsert:
    """An executemany that stores exactly what ``session.execute(insert(table), rows)`` would.

    SQLAlchemy's per-row bind processing (the UTCDateTime decorator, JSON, booleans on every
    value of every row) costs more than SQLite's own work for a 100k-row insert. This applies
    the same bind processors, built once per column, and remembers the last value each one
    turned out: the per-sync timestamps and the many ``None`` JSON values are the same object
    row after row, so each is processed once. Python-side scalar column defaults fill the
    columns the rows leave out, as SQLAlchemy would.
    """

    __slots__ = ("columns", "constants", "processors", "sql")

    def __init__(
        self,
        sql: str,
        columns: list[str],
        processors: Sequence[Callable[[Any], Any] | None],
        constants: list[Any],
    ) -> None:
        self.sql = sql
        self.columns = columns
        self.processors = processors
        self.constants = constants

    @classmethod
    def build(cls, table: Table, columns: list[str], dialect: Dialect) -> _PlainInsert | None:
        if dialect.paramstyle != "qmark":
            return None
        given = set(columns)
        constants: list[Any] = []
        defaulted: list[str] = []
        for col in table.columns:
            if col.key in given or col.default is None:
                continue
            if not col.default.is_scalar:
                return None  # a callable or SQL default: leave it to SQLAlchemy
            defaulted.append(col.key)
            constants.append(col.default.arg)  # type: ignore[attr-defined]
        names = [*columns, *defaulted]
        processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        quote = dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(table.c[n].name) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        return cls(sql, columns, processors, constants)

    def params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        columns = self.columns
        n = len(columns)
        constants = tuple(
            value if proc is None else proc(value)
            for proc, value in zip(self.processors[n:], self.constants, strict=True)
        )
        processed = [
            (i, conv)
            for i, proc in enumerate(self.processors[:n])
            if (conv := _memo(proc)) is not None
        ]
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = [row[c] for c in columns]
            for i, conv in processed:
                values[i] = conv(values[i])
            out.append((*values, *constants))
        return out

    def records(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The parameters for tuples already in ``columns`` order."""
        n = len(self.columns)
        constants = tuple(
            value if proc is None else proc(value)
            for proc, value in zip(self.processors[n:], self.constants, strict=True)
        )
        processed = [
            (i, conv)
            for i, proc in enumerate(self.processors[:n])
            if (conv := _memo(proc)) is not None
        ]
        if not processed and not constants:
            return list(rows)
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for i, conv in processed:
                values[i] = conv(values[i])
            out.append((*values, *constants))
        return out


def _memo(proc: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """The processor, remembering its last input (by identity) and output.

    Only immutable inputs are remembered: a dict could change between two rows.
    """
    if proc is None:
        return None
    last: list[Any] = [_MISSING, None]

    def process(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        out = proc(value)
        if type(value) in _IMMUTABLE:
            last[0], last[1] = value, out
        return out

    return process


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
    await _copy_records(session, table, columns, records)


async def _copy_records(
    session: AsyncSession, table: Table, columns: list[str], records: list[tuple[Any, ...]]
) -> None:
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


async def allocate_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows in one statement, so bulk inserts need no RETURNING.

    PostgreSQL hands out sequence values (safe against any concurrent insert); on SQLite the
    caller holds the single writer lock, so max(id) cannot move under it.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return [int(r[0]) for r in rows]
    start = int(await session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
    return list(range(start + 1, start + count + 1))


async def update_by_id(
    session: AsyncSession, table: Table, rows: Iterable[dict[str, Any]], *, batch: int
) -> None:
    """UPDATE rows by their ``_id`` key, in executemany batches.

    executemany needs one shape per statement, so rows are grouped by the columns they set.
    """
    by_shape: dict[frozenset[str], list[dict[str, Any]]] = {}
    for values in rows:
        by_shape.setdefault(frozenset(values), []).append(values)
    for shape_rows in by_shape.values():
        stmt = update(table).where(table.c.id == bindparam("_id"))
        for chunk in batched(shape_rows, batch):
            await session.execute(stmt, chunk)


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bounded, allocation-heavy step.

    Matching and writing 100k entries allocates millions of small objects and no cycles; every
    few thousand allocations the collector would rescan the whole heap (the fetched list
    included) and reclaim nothing, which costs more than a second per sync. Reference counting
    still frees everything as usual; only cycles made meanwhile wait until the step ends.
    Nested use keeps the outer state.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
