"""Match: assign entries a channel with the in-memory matcher, against what the store knows.

Only the entries the diff passes on are matched, in memory, clustered together with every
stored stream's name and tvg-id they can meet (loaded once, in a fixed number of statements),
so the sync decides what ``strmline process`` would decide for all providers' lists at once;
entries in clusters with no stored stream become pending new channels (refs -1, -2, …) that
the write stage inserts and :func:`resolve` turns into ids. Numbers (``tvg-chno`` claims and automatic numbers for new channels) are planned here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import no_cyclic_gc
from strmline.db.models import Channel, MergeRule, Stream
from strmline.matching.catalogue import Catalogue
from strmline.matching.matcher import BLOCK_PREFIX, Assignment, Clustered, MatchItem, cluster
from strmline.matching.names import ParsedName, Quality, normalize, parse_name
from strmline.matching.rules import MergeRule as Rule
from strmline.pipelines.sync.diff import Entry, parse_number
from strmline.providers.base import LiveItem
from strmline.services import numbering

__all__ = [
    "NO_QUALITY",
    "Assigned",
    "Known",
    "Matched",
    "Pending",
    "assign",
    "claim_numbers",
    "enrich",
    "load_known",
    "plan_numbers",
    "resolve",
]

NO_QUALITY = Quality(label="", height=None, codec=None, fps=None, score=0)
# What the matcher decided for one entry: channel (id, or a pending ref before the bulk insert
# gives new channels ids), method, confidence, reason, and the quality parsed from the name.
Assigned = tuple[int, str, int, str, Quality]
NO_ASSIGNMENT: Assigned = (0, "", 0, "", NO_QUALITY)
# A channel the matcher made: its parsed name and the entry that brought it.
Pending = tuple[ParsedName, LiveItem]


@dataclass(slots=True)
class Known:
    """What the store says about channels: the merge rules, and the identity evidence of every
    channel, one member per live stream (its name and tvg-id) or, for a channel without live
    streams, the channel's own name and identity."""

    rules: list[Rule]
    members: list[Member]


# One piece of stored evidence: stream id (None for a channel without live streams), channel
# id, parsed name, tvg-id, moved by a user (never moved by the matcher, votes only as fallback).
Member = tuple[int | None, int, ParsedName, str | None, bool]
# A stored stream the matcher moves: stream id → (channel or pending ref, method, confidence,
# reason).
Move = tuple[int, str, int, str]


@dataclass(slots=True)
class Matched:
    """:func:`assign`'s decisions: one per entry, the channels to create, the stored streams
    that move to another channel."""

    assigned: list[Assigned]
    pending: list[Pending]
    moves: dict[int, Move]
    left: set[int]  # the channels moved streams leave


async def load_known(
    session: AsyncSession, *, exclude: Collection[int] = (), catalogue: Catalogue | None = None
) -> Known:
    """Rules, every live stream's name and tvg-id, and the channels with no live stream, in three
    statements whatever the number of rows. ``exclude``: stream ids whose stored name is
    stale (renamed or gone in the list being synced). With the ``catalogue``, stored names
    carry its canonical keys, as the entries they meet do."""
    rules = [
        Rule(kind=r.kind, pattern_a=r.pattern_a, pattern_b=r.pattern_b)  # type: ignore[arg-type]
        for r in (await session.execute(select(MergeRule))).scalars()
    ]
    skip = set(exclude)
    members: list[Member] = []
    streams = await session.execute(
        select(
            Stream.id, Stream.channel_id, Stream.name, Stream.tvg_id, Stream.manual_override
        ).where(Stream.removed_at.is_(None))
    )
    canon = _canonical(catalogue)
    for sid, channel_id, name, tvg_id, manual in streams:
        if sid not in skip:
            parsed = canon(parse_name(name), tvg_id or None)
            members.append((sid, channel_id, parsed, tvg_id or None, bool(manual)))
    live = (
        select(Stream.id)
        .where(Stream.channel_id == Channel.id, Stream.removed_at.is_(None))
        .exists()
    )
    empty = await session.execute(
        select(
            Channel.id,
            Channel.name,
            Channel.match_key,
            Channel.country,
            Channel.region,
            Channel.variant,
            Channel.tvg_id,
        ).where(~live)
    )
    for row in empty:
        parsed = ParsedName(
            original=row.name,
            display=row.name,
            key=row.match_key,
            country=row.country,
            region=row.region,
            variant=row.variant,
            quality=NO_QUALITY,
            tags=(),
        )
        members.append((None, row.id, parsed, row.tvg_id or None, False))
    return Known(rules=rules, members=members)


