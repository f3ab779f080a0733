"""Channel ↔ guide channel matching, set-based.

Evidence, strongest first: the channel's tvg-id equals a guide channel id (100); the channel's
normalised name equals a guide display name or the name part of a guide id (``CNN.us`` → "cnn")
(95); fuzzy similarity of those names above the threshold (the score). A guide channel that
has programmes wins over one that has none, whatever the evidence; then sources of higher
priority win ties. A manual assignment (``epg_manual``) is never touched here.

Loads the guide channels once, decides in memory, writes only the channels whose link changed
in one executemany: the statement count does not depend on the number of channels.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from rapidfuzz import fuzz, process
from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, EpgChannel, EpgProgramme, EpgSource
from strmline.errors import NotFound
from strmline.matching.names import normalize, parse_name

_DIGITS = re.compile(r"\d+")
_BLOCK = 2  # fuzzy candidates share the first characters of the key, as the merge matcher does


@dataclass
class MatchStats:
    channels: int = 0
    matched: int = 0
    changed: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suggestion:
    epg_channel_id: int
    xmltv_id: str
    name: str
    score: int


def _numbers(key: str) -> list[str]:
    return _DIGITS.findall(key)


def name_key(name: str) -> str:
    return normalize(parse_name(name).display)


def _id_key(xmltv_id: str) -> str:
    base, dot, suffix = xmltv_id.rpartition(".")
    # "CNN.us" / "BBCOne.uk": the part before a short country suffix names the channel.
    return name_key(base if dot and 1 < len(suffix) <= 3 and base else xmltv_id)


class GuideIndex:
    """Guide channels of enabled sources by id, by exact key and in fuzzy blocks.

    Rows come with ``has_programmes``; those with programmes are indexed first, so among equal
    evidence a guide channel that has something to show wins over one of a higher-priority
    source that has nothing.
    """

    def __init__(self, rows: list[Any]) -> None:
        self.by_id: dict[str, int] = {}
        self.by_key: dict[str, int] = {}
        self.names: dict[int, tuple[str, str]] = {}
        self.blocks: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.with_programmes: set[int] = set()
        seen: set[tuple[str, int]] = set()
        # Stable: within each group the query's source priority order stays; the first claim wins.
        rows = sorted(rows, key=lambda r: not getattr(r, "has_programmes", True))
        for row in rows:
            if getattr(row, "has_programmes", True):
                self.with_programmes.add(row.id)
            self.by_id.setdefault(row.xmltv_id.casefold(), row.id)
            names = list(row.display_names or [])
            self.names[row.id] = (row.xmltv_id, names[0] if names else row.xmltv_id)
            keys = {name_key(n) for n in names} | {_id_key(row.xmltv_id)}
            for key in keys:
                if not key:
                    continue
                self.by_key.setdefault(key, row.id)
                if (key, row.id) not in seen:
                    seen.add((key, row.id))
                    self.blocks[key[:_BLOCK]].append((key, row.id))
        self.all_keys = [k for block in self.blocks.values() for k in block]

    def match(self, tvg_id: str | None, key: str, threshold: int) -> tuple[int, str, int] | None:
        """The strongest evidence for a guide channel with programmes; failing that, the
        strongest evidence at all (a guide may be empty only until its next import)."""
        fallback: tuple[int, str, int] | None = None
        for found in self._candidates(tvg_id, key, threshold):
            if found[0] in self.with_programmes:
                return found
            fallback = fallback or found
        return fallback

    def _candidates(
        self, tvg_id: str | None, key: str, threshold: int
    ) -> Iterator[tuple[int, str, int]]:
        """Evidence strongest first; lazily, so fuzzy scoring runs only when still needed."""
        if tvg_id:
            hit = self.by_id.get(tvg_id.casefold())
            if hit is not None:
                yield hit, "tvg_id", 100
        if not key:
            return
        hit = self.by_key.get(key)
        if hit is not None:
            yield hit, "name", 95
        block = self.blocks.get(key[:_BLOCK])
        if not block:
            return
        numbers = _numbers(key)
        for candidate, score, i in process.extract(
            key,
            [k for k, _ in block],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            limit=5,
        ):
            # "Channel 2" is never "Channel 3", however similar the rest (as in the merge matcher).
            if _numbers(candidate) == numbers:
                yield block[i][1], "fuzzy", int(score)

    def suggest(self, key: str, limit: int = 3) -> list[Suggestion]:
        if not key or not self.all_keys:
            return []
        found = process.extract(
            key, [k for k, _ in self.all_keys], scorer=fuzz.token_sort_ratio, limit=limit * 3
        )
        out: list[Suggestion] = []
        seen: set[int] = set()
        for _, score, index in found:
            guide = self.all_keys[index][1]
            if guide in seen:
                continue
            seen.add(guide)
            xmltv_id, name = self.names[guide]
            out.append(Suggestion(guide, xmltv_id, name, int(score)))
            if len(out) == limit:
                break
        return out


async def load_index(session: AsyncSession) -> GuideIndex:
    # One index seek per guide channel on (epg_channel_id, start).
    has_programmes = (
        exists().where(EpgProgramme.epg_channel_id == EpgChannel.id).label("has_programmes")
    )
    rows = await session.execute(
        select(EpgChannel.id, EpgChannel.xmltv_id, EpgChannel.display_names, has_programmes)
        .join(EpgSource, EpgSource.id == EpgChannel.source_id)
        .where(EpgSource.enabled.is_(True))
        .order_by(EpgSource.priority.desc(), EpgSource.id, EpgChannel.id)
    )
    return GuideIndex(list(rows))


async def match_channels(
    session: AsyncSession, *, threshold: int, channel_ids: list[int] | None = None
) -> MatchStats:
    """Link every channel not assigned by hand to its best guide channel, or to none."""
    index = await load_index(session)
    query = select(
        Channel.id,
        Channel.name,
        Channel.tvg_id,
        Channel.epg_channel_id,
        Channel.epg_match_method,
        Channel.epg_match_confidence,
    ).where(Channel.epg_manual.is_(False))
    if channel_ids is not None:
        query = query.where(Channel.id.in_(channel_ids))
    stats = MatchStats()
    writes: list[dict[str, Any]] = []
    for row in await session.execute(query):
        stats.channels += 1
        found = index.match(row.tvg_id, name_key(row.name), threshold)
        guide, method, confidence = found if found else (None, None, None)
        if found:
            stats.matched += 1
            stats.by_method[method or ""] = stats.by_method.get(method or "", 0) + 1
        if (row.epg_channel_id, row.epg_match_method, row.epg_match_confidence) != (
            guide,
            method,
            confidence,
        ):
            writes.append({"b_id": row.id, "b_g": guide, "b_m": method, "b_c": confidence})
    if writes:
        # Core, not ORM: an executemany UPDATE keyed by a bound id, one round trip.
        table = cast(Table, Channel.__table__)
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                epg_channel_id=bindparam("b_g"),
                epg_match_method=bindparam("b_m"),
                epg_match_confidence=bindparam("b_c"),
            ),
            writes,
        )
    stats.changed = len(writes)
    return stats


async def assign(
    *, session: AsyncSession, channel_id: int, epg_channel_id: int | None, threshold: int
) -> Channel:
    """A person's choice: pin the channel to a guide channel, or (None) hand it back to the
    matcher, which re-matches it at once."""
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel with id {channel_id}")
    if epg_channel_id is None:
        channel.epg_manual = False
        await session.flush()
        await match_channels(session, threshold=threshold, channel_ids=[channel_id])
        await session.refresh(channel)
        return channel
    if await session.get(EpgChannel, epg_channel_id) is None:
        raise NotFound(f"no guide channel with id {epg_channel_id}")
    channel.epg_channel_id = epg_channel_id
    channel.epg_manual = True
    channel.epg_match_method = "manual"
    channel.epg_match_confidence = 100
    await session.flush()
    return channel


async def find_guide_channel(session: AsyncSession, xmltv_id: str) -> int:
    """The guide channel with this id, from the source of highest priority."""
    found = await session.scalar(
        select(EpgChannel.id)
        .join(EpgSource, EpgSource.id == EpgChannel.source_id)
        .where(EpgChannel.xmltv_id == xmltv_id)
        .order_by(EpgSource.enabled.desc(), EpgSource.priority.desc(), EpgSource.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(f"no guide channel with id {xmltv_id!r}; import the guide first")
    return int(found)
