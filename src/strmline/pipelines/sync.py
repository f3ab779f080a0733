"""The sync pipeline: one provider's live list into the merged channel list, set-based.

fetch (streamed, backups in order) → guards → diff against stored streams by provider key →
match only new entries against a channel index loaded once → bulk writes in one transaction →
set-based recompute of counts, ranks and best streams for the channels touched.

Nothing is written until the fetch succeeded and passed the guards, and everything is written in
one transaction, so a failed, refused or killed sync leaves the previous data exactly as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.bulk import batched, insert_records, insert_rows
from strmline.db.locks import lock_catalog
from strmline.db.models import Channel, MergeRule, Provider, Stream
from strmline.errors import NotFound, StrmlineError
from strmline.formats.vodnames import looks_like_vod
from strmline.matching.matcher import ChannelIndex
from strmline.matching.names import ParsedName, Quality, normalize, parse_name
from strmline.matching.rules import MergeRule as Rule
from strmline.pipelines.context import PipelineContext
from strmline.providers.base import FetchResult, LiveItem
from strmline.providers.m3u import fetch_m3u
from strmline.services import epg_match, numbering
from strmline.services.providers import xtream_client

STREAMS = cast(Table, Stream.__table__)
CHANNELS = cast(Table, Channel.__table__)
NO_QUALITY = Quality(label="", height=None, codec=None, fps=None, score=0)


@dataclass
class SyncResult:
    provider: str
    provider_id: int
    status: str  # ok | unchanged | refused | failed
    entries: int = 0
    channels_created: int = 0
    streams_added: int = 0
    streams_updated: int = 0
    streams_removed: int = 0
    seconds: float = 0.0
    message: str = ""
    attempts: list[dict[str, str]] = field(default_factory=list)
    vod_entries: int = 0  # M3U entries that are movies or episodes, left to the VOD sync
    new_channel_ids: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["new_channel_ids"]
        return out


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


async def fetch_provider(
    provider: Provider, ctx: PipelineContext, on_progress: Callable[[int, int], None] | None
) -> FetchResult:
    async with ctx.http_client() as client:
        if provider.kind == "xtream":
            xtream = xtream_client(provider, client)
            return await xtream.fetch_live(output=provider.output_format, on_progress=on_progress)
        return await fetch_m3u(
            client,
            [provider.url, *(provider.backup_urls or ())],
            user_agent=provider.user_agent,
            on_progress=on_progress,
        )


async def _fetch_with_progress(provider: Provider, ctx: PipelineContext) -> FetchResult:
    """Fetch while a side task turns the parser's byte/entry counts into throttled reports."""
    latest = [0, 0]

    def on_progress(nbytes: int, entries: int) -> None:
        latest[0], latest[1] = nbytes, entries

    async def reporter() -> None:
        while True:
            await asyncio.sleep(0.5)
            await ctx.report(
                latest[1], None, f"downloading: {latest[0] / 1e6:.1f} MB, {latest[1]:,} entries"
            )

    task = asyncio.create_task(reporter())
    try:
        return await fetch_provider(provider, ctx, on_progress)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def sync_provider(
    ctx: PipelineContext, *, provider_id: int, force: bool = False
) -> SyncResult:
    started = time.monotonic()
    async with ctx.session_factory() as session:
        provider = await session.get(Provider, provider_id)
        if provider is None:
            raise NotFound(f"no provider with id {provider_id}")
        session.expunge(provider)
    result = SyncResult(provider=provider.name, provider_id=provider.id, status="failed")

    await ctx.report(0, None, f"fetching {provider.name}")
    try:
        fetched = await _fetch_with_progress(provider, ctx)
    except StrmlineError as exc:
        result.message = str(exc)
        details = exc.details if isinstance(exc.details, dict) else {}
        result.attempts = [{"url": u, "reason": r} for u, r in details.get("attempts", [])]
        return await _finish(ctx, provider, result, started, good=False)
    ctx.check_cancelled()

    items = fetched.items
    if provider.kind == "m3u" and provider.vod_detect:
        # Movies and episodes in a live playlist belong to the VOD sync, not the channel list.
        live = [i for i in items if looks_like_vod(i.name, i.group, i.url, i.attrs) is None]
        result.vod_entries = len(items) - len(live)
        items = fetched.items = live
    result.entries = len(items)
    result.attempts = [{"url": u, "reason": r} for u, r in fetched.attempts]
    guard = _guard(provider, len(items), ctx.settings.sync.shrink_guard, force)
    if guard:
        result.status = "refused"
        result.message = guard
        return await _finish(ctx, provider, result, started, good=False)

    with _no_cyclic_gc():
        hashes = [item_hash(item) for item in items]
        content_hash = list_hash(zip((i.key for i in items), hashes, strict=True))
    if content_hash == provider.content_hash and not force:
        result.status = "unchanged"
        result.message = f"{len(items):,} entries, nothing changed"
        return await _finish(ctx, provider, result, started, good=True)

    await ctx.report(0, len(items), f"matching {len(items):,} entries")
    async with ctx.session_factory() as session, session.begin():
        await lock_catalog(session)
        with _no_cyclic_gc():
            await _write(session, ctx, provider, items, hashes, result)
        await session.execute(
            update(Provider)
            .where(Provider.id == provider.id)
            .values(
                content_hash=content_hash,
                epg_url=provider.epg_url or next(iter(fetched.epg_urls), None),
            )
        )
    if result.new_channel_ids:
        await _match_guide(ctx, result.new_channel_ids)
    result.status = "ok"
    changed = result.streams_added + result.streams_updated + result.streams_removed
    result.message = (
        f"{result.entries:,} entries: {result.streams_added:,} added, {result.streams_updated:,} updated, "
        f"{result.streams_removed:,} removed, {result.channels_created:,} new channels"
        if changed
        else f"{result.entries:,} entries, nothing changed"
    )
    if not changed:
        result.status = "unchanged"
    if result.vod_entries:
        result.message += f"; {result.vod_entries:,} movie/episode entries left to the VOD sync"
    if fetched.attempts:
        result.message += (
            f" (from backup {fetched.source} after {len(fetched.attempts)} failed attempt(s))"
        )
    return await _finish(ctx, provider, result, started, good=True)


