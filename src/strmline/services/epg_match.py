"""Channel ↔ guide channel matching, set-based.

Evidence, strongest first: the channel's tvg-id equals a guide channel id (100); the channel's
normalised name equals a guide display name or the name part of a guide id (``CNN.us`` → "cnn")
(95); fuzzy similarity of those names above the threshold (the score). A guide channel that
has programmes wins over one that has none, whatever the evidence; then sources of higher
priority win ties. A manual assignment (``epg_manual``) is never touched here.

Countries: a channel's come from its country column, its name ("UK: …", "MTV India", "ATV TR")
and its tvg-id (``TV3.es``, the feed in ``Show.us@UK``); a guide channel's from its id
(``BBCOne.uk``) and display names. A name link, exact or fuzzy, never crosses two known,
different countries ("TV3" of Spain is not the UK's TV3); among equal names the guide channel of
the channel's own country comes first. A fuzzy link also needs the same numbers and the same
short words ("Channel Y" is not "Channel S").

Loads the guide channels once, decides in memory, writes only the channels whose link changed
in one executemany. The channels asked for go into a temporary table, not an IN-list, so no
statement grows with their number (asyncpg takes at most 32,767 parameters per statement).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from rapidfuzz import fuzz, process
from sqlalchemy import Table, bindparam, column, exists, select, update
from sqlalchemy import table as table_clause
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db import recompute
from strmline.db.models import Channel, EpgChannel, EpgProgramme, EpgSource
from strmline.errors import NotFound
from strmline.matching.names import country_code, normalize, parse_name

_DIGITS = re.compile(r"\d+")
_BLOCK = 2  # fuzzy candidates share the first characters of the key, as the merge matcher does
# "BBCOne" → "BBC One", "DemainTV" → "Demain TV": guide ids glue words in camel case.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Country words that end a name ("MTV India", "ATV TR") but are, as often, something else.
_NOT_A_COUNTRY_SUFFIX = frozenset(["AMERICA", "ID", "ME", "DO", "IS", "SD", "NO", "AM", "PR"])
# iptv-org feed ids whose feed is a quality, not a country ("BBCOne.uk@SD").
_QUALITY_FEEDS = frozenset(["SD", "HD"])
SCOPE = "strmline_epg_scope"

Countries = frozenset[str]
NO_COUNTRY: Countries = frozenset()


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
    country: str | None = None


def _numbers(key: str) -> list[str]:
    return _DIGITS.findall(key)


def _short_words(key: str) -> list[str]:
    """Words of one or two letters: a fuzzy link must keep them ("channel y" ≠ "channel s")."""
    return sorted(w for w in key.split() if len(w) <= 2 and not w.isdigit())


def name_key(name: str) -> str:
    return normalize(parse_name(name).display)


@lru_cache(maxsize=16384)
def name_identity(name: str) -> tuple[str, str | None]:
    """The key of a name without its country, and that country: "UK: TV3" → ("tv 3", "UK"),
    "MTV India" → ("mtv", "IN"), "ATV TR" → ("atv", "TR")."""
    parsed = parse_name(name)
    display = parsed.display
    country = parsed.country
    words = display.split()
    if len(words) >= 2:
        last = words[-1].strip("()[]|-")
        upper = last.upper()
        found = country_code(last) if upper not in _NOT_A_COUNTRY_SUFFIX else None
        # A full name ("India") in any case; a code ("TR", "USA") only as written in capitals.
        if found and (len(last) >= 4 or last == upper) and (country is None or country == found):
            country = found
            display = " ".join(words[:-1])
    return normalize(display), country


def tvg_country(tvg_id: str | None) -> str | None:
    """ "TV3.es" → "ES"; a feed naming a country wins: "DogtheBountyHunter.us@UK" → "UK"."""
    if not tvg_id:
        return None
    base, _, feed = tvg_id.strip().partition("@")
    if 2 <= len(feed) <= 3 and feed.upper() not in _QUALITY_FEEDS:
        found = country_code(feed)
        if found:
            return found
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and len(suffix) == 2 and suffix.isalpha():
        # Any two letters: names.py knows the countries providers write, ids use them all.
        return country_code(suffix) or suffix.upper()
    return None


def _id_name(xmltv_id: str) -> str:
    """The name part of a guide id: "BBCOne.uk@SD" → "BBC One"; "overlap.test" stays whole."""
    base = xmltv_id.partition("@")[0] or xmltv_id
    stem, dot, suffix = base.rpartition(".")
    # "CNN.us" / "BBCOne.uk": the part before a short country suffix names the channel.
    name = stem if dot and 1 < len(suffix) <= 3 and stem else base
    return _CAMEL.sub(" ", name)


def _id_key(xmltv_id: str) -> str:
    return name_identity(_id_name(xmltv_id))[0]


def channel_countries(name: str, tvg_id: str | None, country: str | None = None) -> Countries:
    """Every country a channel's column, name and tvg-id name (usually one, or none)."""
    found = {country_code(country) or country.upper()} if country else set[str]()
    named = name_identity(name)[1]
    if named:
        found.add(named)
    from_tvg = tvg_country(tvg_id)
    if from_tvg:
        found.add(from_tvg)
    return frozenset(found)


