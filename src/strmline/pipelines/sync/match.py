"""Match: assign entries a channel against an index of the stored channels, loaded once.

Only the entries the diff passes on are matched, in memory; entries that match nothing become
pending new channels (refs -1, -2, …) that the write stage inserts and :func:`resolve` turns
into ids. Numbers (``tvg-chno`` claims and automatic numbers for new channels) are planned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import no_cyclic_gc
from strmline.db.models import Channel, MergeRule, Stream
from strmline.matching.matcher import ChannelIndex
from strmline.matching.names import ParsedName, Quality, normalize, parse_name
from strmline.matching.rules import MergeRule as Rule
from strmline.pipelines.sync.diff import Entry, parse_number
from strmline.providers.base import LiveItem
from strmline.services import numbering

__all__ = [
    "NO_QUALITY",
    "Assigned",
    "Pending",
    "assign",
    "claim_numbers",
    "load_index",
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


async def load_index(session: AsyncSession, threshold: int) -> ChannelIndex:
    """Every stored channel by name, key and tvg-id, with the merge rules applied."""
    rules = [
        Rule(kind=r.kind, pattern_a=r.pattern_a, pattern_b=r.pattern_b)  # type: ignore[arg-type]
        for r in (await session.execute(select(MergeRule))).scalars()
    ]
    index = ChannelIndex(threshold=threshold, rules=rules)
    channel_rows = await session.execute(
        select(
            Channel.id,
            Channel.name,
            Channel.match_key,
            Channel.country,
            Channel.region,
            Channel.variant,
            Channel.tvg_id,
        )
    )
    known: dict[int, ParsedName] = {}
    for row in channel_rows:
        known[row.id] = ParsedName(
            original=row.name,
            display=row.name,
            key=row.match_key,
            country=row.country,
            region=row.region,
            variant=row.variant,
            quality=NO_QUALITY,
            tags=(),
        )
        index.add(row.id, known[row.id], row.tvg_id)
    # Every tvg-id a channel's streams carry identifies it, not just the first one.
    tvg_rows = await session.execute(
        select(Stream.channel_id, Stream.tvg_id)
        .where(Stream.tvg_id.is_not(None), Stream.removed_at.is_(None))
        .distinct()
    )
    for channel_id, tvg_id in tvg_rows:
        if channel_id in known:
            index.add(channel_id, known[channel_id], tvg_id)
    if rules:
        # Rules are written against provider names ("UK: *"), so the index needs those too.
        name_rows = await session.execute(
            select(Stream.channel_id, Stream.name).where(Stream.removed_at.is_(None)).distinct()
        )
        for channel_id, name in name_rows:
            if channel_id in known:
                index.add(channel_id, parse_name(name), None)
    return index


def assign(index: ChannelIndex, to_match: Sequence[Entry]) -> tuple[list[Assigned], list[Pending]]:
    """Match every entry in memory; entries that match nothing become pending new channels.

    Returns one assignment per entry, in the order of ``to_match``, with refs -1, -2, … for
    the pending channels (channel ids are positive), and the pending channels' names.
    """
    pending: list[Pending] = []
    # Nearly every name in a playlist is distinct, so parse_name's cache would only hold a
    # second reference to each parsed name until the end of the sync: parse directly.
    parse = parse_name.__wrapped__
    with no_cyclic_gc():
        parsed = [parse(item.name) for item, _ in to_match]
        # A canonical order makes the result independent of the order the provider listed
        # entries.
        keys = [
            (p.key, p.country or "", item.tvg_id or "", item.name, item.key)
            for p, (item, _) in zip(parsed, to_match, strict=True)
        ]
        order = sorted(range(len(to_match)), key=keys.__getitem__)
        del keys
        assigned: list[Assigned] = [NO_ASSIGNMENT] * len(to_match)
        reasons: dict[str, str] = {}  # one string per distinct reason, not one per entry
        for i in order:
            item = to_match[i][0]
            p = parsed[i]
            tvg_id = item.tvg_id or None
            a = index.match(p, tvg_id)
            if a.ref is None:
                ref = -1 - len(pending)
                pending.append((p, item))
                index.add(ref, p, tvg_id)
                assigned[i] = (ref, "new", 100, "first seen", p.quality)
            else:
                reason = a.reason[:300]
                reason = reasons.setdefault(reason, reason)
                assigned[i] = (cast(int, a.ref), a.method, a.confidence, reason, p.quality)
    return assigned, pending


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


def resolve(assigned: list[Assigned], ids: list[int]) -> None:
    """Pending refs become the new channels' ids in place: no second 100k-entry list."""
    for n, entry in enumerate(assigned):
        if entry[0] < 0:
            assigned[n] = (ids[-1 - entry[0]], *entry[1:])
