"""Titles: movies and series (one algorithm, driven by a :class:`~.kinds.TitleKind`).

The same movie offered by two providers is one movie with two sources: same TMDB id, else the
same normalised title and year. A title whose only source is renamed keeps its id (and its
file); a title first seen without ids takes them from the next source that has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from strmline.db.bulk import allocate_ids, insert_rows
from strmline.matching.names import normalize
from strmline.pipelines.vod.diff import Changes
from strmline.pipelines.vod.items import MovieIn, SeriesIn
from strmline.pipelines.vod.kinds import TitleKind
from strmline.pipelines.vod.write import Writer

__all__ = ["Identity", "title_key", "write_titles"]

TitleIn = MovieIn | SeriesIn


def title_key(title: str, year: int | None) -> str:
    return f"{normalize(title)}|{year or ''}"[:400]


class Identity:
    """Logical titles by TMDB id and by normalised title + year, loaded once per sync."""

    def __init__(self) -> None:
        self.by_tmdb: dict[str, int] = {}
        self.by_key: dict[str, tuple[int, str | None]] = {}
        self.sources: dict[int, int] = {}  # id → active sources (for in-place renames)
        self.ids: dict[int, tuple[str | None, str | None]] = {}  # id → stored (tmdb, imdb)

    def add(self, item_id: int, tmdb: str | None, key: str) -> None:
        if tmdb:
            self.by_tmdb.setdefault(tmdb, item_id)
        self.by_key.setdefault(key, (item_id, tmdb))

    def missing_ids(
        self, item_id: int, key: str, tmdb: str | None, imdb: str | None
    ) -> tuple[str | None, str | None]:
        """The ids a source (matched by ``key``) can add to title ``item_id``: those it lacks."""
        known_tmdb, known_imdb = self.ids.get(item_id, (None, None))
        fill = (
            tmdb if tmdb and not known_tmdb else None,
            imdb if imdb and not known_imdb else None,
        )
        if fill[0] or fill[1]:
            self.ids[item_id] = (known_tmdb or fill[0], known_imdb or fill[1])
        if fill[0]:
            # The title now has this TMDB id: a later same-name entry with another id is another
            # title, as it would have been had the id been known from the start.
            self.by_tmdb.setdefault(fill[0], item_id)
            if self.by_key.get(key, (None, None))[0] == item_id:
                self.by_key[key] = (item_id, fill[0])
        return fill

    def find(self, tmdb: str | None, key: str) -> int | None:
        if tmdb and tmdb in self.by_tmdb:
            return self.by_tmdb[tmdb]
        hit = self.by_key.get(key)
        if hit is not None and (tmdb is None or hit[1] is None or hit[1] == tmdb):
            return hit[0]
        return None


async def load_identity(w: Writer, kind: TitleKind) -> Identity:
    """Every stored title of ``kind`` (removed ones last), with its count of active sources."""
    titles = kind.titles
    owners = select(kind.sources.c[kind.owner].label("owner"), kind.sources.c.removed_at).subquery()
    active = (
        select(owners.c.owner, func.count().label("n"))
        .where(owners.c.removed_at.is_(None))
        .group_by(owners.c.owner)
        .subquery()
    )
    rows = await w.session.execute(
        select(titles.c.id, titles.c.tmdb_id, titles.c.imdb_id, titles.c.match_key, active.c.n)
        .outerjoin(active, active.c.owner == titles.c.id)
        .order_by(titles.c.removed_at.is_not(None), titles.c.id)
    )
    index = Identity()
    for row in rows:
        index.add(row.id, row.tmdb_id, row.match_key)
        index.sources[row.id] = int(row.n or 0)
        if row.tmdb_id or row.imdb_id:
            index.ids[row.id] = (row.tmdb_id, row.imdb_id)
    return index


@dataclass
class _Plan:
    """What one kind's entries do to the titles: new rows, updates, id fills, key → title id."""

    kind: TitleKind
    index: Identity
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Ids a title lacks and this sync's entries carry: a title first seen through a source
    # without ids (an M3U list) takes them from the next one that has them.
    fills: dict[int, dict[str, Any]] = field(default_factory=dict)
    out: dict[str, int] = field(default_factory=dict)

    def fill(self, title_id: int, key: str, tmdb: str | None, imdb: str | None) -> None:
        new_tmdb, new_imdb = self.index.missing_ids(title_id, key, tmdb, imdb)
        if new_tmdb or new_imdb:
            known = self.fills.get(title_id, {"_id": title_id, "_tmdb": None, "_imdb": None})
            self.fills[title_id] = known | {
                "_tmdb": known["_tmdb"] or new_tmdb,
                "_imdb": known["_imdb"] or new_imdb,
            }

    def place(self, item: TitleIn, row: Any, now: datetime) -> None:
        """Find ``item``'s title (by ids, name, or its own stored source) or plan a new one."""
        index, kind = self.index, self.kind
        key = title_key(item.title, item.year)
        title_id = index.find(item.tmdb_id, key)
        if row is not None and title_id is None:
            owner_id = getattr(row, kind.owner)
            if index.sources.get(owner_id, 0) <= 1:
                title_id = owner_id  # renamed: the title moves, its id (and file) stays
        if title_id is None:
            values = item.title_row(key, now)
            values["_key"] = item.key
            self.new_rows.append(values)
            return
        if row is not None:
            update_values = item.title_update(key) | {"_id": title_id}
            if item.tmdb_id and index.sources.get(title_id, 0) <= 1:
                # A title's only source may correct its id (never clear it); a shared
                # title only ever gains missing ids, below.
                update_values["tmdb_id"] = item.tmdb_id
                _, known_imdb = index.ids.get(title_id, (None, None))
                index.ids[title_id] = (item.tmdb_id, known_imdb)
            self.updates[title_id] = update_values
        imdb = getattr(item, "imdb_id", None) if "imdb_id" in kind.ids else None
        self.fill(title_id, key, item.tmdb_id, imdb)
        index.add(title_id, item.tmdb_id, key)
        self.out[item.key] = title_id

    def number(self, ids: list[int]) -> list[dict[str, Any]]:
        """Give the new rows ``ids``; returns the rows to insert (duplicates fold into one)."""
        index = self.index
        kept: dict[int, dict[str, Any]] = {}
        for values, new_id in zip(self.new_rows, ids, strict=True):
            # Two new entries of one sync can be the same title: the first creates it.
            existing_id = index.find(values["tmdb_id"], values["match_key"])
            if existing_id is not None:
                self.out[values.pop("_key")] = existing_id
                first = kept.get(existing_id)
                if first is None:
                    self.fill(
                        existing_id, values["match_key"], values["tmdb_id"], values["imdb_id"]
                    )
                else:
                    # Not inserted yet: the ids go straight into its row.
                    first["tmdb_id"] = first["tmdb_id"] or values["tmdb_id"]
                    first["imdb_id"] = first["imdb_id"] or values["imdb_id"]
                    index.ids[existing_id] = (first["tmdb_id"], first["imdb_id"])
                    index.add(existing_id, first["tmdb_id"], first["match_key"])
                continue
            values["id"] = new_id
            index.add(new_id, values["tmdb_id"], values["match_key"])
            index.ids[new_id] = (values["tmdb_id"], values["imdb_id"])
            self.out[values.pop("_key")] = new_id
            kept[new_id] = values
        return list(kept.values())


