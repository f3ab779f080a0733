"""The playback proxy: shared upstreams, failover, connection limits, viewing sessions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.outputs import proxy
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import FakeProviderServer
from strmline.formats.media import TS_PACKET, find_pat
from strmline.playback.connections import ConnectionTracker
from strmline.playback.hub import ChannelHub
from strmline.playback.registry import ProxyRegistry
from tests.integration.conftest import make_settings, wait_for_session, wait_for_stream

pytestmark = pytest.mark.timeout(30)


async def make_channel(
    factory: async_sessionmaker[AsyncSession],
    server: FakeProviderServer,
    fake_ids: list[int],
    *,
    max_connections: int | None = None,
) -> tuple[int, int, list[int]]:
    """A channel whose streams (in this rank order) are these globex streams."""
    async with session_scope(factory) as s:
        pid = (
            await s.execute(
                insert(Provider)
                .values(
                    name="globex",
                    kind="m3u",
                    url=server.url,
                    backup_urls=[],
                    max_connections=max_connections,
                )
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
        sids = (
            (
                await s.execute(
                    insert(Stream).returning(Stream.id),
                    [
                        {
                            "provider_id": pid,
                            "channel_id": cid,
                            "provider_key": str(fid),
                            "name": f"News {n}",
                            "url": server.stream_url(fid, "globex"),
                            "content_hash": "x",
                            "rank": n + 1,
                        }
                        for n, fid in enumerate(fake_ids)
                    ],
                )
            )
            .scalars()
            .all()
        )
    return pid, cid, list(sids)


def globex_ids(server: FakeProviderServer, n: int) -> list[int]:
    return sorted(server.account("globex").catalog.live)[:n]


async def read_ts(client: httpx.AsyncClient, url: str, size: int) -> tuple[int, bytes]:
    buf = bytearray()
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            return response.status_code, await response.aread()
        async for chunk in response.aiter_raw():
            buf += chunk
            if len(buf) >= size:
                break
    return 200, bytes(buf)


def assert_packets(data: bytes) -> None:
    assert len(data) >= TS_PACKET
    whole = data[: len(data) - len(data) % TS_PACKET]
    bad = [i for i in range(0, len(whole), TS_PACKET) if whole[i] != 0x47]
    assert not bad, f"{len(bad)} misaligned packets, first at byte {bad[0]}"


async def test_proxy_two_clients_share_one_upstream(
    fake_provider, session_factory, proxy_app
) -> None:
    url, _ = proxy_app
    _, cid, _ = await make_channel(session_factory, fake_provider, globex_ids(fake_provider, 2))
    async with httpx.AsyncClient(timeout=10) as client:
        results = await asyncio.gather(
            read_ts(client, f"{url}/p/{cid}", 120_000), read_ts(client, f"{url}/p/{cid}", 120_000)
        )
    for status, data in results:
        assert status == 200, data[:200]
        assert_packets(data)
    assert fake_provider.stats.max_open_streams["globex"] == 1


async def test_proxy_fails_over_mid_stream_with_aligned_packets(
    fake_provider, session_factory, proxy_app
) -> None:
    url, _ = proxy_app
    first, second = globex_ids(fake_provider, 2)
    # Dies in the middle of a packet: the half packet must never reach the client.
    fake_provider.faults.stream(first, "die_after", after_bytes=60_000 + 77)
    _, cid, sids = await make_channel(session_factory, fake_provider, [first, second])
    async with httpx.AsyncClient(timeout=10) as client:
        status, data = await read_ts(client, f"{url}/p/{cid}", 200_000)
    assert status == 200
    assert len(data) >= 200_000
    assert_packets(data)
    row = await wait_for_stream(session_factory, sids[0], lambda s: s.consecutive_failures == 1)
    assert row.failure_reason == "upstream ended the stream"
    assert row.status == "failed" and row.active
    session = await wait_for_session(session_factory)
    assert session.switches == 1 and session.stream_id == sids[1]
    assert session.bytes_sent >= 200_000 and session.ended_at is not None


async def test_proxy_skips_html_and_stalled_upstreams(
    fake_provider, session_factory, proxy_app
) -> None:
    url, _ = proxy_app
    html, hang, good = globex_ids(fake_provider, 3)
    fake_provider.faults.stream(html, "html")
    fake_provider.faults.stream(hang, "hang")
    _, cid, sids = await make_channel(session_factory, fake_provider, [html, hang, good])
    async with httpx.AsyncClient(timeout=10) as client:
        status, data = await read_ts(client, f"{url}/p/{cid}", 50_000)
    assert status == 200
    assert_packets(data)
    html_row = await wait_for_stream(
        session_factory, sids[0], lambda s: s.failure_reason is not None
    )
    hang_row = await wait_for_stream(
        session_factory, sids[1], lambda s: s.failure_reason is not None
    )
    assert html_row.failure_reason == "not a media stream: text/html"
    assert hang_row.failure_reason is not None and hang_row.failure_reason.startswith(
        ("stalled", "timeout")
    )


async def test_proxy_connection_limit_answers_503(
    fake_provider, session_factory, proxy_app
) -> None:
    url, app = proxy_app
    pid, cid, _ = await make_channel(
        session_factory, fake_provider, globex_ids(fake_provider, 2), max_connections=1
    )
    tracker: ConnectionTracker = app.state.proxy_registry.tracker
    other_viewer = tracker.acquire(pid, "view", 1)
    assert other_viewer is not None
    async with httpx.AsyncClient(timeout=10) as client:
        status, body = await read_ts(client, f"{url}/p/{cid}", 1000)
    other_viewer.release()
    assert status == 503
    assert b"connection limit" in body
    assert fake_provider.stats.count("/live/") == 0


async def test_proxy_all_streams_dead_is_502(fake_provider, session_factory, proxy_app) -> None:
    url, _ = proxy_app
    ids = globex_ids(fake_provider, 2)
    for fid in ids:
        fake_provider.faults.stream(fid, "dead")
    _, cid, _ = await make_channel(session_factory, fake_provider, ids)
    async with httpx.AsyncClient(timeout=10) as client:
        status, body = await read_ts(client, f"{url}/p/{cid}", 1000)
    assert status == 502 and b"HTTP 404" in body


async def test_proxy_hub_drops_slow_clients_and_aligns_late_joiners(
    session_factory, tmp_path
) -> None:
    settings = make_settings(tmp_path, client_buffer_chunks=4)
    registry = ProxyRegistry(settings, session_factory, tracker=ConnectionTracker())
    hub = ChannelHub(registry, 1)  # not started: fed by hand
    fast, slow = hub.join(None), hub.join(None)
    null = b"\x47\x1f\xff\x10" + b"\xff" * 184
    pat = b"\x47\x40\x00\x10" + b"\x00" * 184
    for _ in range(6):
        hub._broadcast(null * 4)
        assert fast.queue.get_nowait() == null * 4
    assert slow.dropped and slow not in hub.clients and fast in hub.clients

    hub.streaming = True
    late = hub.join(None)
    assert late.need_start
    hub._broadcast(null * 3)
    assert late.queue.empty()
    hub._broadcast(null * 2 + pat + null)
    data = late.queue.get_nowait()
    assert data == pat + null and find_pat(data) == 0


async def test_proxy_channel_without_streams_is_404(session_factory, proxy_app) -> None:
    url, app = proxy_app
    async with session_scope(session_factory) as s:
        cid = (
            await s.execute(
                insert(Channel)
                .values(name="Empty", search_name="empty", match_key="empty")
                .returning(Channel.id)
            )
        ).scalar_one()
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{url}/p/{cid}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert proxy.active_sessions(app) == []