def compatible(a: Countries, b: Countries) -> bool:
    """Unknown on either side is no evidence against; two known countries must share one."""
    return not a or not b or not a.isdisjoint(b)


class GuideIndex:
    """Guide channels of enabled sources by id, by exact key and in fuzzy blocks.

    Rows come with ``has_programmes``; those with programmes are indexed first, so among equal
    evidence a guide channel that has something to show wins over one of a higher-priority
    source that has nothing.
    """

    def __init__(self, rows: list[Any]) -> None:
        self.by_id: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.names: dict[int, tuple[str, str]] = {}
        self.countries: dict[int, Countries] = {}
        self.blocks: dict[str, tuple[list[str], list[int]]] = {}
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
            countries: set[str] = set()
            from_id = tvg_country(row.xmltv_id)
            if from_id:
                countries.add(from_id)
            keys = {_id_key(row.xmltv_id)}
            for name in names:
                key, country = name_identity(name)
                keys.add(key)
                if country:
                    countries.add(country)
            self.countries[row.id] = frozenset(countries)
            for key in keys:
                if not key or (key, row.id) in seen:
                    continue
                seen.add((key, row.id))
                self.by_key[key].append(row.id)
                block = self.blocks.setdefault(key[:_BLOCK], ([], []))
                block[0].append(key)
                block[1].append(row.id)
        self.all_keys = [
            (key, guide)
            for keys, ids in self.blocks.values()
            for key, guide in zip(keys, ids, strict=True)
        ]
        self._all_key_list = [k for k, _ in self.all_keys]

    def match(
        self, tvg_id: str | None, key: str, threshold: int, countries: Countries = NO_COUNTRY
    ) -> tuple[int, str, int] | None:
        """The strongest evidence for a guide channel with programmes; failing that, the
        strongest evidence at all (a guide may be empty only until its next import)."""
        fallback: tuple[int, str, int] | None = None
        for found in self._candidates(tvg_id, key, threshold, countries):
            if found[0] in self.with_programmes:
                return found
            fallback = fallback or found
        return fallback

    def _candidates(
        self, tvg_id: str | None, key: str, threshold: int, countries: Countries
    ) -> Iterator[tuple[int, str, int]]:
        """Evidence strongest first; lazily, so fuzzy scoring runs only when still needed."""
        if tvg_id:
            hit = self.by_id.get(tvg_id.casefold())
            if hit is not None:
                yield hit, "tvg_id", 100
        if not key:
            return
        same = [g for g in self.by_key.get(key, ()) if compatible(countries, self.countries[g])]
        if countries:
            # The channel's own country first, then guide channels that name none.
            same.sort(key=lambda g: not (self.countries[g] & countries))
        for guide in same:
            yield guide, "name", 95
        block = self.blocks.get(key[:_BLOCK])
        if not block:
            return
        keys, ids = block
        numbers = _numbers(key)
        short = _short_words(key)
        for candidate, score, i in process.extract(
            key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=5
        ):
            # "Channel 2" is never "Channel 3", however similar the rest (as in the merge
            # matcher), nor is "Channel Y" "Channel S", nor "Demais TV" (BR) "Demain TV" (FR).
            if (
                _numbers(candidate) == numbers
                and _short_words(candidate) == short
                and compatible(countries, self.countries[ids[i]])
            ):
                yield ids[i], "fuzzy", int(score)

    def suggest(
        self, key: str, limit: int = 3, countries: Countries = NO_COUNTRY
    ) -> list[Suggestion]:
        """The closest guide channels with their scores; those of another country last."""
        if not key or not self.all_keys:
            return []
        found = process.extract(
            key, self._all_key_list, scorer=fuzz.token_sort_ratio, limit=limit * 5
        )
        ranked: list[tuple[bool, int, int]] = []
        seen: set[int] = set()
        for _, score, index in found:
            guide = self.all_keys[index][1]
            if guide not in seen:
                seen.add(guide)
                ranked.append(
                    (not compatible(countries, self.countries[guide]), -int(score), guide)
                )
        out: list[Suggestion] = []
        for _, minus_score, guide in sorted(ranked)[:limit]:
            xmltv_id, name = self.names[guide]
            country = ",".join(sorted(self.countries[guide])) or None
            out.append(Suggestion(guide, xmltv_id, name, -minus_score, country))
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
        Channel.country,
        Channel.epg_channel_id,
        Channel.epg_match_method,
        Channel.epg_match_confidence,
    ).where(Channel.epg_manual.is_(False))
    if channel_ids is not None:
        await recompute.fill_scope(session, SCOPE, channel_ids)
        query = query.where(Channel.id.in_(select(column("id")).select_from(table_clause(SCOPE))))
    if not index.names:
        # No guide at all: only links left from a guide since removed have anything to undo.
        query = query.where(
            Channel.epg_channel_id.is_not(None) | Channel.epg_match_method.is_not(None)
        )
    stats = MatchStats()
    writes: list[dict[str, Any]] = []
    for row in await session.execute(query):
        stats.channels += 1
        found = index.match(
            row.tvg_id,
            name_identity(row.name)[0],
            threshold,
            channel_countries(row.name, row.tvg_id, row.country),
        )
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
    if channel_ids is not None:
        await recompute.clear_scope(session, SCOPE)
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