async def _match_guide(ctx: PipelineContext, channel_ids: list[int]) -> None:
    """New channels get their guide now rather than at the next guide import."""
    async with ctx.session_factory() as session, session.begin():
        await epg_match.match_channels(
            session, threshold=ctx.settings.epg.fuzzy_threshold, channel_ids=channel_ids
        )


def _guard(provider: Provider, count: int, shrink_guard: float, force: bool) -> str | None:
    if count == 0:
        return "the provider returned an empty list; keeping the previous channels"
    last = provider.last_good_entries or 0
    if not force and last and count < last * shrink_guard:
        return (
            f"the provider returned {count:,} entries, fewer than {shrink_guard:.0%} of the last good "
            f"sync's {last:,}; keeping the previous channels (use --force to accept)"
        )
    return None


# What the matcher decided for one entry: channel (id, or a pending ref before the bulk insert
# gives new channels ids), method, confidence, reason, and the quality parsed from the name.
Assigned = tuple[int, str, int, str, Quality]
NO_ASSIGNMENT: Assigned = (0, "", 0, "", NO_QUALITY)
# What a new stream row sets, in the order _new_stream_rows() yields the values.
NEW_STREAM_COLUMNS = (
    "name",
    "group_title",
    "url",
    "tvg_id",
    "tvg_name",
    "logo",
    "chno",
    "headers",
    "attrs",
    "content_hash",
    "last_seen_sync",
    "removed_at",
    "updated_at",
    "quality",
    "quality_score",
    "height",
    "codec",
    "fps",
    "provider_id",
    "provider_key",
    "channel_id",
    "merge_method",
    "merge_confidence",
    "merge_reason",
    "status",
    "active",
    "consecutive_failures",
    "rank",
    "manual_override",
    "created_at",
)


