"""Health checks against the fake provider, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvloop
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.engine import create_engine, make_session_factory, session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import FakeProviderServer
from strmline.jobs.runtime import JobRuntime
from strmline.pipelines.context import Cancelled, PipelineContext
from strmline.pipelines.health import (
    STATUS_UNKNOWN,
    STATUSES,
    health_job,
    is_working,
    probe,
    run_health,
)
from strmline.pipelines.sync import sync_provider
from strmline.playback.connections import ConnectionTracker
from strmline.services import providers as provider_service
from tests.dbutil import StatementCounter, truncate_all

pytestmark = pytest.mark.timeout(30)

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")


def make_ctx(
    factory: async_sessionmaker[AsyncSession], tmp_path: Path, **health: Any
) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path,
        http={"timeout": 5, "connect_timeout": 2},
        health={
            "timeout": 1.5,
            "connect_timeout": 1.0,
            "slow_ms": 700,
            "probe": False,
            "concurrency": 20,
            **health,
        },
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def synced_globex(
    factory: async_sessionmaker[AsyncSession], server: FakeProviderServer, tmp_path: Path, **kw: Any
) -> tuple[int, dict[int, int]]:
    """Sync the globex Xtream account; returns the provider id and fake stream id → stream row id."""
    account = server.account("globex")
    spec = provider_service.ProviderCreate(
        name="xc-globex",
        kind="xtream",
        url=server.url,
        username="globex",
        password=account.password,
        **kw,
    )
    async with session_scope(factory) as session:
        pid = (await provider_service.create(session=session, spec=spec)).id
    result = await sync_provider(make_ctx(factory, tmp_path), provider_id=pid)
    assert result.status == "ok", result.message
    async with factory() as s:
        rows = (await s.execute(select(Stream.provider_key, Stream.id))).all()
    return pid, {int(key): sid for key, sid in rows}


async def stream(factory: async_sessionmaker[AsyncSession], sid: int) -> Stream:
    async with factory() as s:
        row = await s.get(Stream, sid)
        assert row is not None
        return row


async def test_health_check_classifies_faults(fake_provider, session_factory, tmp_path) -> None:
    _, ids = await synced_globex(session_factory, fake_provider, tmp_path)
    fake_ids = sorted(ids)
    dead, hang, html, err, slow, flap, good = fake_ids[:7]
    faults = fake_provider.faults
    faults.stream(dead, "dead")
    faults.stream(hang, "hang")
    faults.stream(html, "html")
    faults.stream(err, "http_503")
    faults.stream(slow, "slow", delay=0.9)
    faults.stream(flap, "flapping")
    ctx = make_ctx(session_factory, tmp_path)
    result = await run_health(ctx, stream_ids=[ids[i] for i in fake_ids[:7]])
    assert result.checked == 7
    assert (result.ok, result.slow, result.failed) == (1, 1, 5)  # flapping fails its 1st request

    expect = {
        dead: ("failed", "HTTP 404"),
        hang: ("failed", "timeout after 1.5 s"),
        html: ("failed", "not a media stream: text/html"),
        err: ("failed", "HTTP 503"),
        flap: ("failed", "HTTP 503"),
        slow: ("slow", None),
        good: ("ok", None),
    }
    for fid, (status, reason) in expect.items():
        row = await stream(session_factory, ids[fid])
        assert (row.status, row.failure_reason) == (status, reason), fid
        assert row.checked_at is not None
        assert row.active  # one failure does not deactivate
    good_row = await stream(session_factory, ids[good])
    assert good_row.ok_at is not None and good_row.response_ms is not None
    assert good_row.consecutive_failures == 0
    assert (await stream(session_factory, ids[dead])).consecutive_failures == 1
    # Flapping: the second request works, and a success resets the failure count.
    again = await run_health(ctx, stream_ids=[ids[flap]])
    assert again.ok == 1
    assert (await stream(session_factory, ids[flap])).consecutive_failures == 0


async def test_health_backoff_deactivates_and_reactivates(
    fake_provider, session_factory, tmp_path
) -> None:
    _, ids = await synced_globex(session_factory, fake_provider, tmp_path)
    fid = sorted(ids)[0]
    sid = ids[fid]
    fault = fake_provider.faults.stream(fid, "dead")
    ctx = make_ctx(session_factory, tmp_path)
    for n in (1, 2):
        r = await run_health(ctx, stream_ids=[sid])
        assert r.failed == 1 and r.deactivated == 0
        assert (await stream(session_factory, sid)).next_check_at is None, n
    r = await run_health(ctx, stream_ids=[sid])
    assert r.deactivated == 1
    row = await stream(session_factory, sid)
    assert not row.active and row.consecutive_failures == 3
    assert row.next_check_at is not None
    assert timedelta(minutes=59) < row.next_check_at - row.checked_at <= timedelta(hours=1)
    async with session_factory() as s:
        channel = await s.get(Channel, row.channel_id)
        assert channel is not None and channel.active_stream_count == channel.stream_count - 1

    # Not due yet: the scheduled run leaves it alone but checks the rest.
    due = await run_health(ctx, channel_id=row.channel_id, due_only=True)
    assert (await stream(session_factory, sid)).consecutive_failures == 3
    assert due.checked == (await _channel_streams(session_factory, row.channel_id)) - 1

    # Due again and still dead: the next backoff step.
    await _make_due(session_factory, sid)
    r = await run_health(ctx, due_only=True, stream_ids=[sid])
    assert r.failed == 1 and r.deactivated == 0
    row = await stream(session_factory, sid)
    assert row.next_check_at is not None
    assert row.next_check_at - row.checked_at == timedelta(hours=6)
    await _make_due(session_factory, sid)
    await run_health(ctx, due_only=True, stream_ids=[sid])
    await _make_due(session_factory, sid)
    await run_health(ctx, due_only=True, stream_ids=[sid])
    row = await stream(session_factory, sid)
    assert row.next_check_at is not None
    assert row.next_check_at - row.checked_at == timedelta(hours=24)  # the last step repeats

    # Back on its feet: one success reactivates.
    fake_provider.faults.remove(fault)
    await _make_due(session_factory, sid)
    r = await run_health(ctx, due_only=True, stream_ids=[sid])
    assert r.reactivated == 1 and r.ok == 1
    row = await stream(session_factory, sid)
    assert row.active and row.status == "ok" and row.next_check_at is None
    assert row.consecutive_failures == 0 and row.failure_reason is None
    async with session_factory() as s:
        channel = await s.get(Channel, row.channel_id)
        assert channel is not None and channel.active_stream_count == channel.stream_count


async def _make_due(factory: async_sessionmaker[AsyncSession], sid: int) -> None:
    async with session_scope(factory) as s:
        await s.execute(
            update(Stream)
            .where(Stream.id == sid)
            .values(next_check_at=utcnow() - timedelta(seconds=1))
        )


async def _channel_streams(factory: async_sessionmaker[AsyncSession], channel_id: int) -> int:
    async with factory() as s:
        n = await s.scalar(
            select(func.count()).select_from(Stream).where(Stream.channel_id == channel_id)
        )
    return int(n or 0)


async def test_health_respects_provider_connection_limit(
    fake_provider, session_factory, tmp_path
) -> None:
    pid, ids = await synced_globex(session_factory, fake_provider, tmp_path, max_connections=2)
    ctx = make_ctx(session_factory, tmp_path, concurrency=50)
    fake_provider.stats.reset()
    # A limited provider's checks are paced (a closed connection still counts for a moment),
    # so a sample keeps this test short.
    sample = [ids[f] for f in sorted(ids)[:14]]
    result = await run_health(ctx, provider_id=pid, stream_ids=sample)
    assert result.checked == len(sample)
    assert fake_provider.stats.max_open_streams["globex"] == 2

    # The Xtream account's own answer wins over the column, and a viewer's slot is respected:
    # limit 3, one viewer → health uses at most one connection (one slot stays free).
    async with session_scope(session_factory) as s:
        await s.execute(
            update(Provider)
            .where(Provider.id == pid)
            .values(account={"max_connections": "3"}, max_connections=50)
        )
    tracker = ConnectionTracker()
    viewer = tracker.acquire(pid, "view", 3)
    assert viewer is not None
    fake_provider.stats.reset()
    result = await run_health(ctx, provider_id=pid, tracker=tracker, stream_ids=sample[:6])
    viewer.release()
    assert result.checked == 6
    assert fake_provider.stats.max_open_streams["globex"] == 1


async def _bulk_streams(
    factory: async_sessionmaker[AsyncSession], server: FakeProviderServer, n: int
) -> int:
    """``n`` streams on 50 channels, pointing at real and missing fake streams (mixed results)."""
    live = sorted(server.account("acme").catalog.live)
    async with session_scope(factory) as s:
        pid = (
            await s.execute(
                insert(Provider)
                .values(name=f"bulk{n}", kind="m3u", url=server.url, backup_urls=[])
                .returning(Provider.id)
            )
        ).scalar_one()
        channel_ids = (
            (
                await s.execute(
                    insert(Channel).returning(Channel.id),
                    [
                        {"name": f"C{i}", "search_name": f"c{i}", "match_key": f"c{i}"}
                        for i in range(50)
                    ],
                )
            )
            .scalars()
            .all()
        )
        await s.execute(
            insert(Stream),
            [
                {
                    "provider_id": pid,
                    "channel_id": channel_ids[i % 50],
                    "provider_key": f"k{i}",
                    "name": f"S{i}",
                    "url": server.stream_url(live[i % len(live)] if i % 2 else 999_999, "acme"),
                    "content_hash": "x",
                }
                for i in range(n)
            ],
        )
    return pid


async def test_health_statements_do_not_grow_with_streams(
    fake_provider, session_factory, engine: AsyncEngine, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path, concurrency=100, batch_size=2000)
    counts = []
    for n in (100, 1000):
        pid = await _bulk_streams(session_factory, fake_provider, n)
        with StatementCounter(engine) as counter:
            result = await run_health(ctx, provider_id=pid)
        assert result.checked == n
        assert result.failed == n // 2  # stream 999999 does not exist: HTTP 404
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20


@pytest.fixture(scope="session")
def test_ts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if FFMPEG is None:
        pytest.skip("ffmpeg not installed (/usr/bin/ffmpeg): real TS test streams skipped")
    out = tmp_path_factory.mktemp("media") / "test.ts"
    subprocess.run(
        [
            FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
            "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
            "-f", "mpegts", str(out),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return out


async def test_health_real_ts_and_hls_with_ffprobe(
    fake_provider, session_factory, tmp_path, test_ts: Path
) -> None:
    if FFPROBE is None:
        pytest.skip("ffprobe not installed")
    fake_provider.options.ts_file = test_ts
    _, ids = await synced_globex(session_factory, fake_provider, tmp_path)
    catalog = fake_provider.account("globex").catalog
    master = next(c.stream_id for c in catalog.live.values() if c.hls_master)
    plain_ts = next(c.stream_id for c in catalog.live.values() if not c.hls_master)
    hls_url = fake_provider.stream_url(master, "globex", ext="m3u8")
    media_url = fake_provider.stream_url(plain_ts, "globex", ext="m3u8")
    async with session_scope(session_factory) as s:
        await s.execute(update(Stream).where(Stream.id == ids[master]).values(url=hls_url))
        # One more stream: a media playlist (no master) on the same channel.
        await s.execute(update(Stream).where(Stream.id == ids[plain_ts]).values(url=media_url))
    ctx = make_ctx(session_factory, tmp_path, probe=True, timeout=4, probe_timeout=8)
    target = [ids[master], ids[plain_ts], ids[sorted(ids)[0]]]
    result = await run_health(ctx, stream_ids=target)
    assert result.failed == 0, result
    assert result.probed >= 1
    probed = await stream(session_factory, ids[sorted(ids)[0]])
    assert probed.status in ("ok", "slow")
    assert probed.height == 240 and probed.codec == "h264"
    assert probed.quality == "SD" and probed.fps == 25
    assert probed.probed_at is not None
    for fid in (master, plain_ts):
        row = await stream(session_factory, ids[fid])
        assert row.status in ("ok", "slow") and row.response_ms is not None


async def test_health_small_batches_write_whole_batches(
    fake_provider, session_factory, engine: AsyncEngine, tmp_path
) -> None:
    # Fast checks finish while a batch is being written; each of those workers must not then
    # write its own tiny batch (the statement count would follow the stream count again).
    ctx = make_ctx(session_factory, tmp_path, concurrency=100, batch_size=50)
    n = 1000
    pid = await _bulk_streams(session_factory, fake_provider, n)
    with StatementCounter(engine) as counter:
        result = await run_health(ctx, provider_id=pid)
    assert result.checked == n and result.failed == n // 2
    batches = n // 50
    # Per batch: one keyset read and at most two executemany UPDATEs; then a few set-based ones.
    assert counter.count <= 3 * (batches + 1) + 10, counter.count


# ---- ffprobe: only passing streams, a total budget, killed on timeout --------------------------


def ffprobe_children() -> list[int]:
    """Our ffprobe child processes still alive (or not yet reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if comm.endswith("(ffprobe") and int(rest.split()[1]) == os.getpid():
            found.append(int(entry.name))
    return found


async def trickling_streams(
    factory: async_sessionmaker[AsyncSession], server: FakeProviderServer, tmp_path: Path
) -> tuple[list[int], int]:
    """Eight streams whose check passes but which ffprobe never finishes, and one dead one.

    Synthetic TS packets at ~5 kB/s: sync bytes (a check only needs 4 KB) but never the
    megabyte or the video ffprobe waits for.
    """
    if FFPROBE is None:
        pytest.skip("ffprobe not installed")
    server.options.bitrate = 2000
    _, ids = await synced_globex(factory, server, tmp_path)
    fids = sorted(ids)
    server.faults.stream(fids[0], "dead")
    return [ids[f] for f in fids[1:9]], ids[fids[0]]


async def test_probe_budget_bounds_the_probing_phase(
    fake_provider, session_factory, tmp_path
) -> None:
    live, dead = await trickling_streams(session_factory, fake_provider, tmp_path)
    ctx = make_ctx(
        session_factory,
        tmp_path,
        probe=True,
        timeout=3,
        probe_timeout=20,
        probe_concurrency=4,
        probe_budget_per_stream=0.25,
        probe_budget_seconds=30,
    )
    budget = 0.25 * len(live)  # the dead stream is never probed, so it adds no budget
    t0 = time.perf_counter()
    result = await run_health(ctx, stream_ids=[*live, dead])
    elapsed = time.perf_counter() - t0
    assert result.failed == 1 and result.ok + result.slow == len(live), result
    # Out of budget is not the stream's fault: skipped, not failed, and nothing written.
    assert (result.probed, result.probe_failed, result.probe_skipped) == (0, 0, len(live))
    assert result.probe_seconds <= budget + 0.5, result
    assert elapsed < 3 + budget + 2, elapsed
    assert ffprobe_children() == []
    for sid in live:
        assert (await stream(session_factory, sid)).probed_at is None
    assert f"{len(live)} probes skipped" in result.summary()

    # The cap bounds a big run whatever the per-stream budget says.
    ctx.settings.health.probe_budget_per_stream = 60
    ctx.settings.health.probe_budget_seconds = 1.0
    t0 = time.perf_counter()
    result = await run_health(ctx, stream_ids=live)
    assert result.probe_skipped == len(live) and result.probe_seconds <= 1.5, result
    assert time.perf_counter() - t0 < 3 + 1.0 + 2


async def test_probe_timeout_kills_ffprobe_and_counts_as_no_answer(
    fake_provider, session_factory, tmp_path
) -> None:
    live, _ = await trickling_streams(session_factory, fake_provider, tmp_path)
    ctx = make_ctx(
        session_factory,
        tmp_path,
        probe=True,
        timeout=3,
        probe_timeout=0.5,
        probe_concurrency=2,
        probe_budget_per_stream=5,
    )
    result = await run_health(ctx, stream_ids=live[:2])
    assert (result.probed, result.probe_failed, result.probe_skipped) == (0, 2, 0), result
    assert result.probe_seconds < 1.5, result
    assert ffprobe_children() == []
    assert "probed 0 (2 without an answer)" in result.summary()


async def test_ffprobe_reads_a_second_of_a_live_stream(fake_provider, test_ts: Path) -> None:
    if FFPROBE is None:
        pytest.skip("ffprobe not installed")
    fake_provider.options.ts_file = test_ts
    sid = sorted(fake_provider.account("acme").catalog.live)[3]
    t0 = time.perf_counter()
    info = await probe(fake_provider.stream_url(sid, "acme"), seconds=10)
    # The stream is paced like a live one: analysing 3 s of it, as before, took 3.5 s.
    assert time.perf_counter() - t0 < 2.8
    assert info is not None and (info.height, info.codec, info.fps) == (240, "h264", 25)


# ---- the summary and never-checked streams ----------------------------------------------------


async def test_unchecked_streams_stay_unknown_not_working(
    fake_provider, session_factory, tmp_path
) -> None:
    pid, ids = await synced_globex(session_factory, fake_provider, tmp_path, max_connections=1)
    sample = [ids[f] for f in sorted(ids)[:3]]
    for sid in sample:
        row = await stream(session_factory, sid)
        assert row.status == STATUS_UNKNOWN and row.checked_at is None
        assert not is_working(row.status)
    assert [s for s in STATUSES if is_working(s)] == ["ok", "slow"]

    # A viewer holds the only slot: nothing is checked, and nothing may look checked.
    tracker = ConnectionTracker()
    viewer = tracker.acquire(pid, "view", 1)
    assert viewer is not None
    ctx = make_ctx(session_factory, tmp_path, timeout=0.2)
    result = await run_health(ctx, stream_ids=sample, tracker=tracker)
    viewer.release()
    assert (result.checked, result.ok, result.skipped) == (0, 0, 3), result
    assert "3 not checked (provider busy)" in result.summary()
    for sid in sample:
        row = await stream(session_factory, sid)
        assert row.status == STATUS_UNKNOWN and row.checked_at is None

    result = await run_health(ctx, stream_ids=sample[:1], tracker=tracker)
    assert result.ok + result.slow == 1
    assert is_working((await stream(session_factory, sample[0])).status)


async def test_health_job_result_is_a_summary(fake_provider, session_factory, tmp_path) -> None:
    _, ids = await synced_globex(session_factory, fake_provider, tmp_path)
    fids = sorted(ids)
    fake_provider.faults.stream(fids[0], "dead")
    channel = (await stream(session_factory, ids[fids[1]])).channel_id
    ctx = make_ctx(session_factory, tmp_path)
    reports: list[str | None] = []

    async def report(progress: int, total: int | None = None, message: str | None = None) -> None:
        reports.append(message)

    ctx.report = report
    result = await health_job(ctx, channel_id=channel)
    n = result["checked"]
    assert n >= 1 and result["ok"] + result["slow"] + result["failed"] == n
    assert re.fullmatch(
        rf"checked {n}: \d+ ok, \d+ slow, \d+ failed \(0 deactivated, 0 reactivated\); "
        r"\d+\.\ds",
        result["summary"],
    ), result["summary"]
    assert reports[-1] == result["summary"]  # the job's final message


# ---- uvloop, as under `strmline serve` --------------------------------------------------------


def test_health_job_runs_on_uvloop(
    fake_provider, migrated_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The whole job (checks, ffprobe subprocesses, task groups, the job runner) on uvloop."""
    ts_file = request.getfixturevalue("test_ts") if FFMPEG and FFPROBE else None

    async def main() -> None:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        engine = create_engine(migrated_url)
        await truncate_all(engine)
        factory = make_session_factory(engine)
        try:
            pid, ids = await synced_globex(factory, fake_provider, tmp_path)
            fids = sorted(ids)
            fake_provider.faults.stream(fids[0], "dead")
            fake_provider.faults.stream(fids[1], "hang")
            fake_provider.options.ts_file = ts_file
            settings = Settings(
                data_dir=tmp_path,
                redis_url=None,
                health={
                    "timeout": 1.5,
                    "connect_timeout": 1.0,
                    "concurrency": 20,
                    "probe": ts_file is not None,
                    "probe_budget_seconds": 4,
                },
            )
            async with JobRuntime(settings, session_factory=factory) as runtime:
                job = await runtime.run_inline("health", {"provider_id": pid})
            assert job.state == "succeeded", job.error
            result = job.result or {}
            assert result["checked"] == len(ids) and result["failed"] == 2, result
            assert job.message is not None and job.message == result["summary"]
            assert job.message.startswith(f"checked {len(ids)}: ")
            dead = await stream(factory, ids[fids[0]])
            assert (dead.status, dead.failure_reason) == ("failed", "HTTP 404")
            good = await stream(factory, ids[fids[2]])
            assert is_working(good.status) and good.response_ms is not None
            if ts_file is not None:
                passed = len(ids) - 2
                assert result["probed"] >= 1, result
                assert result["probed"] + result["probe_failed"] + result["probe_skipped"] == passed
                assert result["probe_seconds"] <= 4.5
                assert ffprobe_children() == []
        finally:
            fake_provider.faults.clear()
            await engine.dispose()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


async def test_cancelling_a_check_raises_cancelled_not_an_exception_group(
    fake_provider, session_factory, tmp_path
) -> None:
    _, ids = await synced_globex(session_factory, fake_provider, tmp_path)
    ctx = make_ctx(session_factory, tmp_path)

    async def report(progress: int, total: int | None = None, message: str | None = None) -> None:
        ctx.cancel.set()  # as POST /api/jobs/{id}/cancel does, once the checks have started

    ctx.report = report
    # The job runner records Cancelled as "cancelled"; a wrapped one was an internal error.
    with pytest.raises(Cancelled, match="cancelled on request"):
        await run_health(ctx, stream_ids=list(ids.values()))
