"""Channel numbers: assigned once, stored on the channel, never moved by other channels.

Media servers (Jellyfin, Plex) key tuner channels by GuideNumber, so a number that shifts when
an unrelated channel appears breaks their guide mappings. Every channel therefore carries its
own ``number`` and where it came from (``number_source``):

- ``chno``: the provider's ``tvg-chno``. A new channel takes its entry's ``tvg-chno`` when no
  other channel holds that number; an automatically numbered channel that later gets a
  ``tvg-chno`` takes it too. A channel numbered from a ``tvg-chno`` follows that stream when
  the provider renumbers it (the stream's old ``tvg-chno`` was the channel's number), but a
  second provider's different ``tvg-chno`` does not move it.
- ``auto``: the next free number: above the highest number any channel holds, and never below
  ``sync.auto_number_start`` (raise it, e.g. to 10000, to keep automatic numbers clear of the
  providers' ``tvg-chno`` ranges). Numbers freed by deleted channels are not handed out again
  below the maximum, so a new channel never inherits a gone channel's guide mapping.
- ``manual``: set by a person; nothing automatic changes it.

A number held by one channel is never taken from it for another: a wanted number that is taken
is simply not granted. Numbers are unique among channels; writers hold the catalogue lock
(:func:`strmline.db.locks.lock_catalog`) while they decide.

The plan is made in memory from one read of every channel's number, and written with the
channel insert (new channels) plus one executemany (existing channels).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import batched
from strmline.db.models import Channel

CHANNELS = cast(Table, Channel.__table__)

AUTO = "auto"
CHNO = "chno"
MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Claim:
    """An existing channel got a ``tvg-chno`` from one of its streams in this sync.

    ``previous`` is the stream's earlier ``tvg-chno`` when the provider renumbered a stream it
    already listed, ``None`` when the stream is new on the channel.
    """

    channel_id: int
    number: float
    previous: float | None = None


@dataclass(frozen=True, slots=True)
class Held:
    number: float | None
    source: str | None


@dataclass
class Plan:
    """New channels' numbers (aligned with the pending list) and existing channels' changes."""

    new: list[tuple[float, str]] = field(default_factory=list)
    changes: dict[int, tuple[float, str]] = field(default_factory=dict)


def next_free(used: Iterable[float], start: int) -> int:
    highest = max(used, default=None)
    above = math.floor(highest) + 1 if highest is not None else 1
    return max(above, start, 1)


def plan(
    held: dict[int, Held],
    claims: Sequence[Claim],
    pending: Sequence[tuple[float | None, str]],
    *,
    start: int,
) -> Plan:
    """Decide numbers. ``pending`` holds each new channel's ``tvg-chno`` and sort name, in the
    order the channels are inserted; automatic numbers follow the sort name."""
    used = {h.number for h in held.values() if h.number is not None}
    out = Plan()

    # Existing channels first: they were here before the new ones. Lowest number first, so
    # the result does not depend on the order entries arrived in.
    for claim in sorted(claims, key=lambda c: (c.number, c.channel_id)):
        current = held.get(claim.channel_id)
        if current is None or claim.channel_id in out.changes or claim.number in used:
            continue
        if current.source == MANUAL:
            continue
        # A tvg-chno number moves only with the stream it came from.
        if current.source == CHNO and current.number not in (None, claim.previous):
            continue
        out.changes[claim.channel_id] = (claim.number, CHNO)
        used.add(claim.number)

    new: list[tuple[float, str] | None] = [None] * len(pending)
    for i, (chno, _name) in enumerate(pending):
        if chno is not None and chno not in used:
            new[i] = (chno, CHNO)
            used.add(chno)

    # Channels without a number (made before numbering existed, or by hand) get one now, in id
    # order, then the new channels that got no tvg-chno, by name.
    seq = next_free(used, start)
    for channel_id in sorted(i for i, h in held.items() if h.number is None):
        if channel_id not in out.changes:
            out.changes[channel_id] = (float(seq), AUTO)
            seq += 1
    for i in sorted(
        (i for i in range(len(pending)) if new[i] is None), key=lambda i: pending[i][1]
    ):
        new[i] = (float(seq), AUTO)
        seq += 1
    out.new = cast(list[tuple[float, str]], new)
    return out


async def load_held(session: AsyncSession) -> dict[int, Held]:
    """Every channel's number and its source: one statement."""
    rows = await session.execute(select(Channel.id, Channel.number, Channel.number_source))
    return {channel_id: Held(number, source) for channel_id, number, source in rows}


async def write_changes(
    session: AsyncSession, changes: dict[int, tuple[float, str]], now: datetime, *, batch: int
) -> None:
    """One executemany per batch. ``updated_at`` moves so the outputs' ETags change."""
    if not changes:
        return
    stmt = (
        update(CHANNELS)
        .where(CHANNELS.c.id == bindparam("_id"))
        .values(number=bindparam("_n"), number_source=bindparam("_src"), updated_at=now)
    )
    rows: list[dict[str, Any]] = [
        {"_id": cid, "_n": n, "_src": src} for cid, (n, src) in sorted(changes.items())
    ]
    for chunk in batched(rows, batch):
        await session.execute(stmt, chunk)


async def next_number(session: AsyncSession, start: int) -> int:
    """The next automatic number for one channel made outside a sync (a split)."""
    highest = await session.scalar(select(func.max(Channel.number)))
    return next_free([] if highest is None else [float(highest)], start)


async def holder(session: AsyncSession, number: float, *, other_than: int) -> int | None:
    """The channel other than ``other_than`` that holds ``number``, if any."""
    return cast(
        int | None,
        await session.scalar(
            select(Channel.id).where(Channel.number == number, Channel.id != other_than).limit(1)
        ),
    )
