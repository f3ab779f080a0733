"""Edits of many channels at once, as the channel list's multi-select makes them.

A selection is either explicit ids or the channel list's filters ("every channel matching this
search"). Ids go into a temporary table and every statement joins it (``db/recompute.fill_scope``),
a filter becomes the list's own WHERE clause: either way the number of statements does not grow
with the number of channels. Nothing here commits; the request does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, bindparam, column, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.locks import lock_catalog
from strmline.db.models import Channel
from strmline.db.recompute import clear_scope, fill_scope
from strmline.errors import FormatError
from strmline.services import numbering
from strmline.services.curation import ListParams, filter_clauses

__all__ = [
    "BULK_EDITABLE",
    "Selection",
    "matching_ids",
    "merge_categories",
    "renumber",
    "update_channels",
]

CHANNELS = cast(Table, Channel.__table__)
SCOPE = "strmline_selection"
BULK_EDITABLE = frozenset({"enabled", "category"})
RenumberOrder = Literal["name", "category", "number"]
MAX_NUMBER = 999_999  # the highest number a channel edit accepts


@dataclass(frozen=True, slots=True)
class Selection:
    """Explicit channel ids, or the list filters that select them (exactly one)."""

    ids: Sequence[int] | None = None
    params: ListParams | None = None


async def _where(session: AsyncSession, selection: Selection) -> list[ColumnElement[bool]]:
    if selection.ids is not None:
        await fill_scope(session, SCOPE, selection.ids)
        return [Channel.id.in_(select(column("id")).select_from(table(SCOPE)))]
    if selection.params is None:
        raise FormatError("a selection needs channel ids or a filter")
    return filter_clauses(selection.params)


async def _done(session: AsyncSession, selection: Selection) -> None:
    if selection.ids is not None:
        await clear_scope(session, SCOPE)


async def update_channels(
    *, session: AsyncSession, selection: Selection, changes: Mapping[str, Any]
) -> int:
    """Set ``enabled`` and/or ``category`` on every selected channel; returns how many.

    Like a single edit, the channels become a person's (``manual``): a re-sync keeps them.
    """
    unknown = set(changes) - BULK_EDITABLE
    if unknown or not changes:
        raise FormatError(f"bulk edits change only: {', '.join(sorted(BULK_EDITABLE))}")
    where = await _where(session, selection)
    result = await session.execute(
        update(Channel)
        .where(*where)
        .values(**changes, manual=True, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await _done(session, selection)
    return int(getattr(result, "rowcount", 0) or 0)


async def matching_ids(*, session: AsyncSession, params: ListParams, limit: int) -> list[int]:
    """Ids of the channels the filters select, in the list's name order (at most ``limit``)."""
    rows = await session.scalars(
        select(Channel.id)
        .where(*filter_clauses(params))
        .order_by(Channel.search_name, Channel.id)
        .limit(limit)
    )
    return list(rows)


async def merge_categories(*, session: AsyncSession, names: Sequence[str], into: str) -> int:
    """Rename categories: every channel in one of ``names`` gets ``into`` (a rename is one name,
    merging spellings such as "US | News" and "US: News" is several). Returns how many channels.

    The sync keeps a channel's category once set (recompute only fills an empty one), so the
    new name stays after later syncs.
    """
    wanted = sorted({n for n in names if n != into})
    if not into.strip():
        raise FormatError("the new category name cannot be blank")
    if not wanted:
        return 0
    result = await session.execute(
        update(Channel)
        .where(Channel.category.in_(wanted))
        .values(category=into.strip(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Renumbered:
    changed: int
    first: float | None
    last: float | None
    kept: int  # channels that kept their provider number


def _sort(order: RenumberOrder) -> list[Any]:
    name = [Channel.search_name, Channel.id]
    if order == "category":
        return [Channel.category.is_(None), Channel.category, *name]
    if order == "number":
        return [Channel.number.is_(None), Channel.number, *name]
    return name


async def renumber(
    *,
    session: AsyncSession,
    selection: Selection,
    start: int,
    order: RenumberOrder = "name",
    keep_provider: bool = False,
) -> Renumbered:
    """Number the selected channels from ``start`` in ``order``; numbers held by channels not
    being renumbered are skipped, so numbers stay unique. ``keep_provider`` leaves channels
    numbered from the provider's ``tvg-chno`` as they are. The new numbers are the person's
    (``manual``): no later tvg-chno moves them. Four statements whatever the selection."""
    # Under the sync's lock: a sync handing out numbers must not take the same ones meanwhile.
    await lock_catalog(session)
    where = await _where(session, selection)
    rows = (
        await session.execute(
            select(Channel.id, Channel.number_source).where(*where).order_by(*_sort(order))
        )
    ).all()
    await _done(session, selection)
    moving = [cid for cid, source in rows if not (keep_provider and source == numbering.CHNO)]
    moving_set = set(moving)
    held = await session.execute(
        select(Channel.id, Channel.number).where(
            Channel.number.is_not(None), Channel.number >= start
        )
    )
    taken = {float(n) for cid, n in held if n is not None and cid not in moving_set}
    numbers: dict[int, float] = {}
    n = start
    for cid in moving:
        while float(n) in taken:
            n += 1
        numbers[cid] = float(n)
        n += 1
    if n - 1 > MAX_NUMBER:
        raise FormatError(
            f"numbering {len(moving):,} channels from {start:,} would pass {MAX_NUMBER:,}; "
            "start lower"
        )
    if numbers:
        now = utcnow()
        await session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.id == bindparam("_id"))
            .values(
                number=bindparam("_number"),
                number_source=numbering.MANUAL,
                manual=True,
                updated_at=now,
            ),
            [{"_id": cid, "_number": num} for cid, num in numbers.items()],
        )
    values = list(numbers.values())
    return Renumbered(
        changed=len(numbers),
        first=values[0] if values else None,
        last=values[-1] if values else None,
        kept=len(rows) - len(moving),
    )
