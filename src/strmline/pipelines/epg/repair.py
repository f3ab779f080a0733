"""Time repair while streaming: offset, missing stop, overlaps, stop before start, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from strmline.formats.xmltv import MAX_DURATION, XmltvChannel, XmltvProgramme


class _Pending:
    """A staging row waiting for the next programme of its channel, and its first repair."""

    __slots__ = ("fix", "row")

    def __init__(self, row: dict[str, Any], fix: str | None) -> None:
        self.row = row
        self.fix = fix


class Repair:
    """Per-channel time repair while streaming; holds one pending programme per channel.

    A programme is written once the next one of its channel is seen: only then is it known where
    it really ends (missing stop, overlap with the next). Inputs are grouped by channel in
    practice; a programme out of order is kept as it is and counted.

    Each programme is counted once: in ``dropped`` under the reason it was dropped for, or, when
    kept, in ``repaired`` under the first repair it needed (or nowhere when it needed none).
    """

    def __init__(self, source_id: int, offset: timedelta, window: tuple[datetime, datetime] | None):
        self.source_id = source_id
        self.offset = offset
        self.window = window
        self.pending: dict[str, _Pending] = {}
        self.dropped: dict[str, int] = {}
        self.repaired: dict[str, int] = {}
        self.read = 0
        self.channel_ids: set[str] = set()

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def feed(self, p: XmltvProgramme, out: list[dict[str, Any]]) -> None:
        self.read += 1
        start = p.start + self.offset
        stop = p.stop + self.offset if p.stop is not None else None
        fix = "unreadable_stop" if p.stop_unreadable else None
        if stop is not None and stop <= start:
            fix = "stop_before_start"
            stop = None  # ends where the next one starts, or is dropped with the last ones
        row = {
            "source_id": self.source_id,
            "xmltv_id": p.channel,
            "start": start,
            "stop": stop,
            "title": p.title,
            "sub_title": p.sub_title,
            "description": p.desc,
            "categories": list(p.categories) or None,
            "episode_num": p.episode_num,
            "episode_onscreen": p.episode_onscreen,
            "icon": p.icon,
            "rating": p.rating,
        }
        self.channel_ids.add(p.channel)
        current = _Pending(row, fix)
        prev = self.pending.get(p.channel)
        self.pending[p.channel] = current
        if prev is None:
            return
        before = prev.row
        if start >= before["start"]:
            if before["stop"] is None:
                before["stop"] = start
            elif before["stop"] > start:
                prev.fix = prev.fix or "overlap_trimmed"
                before["stop"] = start
            if before["stop"] <= before["start"]:
                self._drop("duplicate_start")  # the next one starts at the same time
                return
        else:
            # The document went back in time: this one is kept as it is, unchecked.
            current.fix = current.fix or "out_of_order"
            if before["stop"] is None:
                self._drop("no_stop")  # nothing after it tells where it ends
                return
        self._emit(prev, out)

    def _emit(self, pending: _Pending, out: list[dict[str, Any]]) -> None:
        row = pending.row
        if row["stop"] - row["start"] > MAX_DURATION:
            row["stop"] = row["start"] + MAX_DURATION
            pending.fix = pending.fix or "longer_than_24h"
        if self.window is not None:
            earliest, latest = self.window
            if row["stop"] <= earliest or row["start"] >= latest:
                self._drop("outside_retention")
                return
        out.append(row)
        if pending.fix is not None:
            self.repaired[pending.fix] = self.repaired.get(pending.fix, 0) + 1

    def flush(self, out: list[dict[str, Any]]) -> None:
        for pending in self.pending.values():
            if pending.row["stop"] is None:
                self._drop("no_stop")  # the last programme of a channel without a stop
            else:
                self._emit(pending, out)
        self.pending.clear()


def take_rows(
    items: Iterator[XmltvChannel | XmltvProgramme],
    repair: Repair,
    channels: dict[str, XmltvChannel],
    size: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``size`` staging rows (runs in a worker thread); True when the document ended."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, XmltvProgramme):
            repair.feed(item, rows)
            if len(rows) >= size:
                return rows, False
        elif item.id in channels:
            known = channels[item.id]
            names = known.display_names + tuple(
                n for n in item.display_names if n not in known.display_names
            )
            channels[item.id] = XmltvChannel(item.id, names, known.icon or item.icon, known.line)
        else:
            channels[item.id] = item
    repair.flush(rows)
    return rows, True
