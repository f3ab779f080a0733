"""The job: read each provider's streams in keyset batches, check them with bounded workers,
write results in batches, probe, then refresh channel ranks set-based."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.models.catalog import Provider, Stream
from strmline.pipelines.context import Cancelled, PipelineContext
from strmline.pipelines.health.check import check_url
from strmline.pipelines.health.probe import ffprobe_path, probe_phase, want_probe
from strmline.pipelines.health.state import (
    RELEASE_DELAY,
    HealthResult,
    HealthRun,
    ProviderInfo,
    StreamRow,
)
from strmline.pipelines.health.write import flush_results, rerank_channels
from strmline.playback.connections import ConnectionTracker, limit_from, tracker_for
from strmline.providers.http import DEFAULT_USER_AGENT


async def run_health(
    ctx: PipelineContext,
    *,
    provider_id: int | None = None,
    channel_id: int | None = None,
    stream_ids: Sequence[int] | None = None,
    due_only: bool = False,
    tracker: ConnectionTracker | None = None,
) -> HealthResult:
    """Check streams (all, one provider's, one channel's, or the given ids) and store results.

    ``due_only`` (the scheduled run) skips inactive streams whose backoff has not run out.
    """
    opts = ctx.settings.health
    started = time.perf_counter()
    now = utcnow()
    filters: list[Any] = [Stream.removed_at.is_(None)]
    if channel_id is not None:
        filters.append(Stream.channel_id == channel_id)
    if stream_ids is not None:
        filters.append(Stream.id.in_(list(stream_ids)))
    if due_only:
        filters.append(or_(Stream.next_check_at.is_(None), Stream.next_check_at <= now))
    async with ctx.session_factory() as session:
        providers = await _providers(session, provider_id)
        total = (
            await session.scalar(
                select(func.count())
                .select_from(Stream)
                .where(Stream.provider_id.in_([p.id for p in providers]), *filters)
            )
            if providers
            else 0
        )
    run = HealthRun(
        ctx=ctx,
        opts=opts,
        user_agent=ctx.settings.http.user_agent or DEFAULT_USER_AGENT,
        tracker=tracker or tracker_for(ctx.settings.redis_url, ctx.settings.jobs.redis_prefix),
        now=now,
        filters=filters,
        total=int(total or 0),
    )
    if opts.probe and opts.probe_budget_seconds > 0:
        run.ffprobe = ffprobe_path()
    await ctx.report(0, run.total, f"checking {run.total} streams")
    sem = asyncio.Semaphore(opts.concurrency)
    with _unwrap_task_group():
        async with asyncio.TaskGroup() as group:
            for info in providers:
                group.create_task(_provider_run(run, info, sem))
        await flush_results(run)
        await probe_phase(run)
    await rerank_channels(run)
    run.result.seconds = round(time.perf_counter() - started, 3)
    await ctx.report(run.done, run.total, run.result.summary())
    return run.result


@contextlib.contextmanager
def _unwrap_task_group() -> Iterator[None]:
    """Re-raise a task group's error as itself.

    The job runner records ``Cancelled`` as a cancelled job and anything else by its message;
    wrapped, both became "ExceptionGroup: unhandled errors in a TaskGroup", which says nothing.
    A cancellation wins over the errors it may have caused in sibling tasks.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        exc: BaseException = group.subgroup(lambda e: isinstance(e, Cancelled)) or group
        while isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
        raise exc from group


async def health_job(
    ctx: PipelineContext,
    *,
    provider_id: int | None = None,
    channel_id: int | None = None,
    due_only: bool = False,
) -> dict[str, Any]:
    """Job entry point (``strmline health``, POST /api/health/check, the nightly schedule)."""
    result = await run_health(
        ctx, provider_id=provider_id, channel_id=channel_id, due_only=due_only
    )
    return result.as_dict()


async def _providers(session: AsyncSession, provider_id: int | None) -> list[ProviderInfo]:
    stmt = select(
        Provider.id, Provider.max_connections, Provider.account, Provider.user_agent
    ).where(Provider.enabled.is_(True))
    if provider_id is not None:
        stmt = stmt.where(Provider.id == provider_id)
    rows = await session.execute(stmt.order_by(Provider.id))
    return [
        ProviderInfo(pid, limit_from(max_conn, account), agent)
        for pid, max_conn, account, agent in rows
    ]


def _batch_query(run: HealthRun, provider_id: int, after: int) -> Select[Any]:
    return (
        select(
            Stream.id,
            Stream.channel_id,
            Stream.url,
            Stream.headers,
            Stream.active,
            Stream.consecutive_failures,
            Stream.probed_at,
        )
        .where(and_(Stream.provider_id == provider_id, Stream.id > after, *run.filters))
        .order_by(Stream.id)
        .limit(run.opts.batch_size)
    )


async def _provider_run(run: HealthRun, info: ProviderInfo, sem: asyncio.Semaphore) -> None:
    workers = min(info.limit or run.opts.concurrency, run.opts.concurrency)
    queue: asyncio.Queue[StreamRow | None] = asyncio.Queue(maxsize=run.opts.batch_size)
    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(_worker(run, info, queue, sem))
        after = 0
        while True:
            async with run.ctx.session_factory() as session:
                rows = (await session.execute(_batch_query(run, info.id, after))).all()
            for sid, channel_id, url, headers, active, failures, probed_at in rows:
                await queue.put(
                    StreamRow(
                        sid,
                        info.id,
                        channel_id,
                        url,
                        _headers(headers, info.user_agent),
                        bool(active),
                        int(failures or 0),
                        probed_at,
                    )
                )
            if len(rows) < run.opts.batch_size:
                break
            after = rows[-1][0]
        for _ in range(workers):
            await queue.put(None)


def _headers(raw: Any, user_agent: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(value, str) and key.lower() in ("user-agent", "referer", "origin"):
                headers[key] = value
            elif isinstance(value, str) and key in ("user_agent", "referrer"):
                headers["User-Agent" if key == "user_agent" else "Referer"] = value
    if user_agent and not any(k.lower() == "user-agent" for k in headers):
        headers["User-Agent"] = user_agent
    return headers


async def _worker(
    run: HealthRun,
    info: ProviderInfo,
    queue: asyncio.Queue[StreamRow | None],
    sem: asyncio.Semaphore,
) -> None:
    opts = run.opts
    while (row := await queue.get()) is not None:
        run.ctx.check_cancelled()
        if info.busy:
            run.result.skipped += 1
            continue
        async with sem:
            lease = await run.tracker.wait(
                info.id, "health", info.limit, wait_seconds=opts.timeout * 2
            )
            if lease is None:
                info.busy = True
                run.result.skipped += 1
                continue
            try:
                outcome = await check_url(
                    row.url,
                    headers=row.headers,
                    seconds=opts.timeout,
                    connect_timeout=opts.connect_timeout,
                    user_agent=run.user_agent,
                )
                if info.limit is not None:
                    # A provider counts a connection until it notices the close; reusing the
                    # slot at once would exceed a strict limit from the provider's side.
                    await asyncio.sleep(RELEASE_DELAY)
            finally:
                lease.release()
        run.pending.append((row, outcome))
        want_probe(run, row, info, outcome)
        run.done += 1
        if run.done % 200 == 0:
            await run.ctx.report(run.done, run.total, f"checked {run.done} of {run.total}")
        # One writer at a time, and only full batches: workers that finished while a batch was
        # being written must not each flush the few rows they added (statements ∝ batches).
        if len(run.pending) >= opts.batch_size and not run.write_lock.locked():
            await flush_results(run, min_rows=opts.batch_size)
