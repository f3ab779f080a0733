"""Diff: a fetched list against the provider's stored streams, by provider key and content hash.

Only entries the store has not seen (and stored streams renamed into another channel's identity)
go on to the matcher; changed entries become UPDATE values, and streams the list no longer has
are marked removed. An entry whose hash equals the stored one costs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Stream
from strmline.matching.names import ParsedName, parse_name
from strmline.providers.base import LiveItem
from strmline.services import numbering

__all__ = [
    "StreamDiff",
    "compare",
    "item_hash",
    "list_hash",
    "load_stored",
    "parse_number",
    "stream_values",
]

# An entry and its content hash.
Entry = tuple[LiveItem, str]


def item_hash(item: LiveItem) -> str:
    """What the provider sent for one entry; equal hashes mean nothing to write."""
    payload = orjson.dumps(
        [
            item.name,
            item.url,
            item.group,
            item.tvg_id,
            item.tvg_name,
            item.logo,
            item.chno,
            item.headers or None,
            item.attrs or None,
        ],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def list_hash(hashes: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for key, value in sorted(hashes):
        digest.update(f"{key}={value};".encode())
    return digest.hexdigest()


def parse_number(chno: str | None) -> float | None:
    if not chno:
        return None
    try:
        number = float(chno.strip())
    except ValueError:
        return None
    return number if 0 <= number < 1_000_000 else None


@dataclass(slots=True)
class StreamDiff:
    """What one fetched list changes. The stages empty its lists as they write them."""

    new: list[Entry] = field(default_factory=list)  # keys the store has not seen
    rematch: list[Entry] = field(default_factory=list)  # renamed into another channel's identity
    rematch_ids: list[int] = field(default_factory=list)  # their stream ids, in the same order
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # stream id → new values
    claims: list[numbering.Claim] = field(default_factory=list)  # tvg-chno numbers brought
    missing: list[int] = field(default_factory=list)  # stream ids the list no longer has
    affected: set[int] = field(default_factory=set)  # channels whose counts and ranks may move


async def load_stored(session: AsyncSession, provider_id: int) -> Sequence[Any]:
    """The provider's stored streams, removed ones included, with what the diff compares."""
    return (
        await session.execute(
            select(
                Stream.id,
                Stream.provider_key,
                Stream.content_hash,
                Stream.channel_id,
                Stream.manual_override,
                Stream.removed_at,
                Stream.name,
                Stream.probed_at,
                Stream.chno,
            ).where(Stream.provider_id == provider_id)
        )
    ).all()


def compare(
    rows: Sequence[Any], items: list[LiveItem], hashes: list[str], now: datetime
) -> StreamDiff:
    """Diff one fetched list against ``rows``. Empties ``items`` and ``hashes``."""
    existing = {row.provider_key: row for row in rows}
    diff = StreamDiff()
    changed: list[tuple[LiveItem, str, Any]] = []
    seen: set[str] = set()
    for item, digest in zip(items, hashes, strict=True):
        if item.key in seen:
            continue  # the provider listed the same key twice; the first one wins
        seen.add(item.key)
        row = existing.get(item.key)
        if row is None:
            diff.new.append((item, digest))
        elif row.content_hash != digest or row.removed_at is not None:
            changed.append((item, digest, row))
    # The caller's lists are not needed past this point; the entries live on in the diff, and a
    # 100k-entry sync should not hold two more copies of the list while it writes.
    items.clear()
    hashes.clear()
    for key, row in existing.items():
        if key not in seen and row.removed_at is None:
            diff.missing.append(row.id)
            diff.affected.add(row.channel_id)
    del seen
    _plan_updates(diff, changed, now)
    return diff


def _plan_updates(
    diff: StreamDiff, changed: list[tuple[LiveItem, str, Any]], now: datetime
) -> None:
    """UPDATE values for changed entries; renamed ones also go back to the matcher."""
    for item, digest, row in changed:
        parsed = parse_name(item.name)
        if not row.manual_override and parse_name(row.name).key != parsed.key:
            diff.rematch.append((item, digest))  # renamed into another channel's identity
            diff.rematch_ids.append(row.id)
        else:
            chno = parse_number(item.chno)
            previous = parse_number(row.chno)
            if chno is not None and (chno != previous or row.removed_at is not None):
                diff.claims.append(numbering.Claim(row.channel_id, chno, previous))
        values = stream_values(item, digest, parsed, now, keep_quality=row.probed_at is not None)
        values["_id"] = row.id
        diff.updates[row.id] = values
        diff.affected.add(row.channel_id)


def stream_values(
    item: LiveItem, digest: str, parsed: ParsedName, now: datetime, *, keep_quality: bool
) -> dict[str, Any]:
    """What an entry sets on its stored stream (a probed stream keeps its measured quality)."""
    values: dict[str, Any] = {
        "name": item.name[:400],
        "group_title": (item.group or None) and item.group[:200],
        "url": item.url,
        "tvg_id": (item.tvg_id or None) and item.tvg_id[:200],
        "tvg_name": (item.tvg_name or None) and item.tvg_name[:300],
        "logo": item.logo or None,
        "chno": (item.chno or None) and item.chno[:20],
        "headers": dict(item.headers) or None,
        "attrs": dict(item.attrs) or None,
        "content_hash": digest,
        "last_seen_sync": now,
        "removed_at": None,
        "updated_at": now,
    }
    if not keep_quality:
        q = parsed.quality
        values.update(
            quality=q.label or None,
            quality_score=q.score,
            height=q.height,
            codec=q.codec,
            fps=q.fps,
        )
    return values
