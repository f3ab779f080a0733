"""Health checks: does each stream answer with video, how fast, and what is it really?

A check reads only the first bytes: MPEG-TS must show sync bytes; an HLS master leads to its best
variant, the variant's media playlist to its first segment, and that segment must be TS. Anything
else (an HTML login page, a JSON error, an HTTP error status, a timeout, silence) is a failure
with a short reason. Results are kept per stream; after ``failures_to_deactivate`` failures in a
row a stream goes inactive and is rechecked with backoff (1 h, 6 h, 24 h …), never forgotten.

Bounded everywhere (DESIGN §5 rule 6): a global semaphore, per-provider workers no more than the
account allows, and the process's :mod:`connection tracker <strmline.playback.connections>` so a
check never takes the slot a viewer needs. Streams are read per provider in keyset batches and
results written back in batches of executemany UPDATEs (rule 4), so the statement count follows
the batch count, not the stream count; ranks and channel counts are then refreshed set-based.

ffprobe runs after the checks, only on streams that passed and were not probed lately, within a
total budget (``probe_budget_per_stream`` × streams, at most ``probe_budget_seconds``): a live
stream that never lets ffprobe finish must not hold a check for minutes. Probes the budget does
not reach are counted as skipped, never as failures.

A stream's ``status`` is ``unknown`` until a check has run: only ``ok`` and ``slow`` (see
:func:`is_working`) mean a check saw video.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Select, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import HealthSettings
from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models.catalog import Provider, Stream
from strmline.formats.media import best_variant, media_type, parse_playlist, sniff
from strmline.matching import quality_from_label
from strmline.pipelines.context import Cancelled, PipelineContext
from strmline.playback.connections import ConnectionTracker, limit_from
from strmline.playback.connections import tracker as default_tracker
from strmline.playback.failures import backoff
from strmline.providers import probe_http
from strmline.providers.http import DEFAULT_USER_AGENT

log = logging.getLogger(__name__)

HEAD_BYTES = 4096  # enough for three TS packets at any offset, and a sniff of anything else
PLAYLIST_BYTES = 256 * 1024  # a playlist bigger than this is not one worth following
MAX_HOPS = 3  # master → media playlist → segment
RELEASE_DELAY = 0.25  # seconds a closed connection still counts, for providers with a limit
# ffprobe reads about a second of a live stream (or 1 MB, whichever comes first): enough for
# resolution, codec and frame rate, and a live stream answers in 1-2 s instead of 3-5.
PROBE_ANALYZE_US = 1_000_000
PROBE_BYTES = 1_000_000
# Candidates kept for the probing phase; the budget reaches far fewer, the rest are skipped.
MAX_PROBE_CANDIDATES = 5000

# Stream.status values. UNKNOWN (never checked, or not checked since it appeared) is not working.
STATUS_UNKNOWN = "unknown"
STATUS_OK = "ok"
STATUS_SLOW = "slow"
STATUS_FAILED = "failed"
STATUSES = (STATUS_OK, STATUS_SLOW, STATUS_FAILED, STATUS_UNKNOWN)
WORKING_STATUSES = frozenset({STATUS_OK, STATUS_SLOW})


def is_working(status: str | None) -> bool:
    """True only when a check saw video: ``unknown``, ``failed`` and anything else are not."""
    return status in WORKING_STATUSES


# ---- one check --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    ok: bool
    response_ms: int | None = None
    reason: str | None = None
    kind: str | None = None  # ts | hls


def _fail(reason: str) -> CheckOutcome:
    return CheckOutcome(False, reason=reason[:300])


async def check_url(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    seconds: float,
    connect_timeout: float | None = None,
    user_agent: str | None = None,
) -> CheckOutcome:
    """Fetch the first bytes of ``url`` (following HLS down to a segment) within ``seconds``.

    Plain asyncio HTTP (:mod:`~strmline.providers.probe_http`), not httpx: a check is one GET
    read for a few kilobytes, and httpx's per-request CPU made large runs CPU-bound.
    """
    started = time.perf_counter()
    try:
        return await _check(
            url,
            headers or {},
            started,
            started + seconds,
            connect_timeout,
            user_agent,
            hops=0,
        )
    except probe_http.ProbeTimeout as exc:
        # Every hop shares one budget: when it runs out, the budget is the reason to show.
        return _fail(f"timeout after {seconds:g} s" if exc.total else str(exc))
    except probe_http.ProbeError as exc:
        return _fail(str(exc))


async def _check(
    url: str,
    headers: dict[str, str],
    started: float,
    deadline: float,
    connect_timeout: float | None,
    user_agent: str | None,
    hops: int,
) -> CheckOutcome:
    left = deadline - time.perf_counter()
    if left <= 0:
        raise probe_http.ProbeTimeout(deadline - started, "following HLS", total=True)
    async with probe_http.stream(
        url,
        headers=headers,
        user_agent=user_agent,
        seconds=left,
        connect_timeout=connect_timeout,
    ) as response:
        if response.status >= 400:
            return _fail(f"HTTP {response.status}")
        ctype = response.headers.get("content-type")
        head = await response.read(HEAD_BYTES)
        kind = sniff(ctype, head)
        if kind == "ts":
            elapsed = int((time.perf_counter() - started) * 1000)
            return CheckOutcome(True, response_ms=elapsed, kind="hls" if hops else "ts")
        if kind != "hls":
            if kind == "empty":
                return _fail("empty response")
            if kind == "binary":
                return _fail(f"no MPEG-TS sync bytes ({media_type(ctype)})")
            shown = media_type(ctype) if ctype else {"html": "text/html"}.get(kind, kind)
            return _fail(f"not a media stream: {shown}")
        if hops >= MAX_HOPS:
            return _fail("HLS: too many nested playlists")
        body = head
        if len(body) >= HEAD_BYTES:
            body += await response.read(PLAYLIST_BYTES - len(body))
        base = response.final_url
    playlist = parse_playlist(body.decode("utf-8", "replace"), base)
    if playlist.is_master:
        variant = best_variant(playlist.variants)
        assert variant is not None
        next_url = variant.url
    elif playlist.segments:
        next_url = playlist.segments[0]
    else:
        return _fail("HLS: playlist without segments")
    return await _check(next_url, headers, started, deadline, connect_timeout, user_agent, hops + 1)


# ---- ffprobe ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeInfo:
    width: int | None
    height: int | None
    codec: str | None
    fps: float | None
    bitrate: int | None


def ffprobe_path() -> str | None:
    return shutil.which("ffprobe")


async def probe(
    url: str, *, seconds: float, user_agent: str | None = None, binary: str | None = None
) -> ProbeInfo | None:
    """Resolution, codec, fps and bitrate of the first video stream; None when unknown."""
    exe = binary or ffprobe_path()
    if exe is None:
        return None
    try:
        return await _ffprobe(exe, url, seconds=seconds, user_agent=user_agent)
    except TimeoutError:
        return None


async def _ffprobe(
    exe: str, url: str, *, seconds: float, user_agent: str | None
) -> ProbeInfo | None:
    """One ffprobe run; TimeoutError (the process killed) when it takes more than ``seconds``."""
    args = [
        exe,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_entries",
        "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,bit_rate"
        ":format=bit_rate",
        "-analyzeduration",
        str(PROBE_ANALYZE_US),
        "-probesize",
        str(PROBE_BYTES),
        "-rw_timeout",
        str(max(int(seconds * 1_000_000), 1)),
    ]
    if user_agent and url.startswith("http"):
        args += ["-user_agent", user_agent]
    args.append(url)
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(seconds):
            out, _ = await proc.communicate()
    finally:
        # On timeout or cancellation: a stuck ffprobe keeps its provider connection open.
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        return None
    return parse_ffprobe(out)


def parse_ffprobe(out: bytes) -> ProbeInfo | None:
    try:
        data = orjson.loads(out)
    except orjson.JSONDecodeError:
        return None
    video = next(
        (
            s
            for s in data.get("streams") or []
            if s.get("codec_type") == "video" and s.get("height")
        ),
        None,
    )
    if video is None:
        return None
    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    bitrate = _int(video.get("bit_rate")) or _int((data.get("format") or {}).get("bit_rate"))
    return ProbeInfo(
        width=_int(video.get("width")),
        height=_int(video.get("height")),
        codec=(str(video.get("codec_name")) or None) if video.get("codec_name") else None,
        fps=round(fps, 2) if fps else None,
        bitrate=bitrate,
    )


def _int(value: Any) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def _rate(value: Any) -> float | None:
    if not isinstance(value, str) or "/" not in value:
        return None
    num, _, den = value.partition("/")
    try:
        rate = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    return rate if 0 < rate < 1000 else None


def probe_values(info: ProbeInfo) -> dict[str, Any]:
    """Columns a probe replaces: measured quality beats the guess from the name."""
    codec = (info.codec or "").lower()
    label_codec = {"h264": "H264", "hevc": "HEVC", "h265": "HEVC", "av1": "AV1"}.get(codec, "")
    label = " ".join(
        part
        for part in (
            f"{info.height}p" if info.height else "",
            label_codec,
            f"{round(info.fps)}fps" if info.fps else "",
        )
        if part
    )
    quality = quality_from_label(label)
    return {
        "height": info.height,
        "codec": (info.codec or None) and info.codec[:16],
        "fps": info.fps,
        "bitrate": info.bitrate,
        "quality": quality.label or None,
        "quality_score": quality.score,
    }


# ---- a run ------------------------------------------------------------------------------------


@dataclass
class HealthResult:
    checked: int = 0
    ok: int = 0
    slow: int = 0
    failed: int = 0
    skipped: int = 0  # provider busy with viewers: not checked, nothing written (stays unknown)
    reactivated: int = 0
    deactivated: int = 0
    probed: int = 0  # ffprobe measured the stream
    probe_failed: int = 0  # ffprobe ran to its own timeout or found no video
    probe_skipped: int = 0  # the probing budget ran out (or the provider was busy) first
    probe_seconds: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}

    def summary(self) -> str:
        """One line for the job's message, e.g. ``checked 110: 96 ok, 3 slow, 11 failed
        (2 deactivated, 1 reactivated), probed 20 in 8.1s; 41.2s``."""
        text = (
            f"checked {self.checked}: {self.ok} ok, {self.slow} slow, {self.failed} failed "
            f"({self.deactivated} deactivated, {self.reactivated} reactivated)"
        )
        if self.skipped:
            text += f", {self.skipped} not checked (provider busy)"
        if self.probed or self.probe_failed or self.probe_skipped:
            text += f", probed {self.probed}"
            if self.probe_failed:
                text += f" ({self.probe_failed} without an answer)"
            if self.probe_skipped:
                text += f", {self.probe_skipped} probes skipped"
            text += f" in {self.probe_seconds:.1f}s"
        return f"{text}; {self.seconds:.1f}s"


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    provider_id: int
    channel_id: int
    url: str
    headers: dict[str, str]
    active: bool
    failures: int
    probed_at: datetime | None


@dataclass
class _ProviderInfo:
    id: int
    limit: int | None
    user_agent: str | None
    busy: bool = False  # a slot wait timed out: viewers hold the account, skip the rest


@dataclass
class _Run:
    ctx: PipelineContext
    opts: HealthSettings
    user_agent: str
    tracker: ConnectionTracker
    now: datetime
    filters: list[Any]
    total: int
    result: HealthResult = field(default_factory=HealthResult)
    pending: list[tuple[_Row, CheckOutcome]] = field(default_factory=list)
    channels: set[int] = field(default_factory=set)
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: int = 0
    ffprobe: str | None = None
    to_probe: list[tuple[_Row, _ProviderInfo]] = field(default_factory=list)


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
    run = _Run(
        ctx=ctx,
        opts=opts,
        user_agent=ctx.settings.http.user_agent or DEFAULT_USER_AGENT,
        tracker=tracker or default_tracker,
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
        await _flush(run)
        await _probe_phase(run)
    if run.channels:
        async with session_scope(ctx.session_factory) as session:
            await recompute.channels(session, run.channels)
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


async def _providers(session: AsyncSession, provider_id: int | None) -> list[_ProviderInfo]:
    stmt = select(
        Provider.id, Provider.max_connections, Provider.account, Provider.user_agent
    ).where(Provider.enabled.is_(True))
    if provider_id is not None:
        stmt = stmt.where(Provider.id == provider_id)
    rows = await session.execute(stmt.order_by(Provider.id))
    return [
        _ProviderInfo(pid, limit_from(max_conn, account), agent)
        for pid, max_conn, account, agent in rows
    ]


def _batch_query(run: _Run, provider_id: int, after: int) -> Select[Any]:
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


async def _provider_run(run: _Run, info: _ProviderInfo, sem: asyncio.Semaphore) -> None:
    workers = min(info.limit or run.opts.concurrency, run.opts.concurrency)
    queue: asyncio.Queue[_Row | None] = asyncio.Queue(maxsize=run.opts.batch_size)
    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(_worker(run, info, queue, sem))
        after = 0
        while True:
            async with run.ctx.session_factory() as session:
                rows = (await session.execute(_batch_query(run, info.id, after))).all()
            for sid, channel_id, url, headers, active, failures, probed_at in rows:
                await queue.put(
                    _Row(
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
    run: _Run,
    info: _ProviderInfo,
    queue: asyncio.Queue[_Row | None],
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
        _want_probe(run, row, info, outcome)
        run.done += 1
        if run.done % 200 == 0:
            await run.ctx.report(run.done, run.total, f"checked {run.done} of {run.total}")
        # One writer at a time, and only full batches: workers that finished while a batch was
        # being written must not each flush the few rows they added (statements ∝ batches).
        if len(run.pending) >= opts.batch_size and not run.write_lock.locked():
            await _flush(run, min_rows=opts.batch_size)


def _want_probe(run: _Run, row: _Row, info: _ProviderInfo, outcome: CheckOutcome) -> None:
    """Queue ``row`` for the probing phase: only streams that just passed, not probed lately."""
    if not outcome.ok or run.ffprobe is None:
        return
    if row.probed_at is not None and run.now - row.probed_at < timedelta(
        days=run.opts.probe_max_age_days
    ):
        return
    if len(run.to_probe) >= MAX_PROBE_CANDIDATES:
        run.result.probe_skipped += 1
        return
    run.to_probe.append((row, info))


def probe_budget(opts: HealthSettings, streams: int) -> float:
    """Seconds the probing phase of a run with ``streams`` candidates may take, in all."""
    return min(opts.probe_budget_per_stream * streams, opts.probe_budget_seconds)


async def _probe_phase(run: _Run) -> None:
    """ffprobe the queued streams, ``probe_concurrency`` at a time, until the budget runs out.

    Each probe gets ``probe_timeout`` or what is left of the budget, whichever is less, and is
    killed when that passes, so the phase ends at its deadline whatever the streams do.
    """
    jobs, run.to_probe = run.to_probe, []
    if not jobs or run.ffprobe is None:
        return
    opts, res, exe = run.opts, run.result, run.ffprobe
    loop = asyncio.get_running_loop()
    budget = probe_budget(opts, len(jobs))
    started = loop.time()
    deadline = started + budget
    await run.ctx.report(
        run.done, run.total, f"probing {len(jobs)} streams with ffprobe (at most {budget:g}s)"
    )
    measured: list[dict[str, Any]] = []
    queue = iter(jobs)

    async def prober() -> None:
        for row, info in queue:
            run.ctx.check_cancelled()
            left = deadline - loop.time()
            if left <= 0:
                res.probe_skipped += 1
                continue
            lease = await run.tracker.wait(info.id, "health", info.limit, wait_seconds=left)
            if lease is None:
                res.probe_skipped += 1
                continue
            try:
                allowed = min(opts.probe_timeout, deadline - loop.time())
                if allowed <= 0:
                    res.probe_skipped += 1
                    continue
                try:
                    got = await _ffprobe(
                        exe, row.url, seconds=allowed, user_agent=row.headers.get("User-Agent")
                    )
                except TimeoutError:
                    # Cut off by the budget rather than by its own limit: not the stream's fault.
                    if allowed < opts.probe_timeout:
                        res.probe_skipped += 1
                    else:
                        res.probe_failed += 1
                    continue
            finally:
                try:
                    if info.limit is not None:
                        # As for checks: the provider still counts the connection a moment.
                        await asyncio.sleep(min(RELEASE_DELAY, max(deadline - loop.time(), 0)))
                finally:
                    lease.release()
            if got is None:
                res.probe_failed += 1
            else:
                res.probed += 1
                measured.append({"sid": row.id, "now": run.now, **probe_values(got)})

    async with asyncio.TaskGroup() as group:
        for _ in range(min(opts.probe_concurrency, len(jobs))):
            group.create_task(prober())
    res.probe_seconds = round(loop.time() - started, 3)
    if measured:
        async with session_scope(run.ctx.session_factory) as session:
            await session.execute(_PROBE_UPDATE, measured)


# Core statements on the table: ORM "bulk update by primary key" would refuse a WHERE clause,
# and these are plain executemany UPDATEs (one round trip per batch).
_STREAMS = cast(Table, Stream.__table__)
_OK_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        status=bindparam("status"),
        active=True,
        consecutive_failures=0,
        checked_at=bindparam("now"),
        ok_at=bindparam("now"),
        next_check_at=None,
        response_ms=bindparam("ms"),
        failure_reason=None,
    )
)
_FAIL_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        status=STATUS_FAILED,
        active=bindparam("active"),
        consecutive_failures=bindparam("failures"),
        checked_at=bindparam("now"),
        next_check_at=bindparam("next_at"),
        failure_reason=bindparam("reason"),
    )
)
_PROBE_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        height=bindparam("height"),
        codec=bindparam("codec"),
        fps=bindparam("fps"),
        bitrate=bindparam("bitrate"),
        quality=bindparam("quality"),
        quality_score=bindparam("quality_score"),
        probed_at=bindparam("now"),
    )
)


async def _flush(run: _Run, *, min_rows: int = 1) -> None:
    """Write the buffered results: at most two executemany UPDATEs, whatever the batch size."""
    async with run.write_lock:
        if len(run.pending) < min_rows:
            return
        pending, run.pending = run.pending, []
        opts, res, now = run.opts, run.result, run.now
        oks: list[dict[str, Any]] = []
        fails: list[dict[str, Any]] = []
        for row, outcome in pending:
            res.checked += 1
            run.channels.add(row.channel_id)
            if outcome.ok:
                slow = (outcome.response_ms or 0) > opts.slow_ms
                res.slow += slow
                res.ok += not slow
                res.reactivated += not row.active
                oks.append(
                    {
                        "sid": row.id,
                        "status": STATUS_SLOW if slow else STATUS_OK,
                        "now": now,
                        "ms": outcome.response_ms,
                    }
                )
            else:
                res.failed += 1
                failures = row.failures + 1
                active = row.active and failures < opts.failures_to_deactivate
                res.deactivated += row.active and not active
                fails.append(
                    {
                        "sid": row.id,
                        "active": active,
                        "failures": failures,
                        "now": now,
                        "next_at": None if active else now + backoff(opts, failures),
                        "reason": outcome.reason,
                    }
                )
        async with session_scope(run.ctx.session_factory) as session:
            for stmt, params in ((_OK_UPDATE, oks), (_FAIL_UPDATE, fails)):
                if params:
                    await session.execute(stmt, params)


__all__ = [
    "STATUSES",
    "STATUS_UNKNOWN",
    "WORKING_STATUSES",
    "CheckOutcome",
    "HealthResult",
    "ProbeInfo",
    "backoff",
    "check_url",
    "health_job",
    "is_working",
    "parse_ffprobe",
    "probe",
    "probe_budget",
    "probe_values",
    "run_health",
]
