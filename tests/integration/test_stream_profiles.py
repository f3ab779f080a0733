"""Command stream profiles in the proxy, with real processes and real media: ffmpeg-remux reads
the provider (its headers included) and ffmpeg decodes what viewers get; the process is killed
when the last viewer leaves and on failover; a process that exits early is a stream failure
with its stderr as the reason; a profile whose program is gone is skipped, not recorded."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import PlaybackSettings, Settings
from strmline.db.engine import session_scope
from strmline.db.models import Provider, Stream
from strmline.demo import FakeProviderServer
from strmline.playback.connections import ConnectionTracker
from strmline.playback.errors import NoWorkingStream
from strmline.playback.profiles import CommandFailed, CommandStream
from strmline.playback.single import SinglePipe, Upstream
from tests.integration.conftest import (
    make_settings,
    serve_proxy,
    wait_for_session,
    wait_for_stream,
)
from tests.integration.test_hls_proxy import (  # noqa: F401
    DECODE_ERRORS,
    FFMPEG,
    decode,
    live_ids,
    make_channel,
    media_dir,
    real_provider,
)

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed: real media skipped"),
]


def profile_processes(marker: bytes = b"-user_agent") -> list[int]:
    """This process's children started by a command profile (not remuxers nor decoders)."""
    found = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if parent == me and marker in cmd:
            found.append(int(entry.name))
    return found


async def _gone(app: FastAPI, marker: bytes = b"-user_agent") -> list[int]:
    for _ in range(60):
        if not app.state.proxy_registry.hubs and not profile_processes(marker):
            break
        await asyncio.sleep(0.1)
    return profile_processes(marker)


