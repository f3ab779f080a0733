"""ffprobe: resolution, codec, fps and bitrate of passing streams, within a total budget."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from strmline.config import HealthSettings
from strmline.db.engine import session_scope
from strmline.matching import quality_from_label
from strmline.pipelines.health.check import CheckOutcome
from strmline.pipelines.health.state import RELEASE_DELAY, HealthRun, ProviderInfo, StreamRow
from strmline.pipelines.health.write import PROBE_UPDATE

# ffprobe reads about a second of a live stream (or 1 MB, whichever comes first): enough for
# resolution, codec and frame rate, and a live stream answers in 1-2 s instead of 3-5.
PROBE_ANALYZE_US = 1_000_000
PROBE_BYTES = 1_000_000
# Candidates kept for the probing phase; the budget reaches far fewer, the rest are skipped.
MAX_PROBE_CANDIDATES = 5000


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
        return await run_ffprobe(exe, url, seconds=seconds, user_agent=user_agent)
    except TimeoutError:
        return None


async def run_ffprobe(
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


def want_probe(run: HealthRun, row: StreamRow, info: ProviderInfo, outcome: CheckOutcome) -> None:
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


async def probe_phase(run: HealthRun) -> None:
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
                    got = await run_ffprobe(
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
            await session.execute(PROBE_UPDATE, measured)
