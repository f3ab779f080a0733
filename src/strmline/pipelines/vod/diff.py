"""Diff: the fetched movies and series against the provider's stored sources.

The guards first (an empty or much shorter list changes nothing), then, per title kind, the
entries whose provider key is new, whose content hash moved or which come back after removal,
and the stored sources the provider no longer lists. Series details are fetched only for series
that are new or whose ``last_modified`` moved: the expensive part of a VOD sync on a big panel.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import SyncSettings
from strmline.pipelines.vod.items import MovieIn, SeriesIn
from strmline.pipelines.vod.kinds import MOVIE, SERIES, TitleKind

__all__ = ["Changes", "active_count", "changes", "load_stored", "refusal", "stale_series"]

Item = TypeVar("Item", MovieIn, SeriesIn)


@dataclass(slots=True)
class Changes(Generic[Item]):
    """One title kind's part of a sync: entries to write, stored sources gone from the list."""

    changed: list[Item] = field(default_factory=list)
    gone: list[Any] = field(default_factory=list)  # stored source rows

    def __bool__(self) -> bool:
        return bool(self.changed or self.gone)


async def active_count(session: AsyncSession, provider_id: int) -> int:
    """The provider's movies and series not removed, as of the last sync."""
    counts = [
        select(func.count())
        .where(kind.sources.c.provider_id == provider_id, kind.sources.c.removed_at.is_(None))
        .scalar_subquery()
        for kind in (MOVIE, SERIES)
    ]
    row = (await session.execute(select(*counts))).one()
    return sum(int(n) for n in row)


def refusal(
    count: int, last: int, sync: SyncSettings, force: bool, *, duplicates: int = 0
) -> tuple[str, str] | None:
    """(status, message) when ``count`` fetched titles must not replace ``last`` stored ones:
    empty, much shorter, absurdly longer, or mostly the same key again (``force`` accepts all
    but the empty list)."""
    if count == 0 and last == 0:
        return "unchanged", "no movies or series"
    if count == 0:
        return "refused", "the provider returned no movies or series; keeping the previous ones"
    if force:
        return None
    keep = "keeping the previous ones (use --force to accept)"
    if last and count < last * sync.shrink_guard:
        return "refused", (
            f"the provider returned {count:,} movies and series, fewer than "
            f"{sync.shrink_guard:.0%} of the {last:,} stored; {keep}"
        )
    if last and count > max(last * sync.growth_guard, last + sync.growth_min_entries):
        return "refused", (
            f"the provider returned {count:,} movies and series, more than "
            f"{sync.growth_guard:g}x the {last:,} stored; {keep}"
        )
    if duplicates >= 100 and duplicates >= count * sync.duplicate_guard:
        return "refused", (
            f"{duplicates:,} of the {count:,} movies and series repeat an earlier provider key: "
            f"a broken or hostile list; {keep}"
        )
    return None


async def load_stored(session: AsyncSession, kind: TitleKind, provider_id: int) -> dict[str, Any]:
    """The provider's sources of one kind by provider key, removed ones included."""
    sources = kind.sources
    columns = [sources.c[name] for name in kind.diff_columns]
    rows = await session.execute(
        select(
            sources.c.id,
            sources.c.provider_key,
            sources.c[kind.owner],
            sources.c.content_hash,
            *columns,
            sources.c.removed_at,
        ).where(sources.c.provider_id == provider_id)
    )
    return {r.provider_key: r for r in rows}


def stale_series(series: Sequence[SeriesIn], stored: dict[str, Any], force: bool) -> list[str]:
    """Keys of the series whose details (episodes) must be fetched."""
    return [
        s.key
        for s in series
        if force
        or (row := stored.get(s.key)) is None
        or row.last_modified != s.last_modified
        or row.removed_at is not None
    ]


def changes(
    items: Sequence[Item], stored: dict[str, Any], refetched: Collection[str] = ()
) -> Changes[Item]:
    """Entries new, changed or back since removal (or in ``refetched``), and sources gone."""
    changed = [
        item
        for item in items
        if (row := stored.get(item.key)) is None
        or row.content_hash != item.hash
        or row.removed_at is not None
        or item.key in refetched
    ]
    seen = {item.key for item in items}
    gone = [r for k, r in stored.items() if k not in seen and r.removed_at is None]
    return Changes(changed, gone)
