"""The sync run: one provider's live list through the stages, in one transaction.

:mod:`.fetch` (download, parse, guards) → :mod:`.diff` (against stored streams by key and hash)
→ :mod:`.match` (only new or renamed entries, against a channel index loaded once) →
:mod:`.write` (bulk inserts and updates, set-based recompute of counts, ranks and best streams).

Nothing is written until the fetch succeeded and passed the guards, and everything is written in
one transaction, so a failed, refused or killed sync leaves the previous data exactly as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.bulk import no_cyclic_gc
from strmline.db.errors import one_line
from strmline.db.locks import lock_catalog
from strmline.db.models import Provider
from strmline.errors import StrmlineError
from strmline.matching.names import parse_name
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.lineups import refill_after_sync
from strmline.pipelines.sync import diff as diffs
from strmline.pipelines.sync import fetch, match, write
from strmline.pipelines.sync.filter import apply as apply_group_filter
from strmline.providers import catalogue as catalogue_store
from strmline.providers.base import FetchResult, LiveItem
from strmline.services import epg_match, numbering
from strmline.services import providers as provider_service

__all__ = ["SyncFailed", "SyncResult", "sync_job", "sync_provider"]

log = logging.getLogger(__name__)


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


class SyncFailed(StrmlineError):
    code = "sync_failed"

    def __init__(self, result: SyncResult) -> None:
        super().__init__(
            f"{result.provider}: {result.status}: {result.message}", details=result.as_dict()
        )
        self.result = result


async def sync_job(
    ctx: PipelineContext, *, provider_id: int, force: bool = False
) -> dict[str, Any]:
    """Job entry point: the runner stores this dict as the job's result."""
    result = await sync_provider(ctx, provider_id=provider_id, force=force)
    if result.status in ("failed", "refused"):
        raise SyncFailed(result)
    return result.as_dict()


