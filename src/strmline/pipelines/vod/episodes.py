"""Episodes: a series' episodes are identified by (series, season, episode), not by a title key.

The episodes of every series whose details were fetched are diffed against the stored episodes
and the provider's episode sources, then written in bulk; sources of episodes a refetched
series no longer lists, and of series the provider dropped, are flagged removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from strmline.db.bulk import allocate_ids, insert_rows
from strmline.pipelines.vod.items import EpisodeIn
from strmline.pipelines.vod.kinds import EPISODE, SERIES
from strmline.pipelines.vod.write import Writer

__all__ = ["write_episodes"]

EPISODES = EPISODE.titles
EPISODE_SOURCES = EPISODE.sources
Ident = tuple[int, int, int]  # series id, season, episode


@dataclass
class _Plan:
    """Episode rows by identity (stored rows, or dicts of new ones) and what to write."""

    episodes: dict[Ident, Any]
    sources: dict[str, Any]  # provider key → stored source row
    new: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    entries: list[tuple[EpisodeIn, Ident]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


async def write_episodes(
    w: Writer, fetched: dict[str, list[EpisodeIn]], series_ids: dict[str, int], gone: list[int]
) -> None:
    """Write the fetched episodes of ``series_ids``; flag those of the ``gone`` series removed."""
    if gone:
        await _remove_of_series(w, gone)
    if not fetched:
        return
    targets = {series_ids[k] for k in fetched if k in series_ids}
    plan = await _load(w)
    for series_key, eps in fetched.items():
        series_id = series_ids.get(series_key)
        if series_id is not None:
            _place(plan, series_id, eps, w)
    ids = await allocate_ids(w.session, "vod_episodes", len(plan.new))
    for values, new_id in zip(plan.new, ids, strict=True):
        values["id"] = new_id
    await insert_rows(w.session, EPISODES, plan.new, batch=w.batch)
    await w.update(EPISODES, plan.updates)
    await _write_sources(w, plan, targets)


async def _remove_of_series(w: Writer, series_ids: list[int]) -> None:
    stmt = (
        update(EPISODE_SOURCES)
        .where(
            EPISODE_SOURCES.c.provider_id == w.provider_id,
            EPISODE_SOURCES.c.removed_at.is_(None),
            EPISODE_SOURCES.c.episode_id.in_(
                select(EPISODES.c.id).where(EPISODES.c.series_id.in_(series_ids))
            ),
        )
        .values(removed_at=w.now)
    )
    removed = (await w.session.execute(stmt)).rowcount or 0  # type: ignore[attr-defined]
    w.result.count("episodes", "removed", removed)


async def _load(w: Writer) -> _Plan:
    """Stored episodes of the provider's series, and the provider's episode sources."""
    series_sources = SERIES.sources
    mine = select(series_sources.c.series_id).where(series_sources.c.provider_id == w.provider_id)
    episodes: dict[Ident, Any] = {
        (r.series_id, r.season, r.episode): r
        for r in await w.session.execute(
            select(
                EPISODES.c.id, EPISODES.c.series_id, EPISODES.c.season, EPISODES.c.episode
            ).where(EPISODES.c.series_id.in_(mine))
        )
    }
    sources = {
        r.provider_key: r
        for r in await w.session.execute(
            select(
                EPISODE_SOURCES.c.id,
                EPISODE_SOURCES.c.provider_key,
                EPISODE_SOURCES.c.episode_id,
                EPISODE_SOURCES.c.content_hash,
                EPISODE_SOURCES.c.removed_at,
                EPISODES.c.series_id,
            )
            .join(EPISODES, EPISODES.c.id == EPISODE_SOURCES.c.episode_id)
            .where(EPISODE_SOURCES.c.provider_id == w.provider_id)
        )
    }
    return _Plan(episodes, sources)


def _place(plan: _Plan, series_id: int, eps: list[EpisodeIn], w: Writer) -> None:
    """Find each episode of one series, or plan it new; changed ones get an update."""
    for ep in eps:
        if ep.key in plan.seen:
            continue
        plan.seen.add(ep.key)
        ident = (series_id, ep.season, ep.episode)
        row = plan.episodes.get(ident)
        if row is None:
            values = ep.episode_row(series_id, w.now)
            plan.new.append(values)
            plan.episodes[ident] = values  # later sources of the same episode join it
        elif not isinstance(row, dict):
            # A dict is an episode planned new in this sync: a panel listing one show twice
            # ("EN - Show (2008)", "4K - Show (2008)") gives it a second source, not an update.
            src = plan.sources.get(ep.key)
            if src is None or src.content_hash != ep.hash or src.removed_at is not None:
                plan.updates.append(ep.episode_update() | {"_id": _rid(row)})
        plan.entries.append((ep, ident))


async def _write_sources(w: Writer, plan: _Plan, targets: set[int]) -> None:
    """Sources of the fetched episodes; those a refetched series no longer lists are gone."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for ep, ident in plan.entries:
        episode_id = _rid(plan.episodes[ident])
        src = plan.sources.get(ep.key)
        values = ep.source_values(w.now) | {"episode_id": episode_id}
        if src is None:
            inserts.append(
                values | {"provider_id": w.provider_id, "provider_key": ep.key, "created_at": w.now}
            )
        elif (
            src.content_hash != ep.hash
            or src.removed_at is not None
            or src.episode_id != episode_id
        ):
            updates.append(values | {"_id": src.id})
    gone = [
        {"_id": r.id, "removed_at": w.now}
        for k, r in plan.sources.items()
        if k not in plan.seen and r.removed_at is None and r.series_id in targets
    ]
    w.result.count(
        "episodes", "added", await insert_rows(w.session, EPISODE_SOURCES, inserts, batch=w.batch)
    )
    await w.update(EPISODE_SOURCES, updates + gone)
    w.result.count("episodes", "updated", len(updates))
    w.result.count("episodes", "removed", len(gone))


def _rid(row: Any) -> int:
    return int(row["id"] if isinstance(row, dict) else row.id)
