"""fMP4 (CMAF) HLS upstreams in proxy mode: remuxed to MPEG-TS by one ffmpeg per upstream,
decoded by ffmpeg as a player; without ffmpeg the stream is skipped, not counted as failed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from strmline.db.engine import session_scope
from strmline.db.models import Stream
from strmline.playback import hub as hub_module
from tests.integration.conftest import wait_for_session
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


def remuxers() -> list[int]:
    """This process's ffmpeg children that remux into MPEG-TS (not the decoding ones)."""
    found = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = stat.rsplit(")", 1)[1].split()[1]
        if parent == me and b"mpegts" in cmd and b"pipe:0" in cmd:
            found.append(int(entry.name))
    return found


async def test_fmp4_hls_is_remuxed_and_decodes(
    real_provider,  # noqa: F811
    session_factory,
    proxy_app,
) -> None:
    url, app = proxy_app
    fid = live_ids(real_provider, master=False)[0]
    real_provider.faults.stream(fid, "fmp4")
    cid, sids = await make_channel(session_factory, real_provider, [(fid, "m3u8", None)])
    frames, errors = await decode(f"{url}/p/{cid}", 75)
    assert frames >= 75, errors
    assert not any(e in errors for e in DECODE_ERRORS), errors
    paths = [r.path for r in real_provider.stats.log]
    assert paths.count(f"/hls/{fid}/init.mp4") == 1, paths  # the init section once
    assert any(p.endswith(".m4s") for p in paths) and not any(p.endswith(".ts") for p in paths)
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[0] and session.switches == 0
    # The last viewer left: after the grace period the hub stops and its ffmpeg is gone.
    for _ in range(50):
        if not app.state.proxy_registry.hubs and not remuxers():
            break
        await asyncio.sleep(0.1)
    assert remuxers() == []


async def test_fmp4_fails_over_to_ts_without_closing_the_viewer(
    real_provider,  # noqa: F811
    session_factory,
    proxy_app,
) -> None:
    url, _ = proxy_app
    first, second = live_ids(real_provider, master=False)[:2]
    real_provider.faults.stream(first, "fmp4")
    cid, sids = await make_channel(
        session_factory, real_provider, [(first, "m3u8", None), (second, "ts", None)]
    )
    viewer = asyncio.ensure_future(decode(f"{url}/p/{cid}", 200))
    await asyncio.sleep(3)
    real_provider.faults.stream(first, "dead")  # the newest rule wins: playlist now 404
    frames, errors = await viewer
    assert frames >= 200, errors
    session = await wait_for_session(session_factory)
    assert session.switches == 1 and session.stream_id == sids[1]
    assert remuxers() == []  # the failed upstream's ffmpeg was killed on the switch


async def test_without_ffmpeg_fmp4_is_skipped_not_failed(
    real_provider,  # noqa: F811
    session_factory,
    proxy_app,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = proxy_app
    monkeypatch.setattr(hub_module, "find_ffmpeg", lambda: None)  # as on a box without it
    first, second = live_ids(real_provider, master=False)[:2]
    real_provider.faults.stream(first, "fmp4")
    cid, sids = await make_channel(
        session_factory, real_provider, [(first, "m3u8", None), (second, "ts", None)]
    )
    frames, errors = await decode(f"{url}/p/{cid}", 25)
    assert frames >= 25, errors
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[1]
    await asyncio.sleep(0.3)  # failures are written in the background
    async with session_scope(session_factory) as s:
        row = (await s.execute(select(Stream).where(Stream.id == sids[0]))).scalar_one()
    assert row.consecutive_failures == 0 and row.failure_reason is None


async def test_without_ffmpeg_an_fmp4_only_channel_says_why(
    real_provider,  # noqa: F811
    session_factory,
    proxy_app,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = proxy_app
    monkeypatch.setattr(hub_module, "find_ffmpeg", lambda: None)
    fid = live_ids(real_provider, master=False)[0]
    real_provider.faults.stream(fid, "fmp4")
    cid, sids = await make_channel(session_factory, real_provider, [(fid, "m3u8", None)])
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.get(f"{url}/p/{cid}")
    assert response.status_code == 502
    assert "fMP4" in response.text and "ffmpeg, which is not installed" in response.text
    await asyncio.sleep(0.3)
    async with session_scope(session_factory) as s:
        row = (await s.execute(select(Stream).where(Stream.id == sids[0]))).scalar_one()
    assert row.consecutive_failures == 0 and row.failure_reason is None