def _relevant(known: Known, parsed: Sequence[ParsedName], to_match: Sequence[Entry]) -> list[int]:
    """Indexes of the members that can bear on the new entries: every member of a channel that
    shares a name block (the key's first letters, which holds every exact and fuzzy
    candidate) or a tvg-id with one of them. With merge rules, which can join any two names,
    every member is relevant."""
    if known.rules:
        return list(range(len(known.members)))
    prefixes = {p.key[:BLOCK_PREFIX] for p in parsed}
    tvgs = {item.tvg_id.strip().casefold() for item, _ in to_match if item.tvg_id}
    channels = {
        m[1]
        for m in known.members
        if m[2].key[:BLOCK_PREFIX] in prefixes or (m[3] and m[3].strip().casefold() in tvgs)
    }
    return [i for i, m in enumerate(known.members) if m[1] in channels]


def _homes(votes: dict[int, Counter[tuple[int, int]]]) -> dict[int, int]:
    """One stored channel per cluster: the one most of its stored streams are in (streams a
    user moved vote only when no others do). A channel goes to one cluster only, the one
    with the most streams in it (then the first in canonical order); a cluster left without
    one becomes a new channel."""
    ranked: list[tuple[int, int, int, int]] = []  # (-auto, -moved, cluster, channel)
    for cl, counts in votes.items():
        auto: Counter[int] = Counter()
        moved: Counter[int] = Counter()
        for (channel_id, manual), n in counts.items():
            (moved if manual else auto)[channel_id] += n
        for channel_id in auto.keys() | moved.keys():
            ranked.append((-auto[channel_id], -moved[channel_id], cl, channel_id))
    ranked.sort()
    homes: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, cl, channel_id in ranked:
        if cl not in homes and channel_id not in taken:
            homes[cl] = channel_id
            taken.add(channel_id)
    return homes


def _explain(c: Clustered, joined: dict[int, Clustered]) -> Assignment:
    """How a member came to its cluster; the one that opened it shares the first join's."""
    if c.assignment.ref is not None:
        return c.assignment
    first = joined.get(c.cluster)
    if first is not None:
        return first.assignment
    return Assignment(None, "exact", 100, "same channel as its stored streams")


def _canonical(catalogue: Catalogue | None) -> Callable[[ParsedName, str | None], ParsedName]:
    return _same if catalogue is None else catalogue.canonical


def _same(parsed: ParsedName, tvg_id: str | None) -> ParsedName:
    return parsed


def assign(
    known: Known, to_match: Sequence[Entry], *, threshold: int, catalogue: Catalogue | None = None
) -> Matched:
    """Match every entry with the in-memory matcher, as one batch with the stored evidence.

    The new entries and every stored member they can meet are clustered together by
    :func:`strmline.matching.matcher.cluster`, the same function ``strmline process`` runs,
    so a sync decides what clustering all providers' lists at once decides, whatever order
    the providers are synced in. Each cluster is one channel: the stored channel most of its
    streams are in, else a new one; stored streams the clustering puts elsewhere move (never
    those a user moved).

    Assignments line up with ``to_match``; refs -1, -2, … are the pending channels (channel
    ids are positive).
    """
    pending: list[Pending] = []
    moves: dict[int, Move] = {}
    left: set[int] = set()
    # Nearly every name in a playlist is distinct, so parse_name's cache would only hold a
    # second reference to each parsed name until the end of the sync: parse directly.
    parse = parse_name.__wrapped__
    canon = _canonical(catalogue)
    with no_cyclic_gc():
        parsed = [canon(parse(item.name), item.tvg_id or None) for item, _ in to_match]
        members, result = _cluster(known, to_match, parsed, threshold)
        votes: dict[int, Counter[tuple[int, int]]] = defaultdict(Counter)
        joined: dict[int, Clustered] = {}
        opened: dict[int, int] = {}  # cluster → the member or entry that opened it
        for c in result:
            if c.assignment.ref is not None:
                joined.setdefault(c.cluster, c)
            else:
                opened[c.cluster] = cast(int, c.item_id)
        for n, m in enumerate(members):
            votes[result[n].cluster][(m[1], int(m[4]))] += 1
        homes = _homes(votes)
        del votes

        def target(cl: int) -> int:
            ref = homes.get(cl)
            if ref is None:
                # A new channel, named after the member that opened the cluster: the first in
                # the matcher's canonical order, whichever provider listed it.
                ref = homes[cl] = -1 - len(pending)
                first = opened[cl]
                if first >= 0:
                    pending.append((parsed[first], to_match[first][0]))
                else:
                    m = members[-1 - first]
                    pending.append((m[2], _stored_item(m)))
            return ref

        reasons: dict[str, str] = {}  # one string per distinct reason, not one per entry
        for n, m in enumerate(members):
            sid, channel_id, _, _, manual = m
            c = result[n]
            if sid is None or manual or homes.get(c.cluster) == channel_id:
                continue
            a = _explain(c, joined)
            reason = reasons.setdefault(a.reason[:300], a.reason[:300])
            moves[sid] = (target(c.cluster), a.method, a.confidence, reason)
            left.add(channel_id)
        assigned: list[Assigned] = [NO_ASSIGNMENT] * len(to_match)
        for c in result[len(members) :]:
            i = cast(int, c.item_id)
            ref = target(c.cluster)
            if ref < 0 and opened[c.cluster] == i:
                assigned[i] = (ref, "new", 100, "first seen", parsed[i].quality)
                continue
            a = _explain(c, joined)
            reason = reasons.setdefault(a.reason[:300], a.reason[:300])
            assigned[i] = (ref, a.method, a.confidence, reason, parsed[i].quality)
    return Matched(assigned, pending, moves, left)