@pytest.fixture
async def profile_app(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[tuple[str, FastAPI]]:
    """The proxy of /play on a real server, with room for a process to start and probe."""
    settings = make_settings(tmp_path, stall_seconds=4.0, connect_timeout=6.0)
    async with serve_proxy(settings, session_factory) as served:
        yield served


async def _set_profile(factory: async_sessionmaker[AsyncSession], profile: str | None) -> None:
    async with session_scope(factory) as s:
        await s.execute(update(Provider).values(stream_profile=profile))


async def test_ffmpeg_remux_plays_with_the_streams_headers_and_ends_with_the_viewer(
    real_provider: FakeProviderServer,  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
    profile_app: tuple[str, FastAPI],
) -> None:
    url, app = profile_app
    fid = live_ids(real_provider, master=False)[0]
    referer = "http://portal.example/"
    real_provider.faults.stream(fid, "referer", value=referer)  # 403 without this Referer
    cid, sids = await make_channel(
        session_factory, real_provider, [(fid, "ts", {"Referer": referer, "User-Agent": "Box/7"})]
    )
    await _set_profile(session_factory, "ffmpeg-remux")
    viewer = asyncio.ensure_future(decode(f"{url}/p/{cid}", 60))
    running: list[int] = []
    for _ in range(100):
        running = profile_processes()
        if running or viewer.done():
            break
        await asyncio.sleep(0.1)
    frames, errors = await viewer
    assert frames >= 50, errors
    assert not any(e in errors for e in DECODE_ERRORS), errors
    assert len(running) == 1  # one process for the upstream
    reads = [r for r in real_provider.stats.log if r.path.endswith(f"/{fid}.ts")]
    assert reads and all(r.headers.get("user-agent") == "Box/7" for r in reads)  # ffmpeg's request
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[0] and session.switches == 0
    assert await _gone(app) == []  # the last viewer left: the process was killed


async def test_ffmpeg_transcode_plays(
    real_provider: FakeProviderServer,  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
    profile_app: tuple[str, FastAPI],
) -> None:
    url, app = profile_app
    fid = live_ids(real_provider, master=False)[0]
    cid, sids = await make_channel(session_factory, real_provider, [(fid, "ts", None)])
    await _set_profile(session_factory, "ffmpeg-transcode")
    frames, errors = await decode(f"{url}/p/{cid}", 50)
    assert frames >= 50, errors
    assert not any(e in errors for e in DECODE_ERRORS), errors
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[0] and session.switches == 0
    assert await _gone(app, b"libx264") == []


async def test_a_process_that_fails_is_a_stream_failure_and_the_next_stream_plays(
    real_provider: FakeProviderServer,  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
    profile_app: tuple[str, FastAPI],
) -> None:
    url, app = profile_app
    first, second = live_ids(real_provider, master=False)[:2]
    real_provider.faults.stream(first, "dead")
    cid, sids = await make_channel(
        session_factory, real_provider, [(first, "ts", None), (second, "ts", None)]
    )
    await _set_profile(session_factory, "ffmpeg-remux")
    frames, errors = await decode(f"{url}/p/{cid}", 50)
    assert frames >= 50, errors
    failed = await wait_for_stream(session_factory, sids[0], lambda r: r.consecutive_failures >= 1)
    reason = failed.failure_reason or ""
    assert reason.startswith("stream profile 'ffmpeg-remux' exited (code "), reason
    assert "404" in reason or "Not Found" in reason, reason  # ffmpeg's own last words
    stream_url = real_provider.stream_url(first, "globex", ext="ts")
    password = stream_url.rstrip("/").split("/")[-2]
    assert password not in reason  # the account is masked in what is stored and shown
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[1]
    assert await _gone(app) == []


async def test_a_profile_whose_program_is_gone_is_skipped_and_bad_output_is_refused(
    real_provider: FakeProviderServer,  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
    profile_app: tuple[str, FastAPI],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, app = profile_app
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    grabber = bin_dir / "grabber"
    grabber.write_text("#!/bin/sh\necho 'this is no video' \nexit 0\n")
    grabber.chmod(grabber.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    settings: Settings = app.state.settings
    settings.playback = settings.playback.model_validate(
        settings.playback.model_dump()
        | {"stream_profiles": [{"name": "grab", "command": "grabber {url}"}]}
    )
    app.state.proxy_registry.settings = settings
    first, second = live_ids(real_provider, master=False)[:2]
    cid, sids = await make_channel(
        session_factory, real_provider, [(first, "ts", None), (second, "ts", None)]
    )
    async with session_scope(session_factory) as s:
        await s.execute(update(Provider).values(stream_profile="grab"))
    # Output that is not MPEG-TS: a failure of that stream, with why.
    frames, _ = await decode(f"{url}/p/{cid}", 5, seconds=20)
    failed = await wait_for_stream(session_factory, sids[0], lambda r: r.consecutive_failures >= 1)
    assert "stream profile 'grab': output is not MPEG-TS" in (failed.failure_reason or "")
    await _gone(app, b"grabber")
    # The program uninstalled: not the streams' fault, nothing more is recorded against them.
    grabber.unlink()
    async with session_scope(session_factory) as s:
        await s.execute(update(Stream).values(consecutive_failures=0, failure_reason=None))
    r = await decode(f"{url}/p/{cid}", 5, seconds=20)
    assert r[0] == 0
    await asyncio.sleep(0.3)
    async with session_scope(session_factory) as s:
        rows = (await s.execute(select(Stream).where(Stream.id.in_(sids)))).scalars().all()
    assert all(row.consecutive_failures == 0 and row.failure_reason is None for row in rows)
    assert frames == 0


async def test_command_stream_keeps_the_tail_of_stderr_and_masks_the_url() -> None:
    url = "http://provider.example/live/bob/s3cret/7.ts"
    script = (
        "import sys\n"
        "for i in range(50): print('line', i, file=sys.stderr)\n"
        f"print('cannot open {url}: 403 Forbidden', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    stream = await CommandStream.start("mine", [sys.executable, "-c", script], url)
    try:
        assert await stream.read() == b""
        reason = stream.reason()
    finally:
        await stream.close()
    assert reason.startswith("stream profile 'mine' exited (code 3): cannot open http://")
    assert "403 Forbidden" in reason and "s3cret" not in reason
    assert len(stream.errors) == 5  # bounded: only the last lines are kept
    with pytest.raises(CommandFailed, match="could not start"):
        await CommandStream.start("x", ["/nonexistent/program", url], url)


async def test_closing_kills_a_process_that_is_still_writing() -> None:
    script = "import sys, time\nwhile True:\n    sys.stdout.buffer.write(b'G' * 188)\n"
    stream = await CommandStream.start("busy", [sys.executable, "-c", script], "u")
    assert await stream.read()
    await stream.close()
    assert stream.process.returncode is not None


async def test_one_stream_plays_through_its_profile_and_says_why_it_does_not(
    real_provider: FakeProviderServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``/play/stream/{id}`` and catch-up in proxy mode (:class:`SinglePipe`) use the profile
    too; a process that fails is answered up front with its reason."""
    opts = PlaybackSettings(stall_seconds=4.0, connect_timeout=6.0)
    good, dead = live_ids(real_provider, master=False)[:2]
    real_provider.faults.stream(dead, "dead")
    tracker = ConnectionTracker()
    url = real_provider.stream_url(good, "globex", ext="ts")
    pipe = SinglePipe(
        Upstream(7, url, {"User-Agent": "Box/7"}, profile="ffmpeg-remux"), opts, tracker
    )
    await pipe.open()
    assert len(profile_processes()) == 1 and tracker.usage(7)[0] == 1
    data = bytearray()
    body = pipe.body()
    async for chunk in body:
        data += chunk
        if len(data) >= 700_000:
            break
    await body.aclose()  # the viewer went away: the process and the connection go too
    assert profile_processes() == [] and tracker.usage(7)[0] == 0
    saved = tmp_path / "got.ts"
    saved.write_bytes(bytes(data))
    frames, errors = await decode(str(saved), 25)
    assert frames >= 25, errors

    url = real_provider.stream_url(dead, "globex", ext="ts")
    pipe = SinglePipe(Upstream(7, url, profile="ffmpeg-remux"), opts, tracker)
    with pytest.raises(NoWorkingStream, match=r"^stream profile 'ffmpeg-remux' exited \(code"):
        await pipe.open()
    assert profile_processes() == [] and tracker.usage(7)[0] == 0