async def write_titles(
    w: Writer, kind: TitleKind, changes: Changes[Any], stored: dict[str, Any]
) -> dict[str, int]:
    """Writes one kind's titles and sources; returns provider key → title id of the changed."""
    items: Sequence[TitleIn] = changes.changed
    out: dict[str, int] = {}
    if items:
        plan = _Plan(kind, await load_identity(w, kind))
        for item in items:
            plan.place(item, stored.get(item.key), w.now)
        ids = await allocate_ids(w.session, kind.titles.name, len(plan.new_rows))
        await insert_rows(w.session, kind.titles, plan.number(ids), batch=w.batch)
        out = plan.out
        await _write_sources(w, kind, items, stored, out)
        await w.update(kind.titles, list(plan.updates.values()))
        await w.fill_ids(kind.titles, list(plan.fills.values()))
    if changes.gone:
        gone = [{"_id": r.id, "removed_at": w.now} for r in changes.gone]
        await w.update(kind.sources, gone)
        w.result.count(kind.name, "removed", len(gone))
    return out


async def _write_sources(
    w: Writer,
    kind: TitleKind,
    items: Sequence[TitleIn],
    stored: dict[str, Any],
    title_ids: dict[str, int],
) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item in items:
        values = item.source_values(w.now) | {kind.owner: title_ids[item.key]}
        row = stored.get(item.key)
        if row is None:
            inserts.append(
                values
                | {"provider_id": w.provider_id, "provider_key": item.key, "created_at": w.now}
            )
        else:
            updates.append(values | {"_id": row.id})
    added = await insert_rows(w.session, kind.sources, inserts, batch=w.batch)
    w.result.count(kind.name, "added", added)
    await w.update(kind.sources, updates)
    w.result.count(kind.name, "updated", len(updates))