def _cluster(
    known: Known, to_match: Sequence[Entry], parsed: list[ParsedName], threshold: int
) -> tuple[list[Member], list[Clustered]]:
    """The stored members the entries can meet, and the clustering of both; results line up
    with the members, then the entries."""
    members = [known.members[i] for i in _relevant(known, parsed, to_match)]
    # Stored members are -1, -2, …; entries 0, 1, …
    items = [MatchItem(-1 - n, m[2].original, m[3], m[2]) for n, m in enumerate(members)]
    items += [
        MatchItem(n, item.name, item.tvg_id or None, p)
        for n, ((item, _), p) in enumerate(zip(to_match, parsed, strict=True))
    ]
    return members, cluster(items, threshold=threshold, rules=known.rules)


def enrich(pending: list[Pending], catalogue: Catalogue | None) -> None:
    """New channels take what the catalogue knows and the provider left empty, in place.

    Name (the canonical one, when the name itself resolved: a tvg-id alone names the network,
    not the local channel a provider labelled with it), country, category, logo and guide id.
    """
    if catalogue is None:
        return
    for n, (p, item) in enumerate(pending):
        e = catalogue.enrich(item.name, p.country, item.tvg_id, item.logo, parsed=p)
        if e is None:
            continue
        parsed = replace(
            p,
            display=e.name if e.method != "tvg-id" else p.display,
            country=p.country or e.country,
        )
        found = replace(
            item,
            group=item.group or e.category,
            logo=e.logo,
            tvg_id=item.tvg_id or e.tvg_id,
        )
        pending[n] = (parsed, found)


def _stored_item(m: Member) -> LiveItem:
    """The entry a new channel split off stored streams is made from: its name and tvg-id
    (the recompute after the write fills its logo and category from its streams)."""
    return LiveItem(
        key="",
        name=m[2].original,
        url="",
        group=None,
        tvg_id=m[3],
        tvg_name=None,
        logo=None,
        chno=None,
        headers={},
        attrs={},
    )


def claim_numbers(
    to_match: Sequence[Entry], assigned: Sequence[Assigned], claims: list[numbering.Claim]
) -> None:
    """A ``tvg-chno`` an entry brings to an existing channel joins ``claims``."""
    for (item, _digest), entry in zip(to_match, assigned, strict=True):
        chno = parse_number(item.chno)
        if chno is not None and entry[0] > 0:
            claims.append(numbering.Claim(entry[0], chno))


async def plan_numbers(
    session: AsyncSession, claims: list[numbering.Claim], pending: list[Pending], *, start: int
) -> tuple[list[str], numbering.Plan]:
    """The new channels' search names, and the numbers of new and existing channels."""
    # Automatic numbers follow the name, as the list shows channels.
    search_names = [normalize(p.display)[:300] for p, _ in pending]
    numbers = numbering.plan(
        await numbering.load_held(session),
        claims,
        [
            (parse_number(item.chno), name)
            for (_, item), name in zip(pending, search_names, strict=True)
        ],
        start=start,
    )
    return search_names, numbers


def resolve(matched: Matched, ids: list[int]) -> None:
    """Pending refs become the new channels' ids in place: no second 100k-entry list."""
    assigned = matched.assigned
    for n, entry in enumerate(assigned):
        if entry[0] < 0:
            assigned[n] = (ids[-1 - entry[0]], *entry[1:])
    for sid, move in matched.moves.items():
        if move[0] < 0:
            matched.moves[sid] = (ids[-1 - move[0]], *move[1:])
