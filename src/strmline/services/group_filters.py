"""Group filters per provider: the categories its live list held at the last sync (with entry
counts), which of them the sync takes, regular expressions on category and entry names, and
whether categories first seen at a sync are taken.

The sync records the categories (:func:`record_groups`) and applies the filter
(:func:`load_filter`, :mod:`strmline.pipelines.sync.filter`); the API reads and changes it here.
A change that would take none of the entries the last sync saw is refused, like a sync that
would empty the provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import insert_rows
from strmline.db.models import Provider, ProviderGroup
from strmline.errors import ConfigError, NotFound
from strmline.matching.selection import GroupFilter

__all__ = ["GroupRow", "GroupsView", "get_groups", "load_filter", "record_groups", "update_groups"]

GROUPS = cast(Table, ProviderGroup.__table__)
PATTERN_FIELDS = ("group_include", "group_exclude", "name_include", "name_exclude")
BATCH = 5000


@dataclass(frozen=True, slots=True)
class GroupRow:
    name: str
    entries: int  # at the last sync that saw it (0: gone from the list)
    taken: bool  # the choice for this category
    effective: bool  # taken once the patterns are applied too
    seen_at: datetime | None  # first seen


@dataclass(frozen=True, slots=True)
class GroupsView:
    provider_id: int
    take_new_groups: bool
    group_include: str | None
    group_exclude: str | None
    name_include: str | None
    name_exclude: str | None
    groups: list[GroupRow]
    entries: int  # every entry the last sync saw
    taken_entries: int  # of those, in categories taken (before name patterns)


def _filter_of(provider: Provider, choices: dict[str, bool]) -> GroupFilter:
    return GroupFilter.build(
        choices,
        take_new=provider.take_new_groups,
        group_include=provider.group_include,
        group_exclude=provider.group_exclude,
        name_include=provider.name_include,
        name_exclude=provider.name_exclude,
    )


async def _choices(session: AsyncSession, provider_id: int) -> dict[str, bool]:
    rows = await session.execute(
        select(ProviderGroup.name, ProviderGroup.taken).where(
            ProviderGroup.provider_id == provider_id
        )
    )
    return {name: bool(taken) for name, taken in rows}


async def load_filter(session: AsyncSession, provider: Provider) -> GroupFilter:
    """The provider's filter as the sync applies it: one statement."""
    return _filter_of(provider, await _choices(session, provider.id))


async def record_groups(
    session: AsyncSession,
    provider_id: int,
    counts: Mapping[str, int],
    take_new: bool,
    now: datetime,
) -> None:
    """Store what a fetch held: new categories added (taken or not by ``take_new``), changed
    counts updated, those missing from the list set to 0. An unchanged list writes nothing;
    four statements at most."""
    known = {
        name: entries
        for name, entries in await session.execute(
            select(ProviderGroup.name, ProviderGroup.entries).where(
                ProviderGroup.provider_id == provider_id
            )
        )
    }
    new = [
        {"provider_id": provider_id, "name": name, "entries": n, "taken": take_new, "seen_at": now}
        for name, n in counts.items()
        if name not in known
    ]
    if new:
        await insert_rows(session, GROUPS, new, batch=BATCH)
    changed = [
        {"g": name, "n": n} for name, n in counts.items() if name in known and known[name] != n
    ]
    changed += [{"g": name, "n": 0} for name, n in known.items() if n and name not in counts]
    stmt = (
        update(GROUPS)
        .where(GROUPS.c.provider_id == provider_id, GROUPS.c.name == bindparam("g"))
        .values(entries=bindparam("n"))
    )
    for first in range(0, len(changed), BATCH):
        await session.execute(stmt, changed[first : first + BATCH])


async def _provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"no provider with id {provider_id}")
    return provider


async def get_groups(session: AsyncSession, provider_id: int) -> GroupsView:
    """The provider's filter and categories (most entries first): two statements."""
    provider = await _provider(session, provider_id)
    rows = (
        await session.execute(
            select(
                ProviderGroup.name,
                ProviderGroup.entries,
                ProviderGroup.taken,
                ProviderGroup.seen_at,
            )
            .where(ProviderGroup.provider_id == provider_id)
            .order_by(ProviderGroup.entries.desc(), ProviderGroup.name)
        )
    ).all()
    flt = _filter_of(provider, {r[0]: bool(r[2]) for r in rows})
    groups = [GroupRow(n, int(e), bool(t), flt.takes_group(n), s) for n, e, t, s in rows]
    return GroupsView(
        provider_id=provider.id,
        take_new_groups=provider.take_new_groups,
        group_include=provider.group_include,
        group_exclude=provider.group_exclude,
        name_include=provider.name_include,
        name_exclude=provider.name_exclude,
        groups=groups,
        entries=sum(g.entries for g in groups),
        taken_entries=sum(g.entries for g in groups if g.effective),
    )


async def update_groups(
    session: AsyncSession, provider_id: int, changes: dict[str, Any]
) -> GroupsView:
    """Apply a new filter: ``groups`` ({name: taken}) for known categories, the patterns and
    ``take_new_groups`` as sent. Refused when it would take none of the entries the last sync
    saw. The next sync applies it (its shrink guard measures against what the filter keeps)."""
    provider = await _provider(session, provider_id)
    choices = await _choices(session, provider_id)
    wanted: dict[str, bool] = dict(changes.get("groups") or {})
    unknown = sorted(set(wanted) - set(choices))
    if unknown:
        raise NotFound(
            f"provider {provider.name!r} has no category {unknown[0]!r} (categories are listed "
            "after a sync)"
        )
    for name in PATTERN_FIELDS:
        if name in changes:
            setattr(provider, name, (changes[name] or "").strip() or None)
    if changes.get("take_new_groups") is not None:
        provider.take_new_groups = bool(changes["take_new_groups"])
    choices.update(wanted)
    flt = _filter_of(provider, choices)  # compiles the patterns: a bad one is a ConfigError
    counts = {
        r[0]: r[1]
        for r in await session.execute(
            select(ProviderGroup.name, ProviderGroup.entries).where(
                ProviderGroup.provider_id == provider_id
            )
        )
    }
    total = sum(counts.values())
    kept = sum(n for name, n in counts.items() if flt.takes_group(name))
    if total and not kept:
        raise ConfigError(
            f"provider {provider.name!r}: this filter takes none of the {total:,} entries the last "
            "sync saw; keeping the previous filter",
            details={"field": "groups"},
        )
    changed = [{"g": name, "t": taken} for name, taken in wanted.items()]
    if changed:
        await session.execute(
            update(GROUPS)
            .where(GROUPS.c.provider_id == provider_id, GROUPS.c.name == bindparam("g"))
            .values(taken=bindparam("t")),
            changed,
        )
    if total and provider.last_good_entries:
        # The shrink guard compares the next sync with the last good one: measure it against
        # what this filter keeps, or narrowing the filter would look like a provider outage.
        # Name patterns cannot be counted before a sync, so with them the guard waits a sync.
        provider.last_good_entries = 0 if flt.filters_names else kept
    await session.flush()
    return await get_groups(session, provider_id)