async def _write(
    session: AsyncSession,
    ctx: PipelineContext,
    provider: Provider,
    items: list[LiveItem],
    hashes: list[str],
    result: SyncResult,
) -> None:
    """Diff, match and write one fetched list. Empties ``items`` and ``hashes`` as it goes."""
    now = utcnow()
    batch = ctx.settings.sync.batch_size
    total = len(items)
    rows = (
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
            ).where(Stream.provider_id == provider.id)
        )
    ).all()
    existing = {row.provider_key: row for row in rows}

    new_items: list[tuple[LiveItem, str]] = []
    changed: list[tuple[LiveItem, str, Any]] = []
    seen: set[str] = set()
    for item, digest in zip(items, hashes, strict=True):
        if item.key in seen:
            continue  # the provider listed the same key twice; the first one wins
        seen.add(item.key)
        row = existing.get(item.key)
        if row is None:
            new_items.append((item, digest))
        elif row.content_hash != digest or row.removed_at is not None:
            changed.append((item, digest, row))
    # The caller's lists are not needed past this point; the entries live on in new_items and
    # changed, and a 100k-entry sync should not hold two more copies of the list while it writes.
    items.clear()
    hashes.clear()
    missing = [
        row.id for key, row in existing.items() if key not in seen and row.removed_at is None
    ]
    del seen

    affected: set[int] = set()
    rematch: list[tuple[LiveItem, str]] = []
    updates: dict[int, dict[str, Any]] = {}
    claims: list[numbering.Claim] = []
    for item, digest, row in changed:
        parsed = parse_name(item.name)
        if not row.manual_override and parse_name(row.name).key != parsed.key:
            rematch.append((item, digest))  # renamed into another channel's identity
        else:
            chno = parse_number(item.chno)
            previous = parse_number(row.chno)
            if chno is not None and (chno != previous or row.removed_at is not None):
                claims.append(numbering.Claim(row.channel_id, chno, previous))
        updates[row.id] = _stream_values(
            item, digest, parsed, now, keep_quality=row.probed_at is not None
        )
        updates[row.id]["_id"] = row.id
        affected.add(row.channel_id)
    del changed

    # Only entries the store has not seen need the matcher, so an almost-unchanged list is cheap.
    # Results line up with new_items, then rematch.
    assigned: list[Assigned] = []
    renumber: dict[int, tuple[float, str]] = {}
    if new_items or rematch:
        assigned, result.new_channel_ids, renumber = await _match(
            session, ctx, new_items + rematch, now, claims
        )
        result.channels_created = len(result.new_channel_ids)
    elif claims:
        renumber = numbering.plan(
            await numbering.load_held(session),
            claims,
            [],
            start=ctx.settings.sync.auto_number_start,
        ).changes
    del claims
    await numbering.write_changes(session, renumber, now, batch=batch)
    for (item, _digest), (channel_id, method, confidence, reason, _q) in zip(
        rematch, assigned[len(new_items) :], strict=True
    ):
        updates[existing[item.key].id].update(
            channel_id=channel_id,
            merge_method=method,
            merge_confidence=confidence,
            merge_reason=reason,
        )
        affected.add(channel_id)
    del rematch, existing

    await ctx.report(total // 2, total, "writing streams")
    if new_items:
        result.streams_added = await insert_records(
            session,
            STREAMS,
            NEW_STREAM_COLUMNS,
            _new_stream_rows(provider.id, new_items, assigned, affected, now),
            batch=batch,
        )
    del new_items, assigned

    if updates:
        # executemany needs one shape per statement: re-matched rows also move channel.
        by_shape: dict[frozenset[str], list[dict[str, Any]]] = {}
        for values in updates.values():
            by_shape.setdefault(frozenset(values), []).append(values)
        for shape_rows in by_shape.values():
            stmt = update(STREAMS).where(STREAMS.c.id == bindparam("_id"))
            for chunk in batched(shape_rows, batch):
                await session.execute(stmt, chunk)
        result.streams_updated = len(updates)
    del updates

    if missing:
        stmt = update(STREAMS).where(STREAMS.c.id == bindparam("_id")).values(removed_at=now)
        for chunk in batched([{"_id": sid} for sid in missing], batch):
            await session.execute(stmt, chunk)
        missing_ids = set(missing)
        affected.update(r.channel_id for r in rows if r.id in missing_ids)
        result.streams_removed = len(missing)
    del rows

    cutoff = now - timedelta(days=ctx.settings.sync.removed_retention_days)
    purged = await session.execute(
        delete(STREAMS)
        .where(STREAMS.c.provider_id == provider.id, STREAMS.c.removed_at < cutoff)
        .returning(STREAMS.c.channel_id)
    )
    affected.update(r[0] for r in purged)

    await ctx.report(int(total * 0.9), total, "ranking streams")
    await recompute.channels(session, affected, batch=batch)


def _new_stream_rows(
    provider_id: int,
    new_items: list[tuple[LiveItem, str]],
    assigned: list[Assigned],
    affected: set[int],
    now: datetime,
) -> Iterator[tuple[Any, ...]]:
    """Rows for new streams, generated lazily, in channel and quality order with ranks set.

    Inserting in rank order with the rank already filled in means the set-based re-rank that
    follows finds nothing to change on a first sync (every UPDATE on a wide table is costly);
    where old streams share the channel, the re-rank corrects the numbers.
    """
    # A stable sort: entries of one channel and quality keep the provider's order.
    order = sorted(range(len(new_items)), key=lambda i: (assigned[i][0], -assigned[i][4].score))
    rank, last_channel = 0, None
    for i in order:
        item, digest = new_items[i]
        channel_id, method, confidence, reason, q = assigned[i]
        affected.add(channel_id)
        rank = rank + 1 if channel_id == last_channel else 1
        last_channel = channel_id
        # NEW_STREAM_COLUMNS order: the columns _stream_values() sets, then the new-row ones.
        yield (
            item.name[:400],  # name
            (item.group or None) and item.group[:200],  # group_title
            item.url,  # url
            (item.tvg_id or None) and item.tvg_id[:200],  # tvg_id
            (item.tvg_name or None) and item.tvg_name[:300],  # tvg_name
            item.logo or None,  # logo
            (item.chno or None) and item.chno[:20],  # chno
            dict(item.headers) or None,  # headers
            dict(item.attrs) or None,  # attrs
            digest,  # content_hash
            now,  # last_seen_sync
            None,  # removed_at
            now,  # updated_at
            q.label or None,  # quality
            q.score,  # quality_score
            q.height,  # height
            q.codec,  # codec
            q.fps,  # fps
            provider_id,
            item.key,  # provider_key
            channel_id,
            method,  # merge_method
            confidence,  # merge_confidence
            reason,  # merge_reason
            "unknown",  # status
            True,  # active
            0,  # consecutive_failures
            rank,
            False,  # manual_override
            now,  # created_at
        )


def _stream_values(
    item: LiveItem, digest: str, parsed: ParsedName, now: datetime, *, keep_quality: bool
) -> dict[str, Any]:
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


async def _match(
    session: AsyncSession,
    ctx: PipelineContext,
    to_match: list[tuple[LiveItem, str]],
    now: datetime,
    claims: list[numbering.Claim],
) -> tuple[list[Assigned], list[int], dict[int, tuple[float, str]]]:
    """Assign every entry a channel: an existing one, or one created here in bulk.

    Returns one assignment per entry of ``to_match``, in its order, the ids of the channels
    created (numbered as they are inserted), and the number changes of existing channels: a
    ``tvg-chno`` an entry brings to an existing channel joins ``claims``.
    """
    rules = [
        Rule(kind=r.kind, pattern_a=r.pattern_a, pattern_b=r.pattern_b)  # type: ignore[arg-type]
        for r in (await session.execute(select(MergeRule))).scalars()
    ]
    index = ChannelIndex(threshold=ctx.settings.match.threshold, rules=rules)
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
    del known

    raw, pending = _assign(index, to_match)
    del index

    for (item, _digest), entry in zip(to_match, raw, strict=True):
        chno = parse_number(item.chno)
        if chno is not None and entry[0] > 0:
            claims.append(numbering.Claim(entry[0], chno))
    # Automatic numbers follow the name, as the list shows channels.
    search_names = [normalize(p.display)[:300] for p, _ in pending]
    numbers = numbering.plan(
        await numbering.load_held(session),
        claims,
        [
            (parse_number(item.chno), name)
            for (_, item), name in zip(pending, search_names, strict=True)
        ],
        start=ctx.settings.sync.auto_number_start,
    )

    ids: list[int] = []
    if pending:
        ids = await allocate_ids(session, "channels", len(pending))
        await insert_rows(
            session,
            CHANNELS,
            _new_channel_rows(pending, ids, search_names, numbers.new, now),
            batch=ctx.settings.sync.batch_size,
        )
    # Pending refs become the new ids in place: no second 100k-entry list.
    for n, entry in enumerate(raw):
        if entry[0] < 0:
            raw[n] = (ids[-1 - entry[0]], *entry[1:])
    return raw, ids, numbers.changes


def _assign(
    index: ChannelIndex, to_match: list[tuple[LiveItem, str]]
) -> tuple[list[Assigned], list[tuple[ParsedName, LiveItem]]]:
    """Match every entry in memory; entries that match nothing become pending new channels.

    Returns one assignment per entry, in the order of ``to_match``, with refs -1, -2, … for
    the pending channels (channel ids are positive), and the pending channels' names.
    """
    pending: list[tuple[ParsedName, LiveItem]] = []
    # Nearly every name in a playlist is distinct, so parse_name's cache would only hold a
    # second reference to each parsed name until the end of the sync: parse directly.
    parse = parse_name.__wrapped__
    with _no_cyclic_gc():
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


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bounded, allocation-heavy step.

    Matching and writing 100k entries allocates millions of small objects and no cycles; every
    few thousand allocations the collector would rescan the whole heap (the fetched list
    included) and reclaim nothing, which costs more than a second per sync. Reference counting
    still frees everything as usual; only cycles made meanwhile wait until the step ends.
    Nested use keeps the outer state.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _new_channel_rows(
    pending: list[tuple[ParsedName, LiveItem]],
    ids: list[int],
    search_names: list[str],
    numbers: list[tuple[float, str]],
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """Rows for the channels the matcher made, built lazily in batches by insert_rows."""
    for (p, item), new_id, search_name, (number, source) in zip(
        pending, ids, search_names, numbers, strict=True
    ):
        yield {
            "name": p.display[:300] or item.name[:300],
            "search_name": search_name,
            "match_key": p.key[:300],
            "country": p.country,
            "region": p.region,
            "variant": p.variant,
            "category": (item.group or None) and item.group[:200],
            "number": number,
            "number_source": source,
            "logo": item.logo or None,
            "tvg_id": (item.tvg_id or None) and item.tvg_id[:200],
            "enabled": True,
            "manual": False,
            "epg_manual": False,
            "stream_count": 0,
            "active_stream_count": 0,
            "created_at": now,
            "updated_at": now,
            "id": new_id,
        }


async def allocate_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows in one statement, so bulk inserts need no RETURNING.

    PostgreSQL hands out sequence values (safe against any concurrent insert); on SQLite the
    caller holds the single writer lock, so max(id) cannot move under it.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return [int(r[0]) for r in rows]
    start = int(await session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
    return list(range(start + 1, start + count + 1))


async def _finish(
    ctx: PipelineContext, provider: Provider, result: SyncResult, started: float, *, good: bool
) -> SyncResult:
    result.seconds = round(time.monotonic() - started, 3)
    # The name cache holds one parsed name per entry seen; a long-lived server gives it back.
    parse_name.cache_clear()
    values: dict[str, Any] = {
        "last_sync_at": utcnow(),
        "last_sync_status": result.status,
        "last_sync_message": result.message[:2000],
        "last_sync_counts": {
            k: getattr(result, k)
            for k in (
                "entries",
                "channels_created",
                "streams_added",
                "streams_updated",
                "streams_removed",
            )
        },
    }
    if good:
        values.update(last_good_entries=result.entries, last_good_at=utcnow())
    async with ctx.session_factory() as session, session.begin():
        await session.execute(update(Provider).where(Provider.id == provider.id).values(**values))
    await ctx.report(result.entries, result.entries or None, result.message)
    return result


async def sync_job(
    ctx: PipelineContext, *, provider_id: int, force: bool = False
) -> dict[str, Any]:
    """Job entry point: the runner stores this dict as the job's result."""
    result = await sync_provider(ctx, provider_id=provider_id, force=force)
    if result.status in ("failed", "refused"):
        raise SyncFailed(result)
    return result.as_dict()


class SyncFailed(StrmlineError):
    code = "sync_failed"

    def __init__(self, result: SyncResult) -> None:
        super().__init__(
            f"{result.provider}: {result.status}: {result.message}", details=result.as_dict()
        )
        self.result = result
