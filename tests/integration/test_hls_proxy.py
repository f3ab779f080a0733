"""Proxy mode with real media: HLS upstreams, provider headers, AES-128 and keyframe joins,
checked by ffmpeg decoding what the proxy serves."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import FakeProviderServer
from tests.integration.conftest import wait_for_session, wait_for_stream

FFMPEG = shutil.which("ffmpeg")
pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed: real media skipped"),
]
DECODE_ERRORS = (
    "non-existing PPS",
    "no frame!",
    "decode_slice_header error",
    "error while decoding",
)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("STRMLINE_TEST_MEDIA_DIR")
    return Path(env) if env else tmp_path_factory.mktemp("media")


@pytest.fixture
def real_provider(fake_provider: FakeProviderServer, media_dir: Path) -> FakeProviderServer:
    fake_provider.options.media_dir = media_dir  # reset() puts the default (None) back
    assert fake_provider.provider.prepare_media() is None
    return fake_provider


def live_ids(server: FakeProviderServer, *, master: bool | None = None) -> list[int]:
    live = server.account("globex").catalog.live
    return sorted(sid for sid, ch in live.items() if master is None or ch.hls_master == master)


async def make_channel(
    factory: async_sessionmaker[AsyncSession],
    server: FakeProviderServer,
    streams: list[tuple[int, str, dict[str, str] | None]],
) -> tuple[int, list[int]]:
    """A channel whose streams are these (fake id, extension, stored headers), in rank order."""
    async with session_scope(factory) as s:
        pid = (
            await s.execute(
                insert(Provider)
                .values(name="globex", kind="m3u", url=server.url, backup_urls=[])
                .returning(Provider.id)
            )
        ).scalar_one()
        cid = (
            await s.execute(
                insert(Channel)
                .values(name="News", search_name="news", match_key="news")
                .returning(Channel.id)
            )
        ).scalar_one()
        rows: list[dict[str, Any]] = [
            {
                "provider_id": pid,
                "channel_id": cid,
                "provider_key": f"{fid}.{ext}",
                "name": f"News {n}",
                "url": server.stream_url(fid, "globex", ext=ext),
                "headers": headers,
                "content_hash": "x",
                "rank": n + 1,
            }
            for n, (fid, ext, headers) in enumerate(streams)
        ]
        sids = (await s.execute(insert(Stream).returning(Stream.id), rows)).scalars().all()
    return cid, list(sids)


async def decode(url: str, frames: int, *, seconds: float = 40) -> tuple[int, str]:
    """Video frames ffmpeg decodes from ``url`` (up to ``frames``) and what it complained about."""
    assert FFMPEG is not None
    proc = await asyncio.create_subprocess_exec(
        FFMPEG, "-nostdin", "-v", "warning", "-rw_timeout", "15000000", "-i", url,
        "-map", "0:v:0", "-frames:v", str(frames), "-f", "framemd5", "-",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), seconds)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    decoded = sum(line.startswith(b"0,") for line in out.splitlines())
    return decoded, err.decode(errors="replace")


async def test_hls_master_plays_through_the_proxy(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
) -> None:
    url, _ = proxy_app
    fid = live_ids(real_provider, master=True)[0]
    cid, sids = await make_channel(session_factory, real_provider, [(fid, "m3u8", None)])
    frames, errors = await decode(f"{url}/p/{cid}", 60)
    assert frames >= 50, errors
    assert not any(e in errors for e in DECODE_ERRORS), errors
    paths = [r.path for r in real_provider.stats.log]
    # The best variant (1080p, v1) was read, never the other one.
    assert any(p.endswith("/v1.m3u8") for p in paths) and not any(
        p.endswith("/v0.m3u8") for p in paths
    ), paths
    session = await wait_for_session(session_factory)
    assert session.stream_id == sids[0] and session.switches == 0


async def test_hls_viewers_share_one_upstream(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
) -> None:
    url, _ = proxy_app
    fid = live_ids(real_provider, master=False)[0]
    cid, _ = await make_channel(session_factory, real_provider, [(fid, "m3u8", None)])
    results = await asyncio.gather(*(decode(f"{url}/p/{cid}", 50) for _ in range(3)))
    for frames, errors in results:
        assert frames >= 50, errors
    segments = [r.path for r in real_provider.stats.log if r.path.endswith(".ts")]
    # One reader for three viewers: no segment was fetched twice.
    assert segments and len(segments) == len(set(segments)), segments


async def test_hls_fails_over_mid_stream_without_closing_viewers(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
) -> None:
    url, _ = proxy_app
    first, second = live_ids(real_provider, master=False)[:2]
    cid, sids = await make_channel(
        session_factory, real_provider, [(first, "m3u8", None), (second, "m3u8", None)]
    )
    viewer = asyncio.ensure_future(decode(f"{url}/p/{cid}", 250))
    await asyncio.sleep(1.5)
    real_provider.faults.stream(first, "dead")  # playlist and segments now 404
    frames, errors = await viewer
    assert frames >= 250, errors
    row = await wait_for_stream(session_factory, sids[0], lambda s: s.consecutive_failures == 1)
    assert row.failure_reason == "playlist: HTTP 404"
    session = await wait_for_session(session_factory)
    assert session.switches == 1 and session.stream_id == sids[1]


async def test_referer_protected_stream_plays_with_its_stored_referer(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
) -> None:
    url, _ = proxy_app
    bare, protected = live_ids(real_provider, master=False)[:2]
    referer = "https://tv.example/player"
    for fid in (bare, protected):
        real_provider.faults.stream(fid, "referer", value=referer)
    cid, sids = await make_channel(
        session_factory,
        real_provider,
        [(bare, "m3u8", None), (protected, "m3u8", {"Referer": referer, "User-Agent": "Kodi/21"})],
    )
    frames, errors = await decode(f"{url}/p/{cid}", 50)
    assert frames >= 50, errors
    row = await wait_for_stream(session_factory, sids[0], lambda s: s.failure_reason is not None)
    assert row.failure_reason == "HTTP 403"
    sent = [r for r in real_provider.stats.log if f"/{protected}" in r.path]
    assert sent and any(r.path.endswith(".ts") for r in sent)


async def test_aes128_hls_is_decrypted(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
) -> None:
    url, _ = proxy_app
    fid = live_ids(real_provider, master=False)[0]
    real_provider.faults.stream(fid, "aes128")
    cid, _ = await make_channel(session_factory, real_provider, [(fid, "m3u8", None)])
    frames, errors = await decode(f"{url}/p/{cid}", 60)
    assert frames >= 50, errors
    assert not any(e in errors for e in DECODE_ERRORS), errors
    keys = [r.path for r in real_provider.stats.log if r.path.endswith("/key")]
    assert keys == [f"/hls/{fid}/key"], keys  # fetched once, then cached


@pytest.mark.parametrize("ext", ["ts", "m3u8"])
async def test_late_joiner_starts_on_a_keyframe(
    real_provider,
    session_factory,
    proxy_app: tuple[str, Any],
    ext: str,
) -> None:
    url, _ = proxy_app
    fid = live_ids(real_provider, master=False)[0]
    cid, _ = await make_channel(session_factory, real_provider, [(fid, ext, None)])

    async def first_viewer() -> None:
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream("GET", f"{url}/p/{cid}") as response,
        ):
            async for _ in response.aiter_raw():
                pass

    running = asyncio.ensure_future(first_viewer())
    try:
        await asyncio.sleep(2.3)  # mid-GOP (1 s GOP), the hub has been streaming a while
        loop = asyncio.get_running_loop()
        started = loop.time()
        frames, errors = await decode(f"{url}/p/{cid}", 25)
        assert frames >= 25, errors
        # The first frames decode: no GOP of pictures that reference what was never sent.
        assert not any(e in errors for e in DECODE_ERRORS), errors
        assert loop.time() - started < 10
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