async def sync_provider(
    ctx: PipelineContext, *, provider_id: int, force: bool = False
) -> SyncResult:
    started = time.monotonic()
    provider = await provider_service.get_detached(ctx.session_factory, provider_id)
    result = SyncResult(provider=provider.name, provider_id=provider.id, status="failed")

    await ctx.report(0, None, f"fetching {provider.name}")
    # Read once per process, and before the list is in memory: its load peak is its own.
    await asyncio.to_thread(catalogue_store.load, ctx.settings)
    try:
        fetched = await fetch.fetch_with_progress(provider, ctx, force=force)
    except StrmlineError as exc:
        result.message = str(exc)
        details = exc.details if isinstance(exc.details, dict) else {}
        result.attempts = [{"url": u, "reason": r} for u, r in details.get("attempts", [])]
        return await _finish(ctx, provider, result, started, good=False)
    ctx.check_cancelled()

    # Movies and episodes in a live playlist belong to the VOD sync, not the channel list.
    result.vod_entries = fetch.leave_vod(provider, fetched)
    group_refusal = await apply_group_filter(ctx, provider, fetched)
    items = fetched.items
    result.entries = len(items)
    result.attempts = [{"url": u, "reason": r} for u, r in fetched.attempts]
    refusal = group_refusal or fetch.guards(provider, fetched, ctx.settings.sync, force)
    if refusal:
        result.status = "refused"
        result.message = refusal
        return await _finish(ctx, provider, result, started, good=False)

    with no_cyclic_gc():
        hashes = [diffs.item_hash(item) for item in items]
        content_hash = diffs.list_hash(zip((i.key for i in items), hashes, strict=True))
    if content_hash == provider.content_hash and not force:
        result.status = "unchanged"
        result.message = f"{len(items):,} entries, nothing changed"
        return await _finish(ctx, provider, result, started, good=True)

    await ctx.report(0, len(items), f"matching {len(items):,} entries")
    async with ctx.session_factory() as session, session.begin():
        await lock_catalog(session)
        await ctx.ensure_running(session)  # not if declared interrupted while it stalled
        with no_cyclic_gc():
            await _write(session, ctx, provider, items, hashes, result)
        await session.execute(
            update(Provider)
            .where(Provider.id == provider.id)
            .values(
                content_hash=content_hash,
                epg_url=provider.epg_url or next(iter(fetched.epg_urls), None),
            )
        )
    # The sync has committed: whatever happens to guide matching now, the status says what was
    # written, and a failure of the matching is a note on it (the next guide import retries).
    guide_error = await _match_guide(ctx, result.new_channel_ids) if result.new_channel_ids else ""
    _summarise(result, fetched)
    result.message += await refill_after_sync(ctx)
    if guide_error:
        result.message += f"; guide matching failed: {guide_error}"
    return await _finish(ctx, provider, result, started, good=True)


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
    diff = diffs.compare(await diffs.load_stored(session, provider.id), items, hashes, now)

    # Only entries the store has not seen need the matcher, so an almost-unchanged list is cheap.
    # Results line up with diff.new, then diff.rematch.
    assigned: list[match.Assigned] = []
    renumber: dict[int, tuple[float, str]] = {}
    if diff.new or diff.rematch:
        assigned, renumber = await _match(session, ctx, diff, now, result)
    elif diff.claims:
        renumber = numbering.plan(
            await numbering.load_held(session),
            diff.claims,
            [],
            start=ctx.settings.sync.auto_number_start,
        ).changes
    diff.claims.clear()
    await numbering.write_changes(session, renumber, now, batch=batch)
    write.apply_rematch(diff, assigned[len(diff.new) :])

    await ctx.report(total // 2, total, "writing streams")
    result.streams_added = await write.insert_streams(
        session, provider.id, diff.new, assigned, diff.affected, now, batch=batch
    )
    diff.new.clear()
    del assigned
    result.streams_updated = await write.update_streams(session, diff.updates, batch=batch)
    diff.updates.clear()
    result.streams_removed = await write.mark_missing(session, diff.missing, now, batch=batch)
    cutoff = now - timedelta(days=ctx.settings.sync.removed_retention_days)
    diff.affected.update(await write.purge_removed(session, provider.id, cutoff))

    await ctx.report(int(total * 0.9), total, "ranking streams")
    await recompute.channels(session, diff.affected, batch=batch)


async def _match(
    session: AsyncSession,
    ctx: PipelineContext,
    diff: diffs.StreamDiff,
    now: datetime,
    result: SyncResult,
) -> tuple[list[match.Assigned], dict[int, tuple[float, str]]]:
    """Assign every new or renamed entry a channel: an existing one, or one created here.

    Returns one assignment per entry of ``diff.new + diff.rematch``, in that order, and the
    number changes of existing channels (a ``tvg-chno`` an entry brings joins the claims).
    """
    to_match = diff.new + diff.rematch
    catalogue = await asyncio.to_thread(catalogue_store.load, ctx.settings)
    known = await match.load_known(
        session, exclude=[*diff.rematch_ids, *diff.missing], catalogue=catalogue
    )
    matched = match.assign(
        known, to_match, threshold=ctx.settings.match.threshold, catalogue=catalogue
    )
    del known
    assigned, pending = matched.assigned, matched.pending
    match.enrich(pending, catalogue)
    match.claim_numbers(to_match, assigned, diff.claims)
    search_names, numbers = await match.plan_numbers(
        session, diff.claims, pending, start=ctx.settings.sync.auto_number_start
    )
    ids = await write.create_channels(
        session, pending, search_names, numbers.new, now, batch=ctx.settings.sync.batch_size
    )
    match.resolve(matched, ids)
    # Stored streams the clustering puts in another channel move (other providers' too).
    moves: dict[int, dict[str, Any]] = {}
    for sid, (channel_id, method, confidence, reason) in matched.moves.items():
        values = diff.updates.get(sid) or moves.setdefault(sid, {"_id": sid})
        values.update(
            channel_id=channel_id,
            merge_method=method,
            merge_confidence=confidence,
            merge_reason=reason,
        )
        diff.affected.add(channel_id)
    diff.affected |= matched.left
    await write.update_streams(session, moves, batch=ctx.settings.sync.batch_size)
    result.new_channel_ids = ids
    result.channels_created = len(ids)
    return assigned, numbers.changes


async def _match_guide(ctx: PipelineContext, channel_ids: list[int]) -> str:
    """New channels get their guide now rather than at the next guide import.

    Returns "" or, when the matching failed, one line saying why (the traceback is logged).
    """
    try:
        async with ctx.session_factory() as session, session.begin():
            await epg_match.match_channels(
                session, threshold=ctx.settings.epg.fuzzy_threshold, channel_ids=channel_ids
            )
    except Exception as exc:
        log.exception("guide matching after the sync failed")
        return one_line(exc)
    return ""


def _summarise(result: SyncResult, fetched: FetchResult) -> None:
    """Status and message of a sync that got as far as writing."""
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
        await ctx.ensure_running(session)
        await session.execute(update(Provider).where(Provider.id == provider.id).values(**values))
    await ctx.report(result.entries, result.entries or None, result.message)
    return result
