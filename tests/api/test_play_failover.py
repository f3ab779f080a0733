"""/play in redirect mode: the stream is checked before the player is sent to it, dead streams are
recorded and skipped, passes are cached for a short while."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import FakeProviderServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def redirect_credentials(app: FastAPI) -> None:
    # Redirect failover is what these tests are about, and the fake provider's URLs carry Xtream
    # credentials, which redirect mode proxies unless allowed (tests/api/test_play_hints.py).
    app.state.settings.playback.redirect_credentials = True


async def make_channel(app: FastAPI, server: FakeProviderServer, urls: list[str]) -> list[int]:
    """A channel whose active streams, in this rank order, have these URLs: [channel, *streams]."""
    async with session_scope(app.state.session_factory) as s:
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
                .values(
                    name="News",
                    search_name="news",
                    match_key="news",
                    stream_count=len(urls),
                    active_stream_count=len(urls),
                )
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
                            "provider_key": f"k{n}",
                            "name": f"News {n}",
                            "url": url,
                            "content_hash": "x",
                            "rank": n + 1,
                        }
                        for n, url in enumerate(urls)
                    ],
                )
            )
            .scalars()
            .all()
        )
    return [cid, *sids]


def live_ids(server: FakeProviderServer, n: int) -> list[int]:
    return sorted(server.account("globex").catalog.live)[:n]


async def streams(app: FastAPI, ids: list[int]) -> list[Stream]:
    async with app.state.session_factory() as s:
        rows = (await s.execute(select(Stream).where(Stream.id.in_(ids)))).scalars().all()
        return sorted(rows, key=lambda r: ids.index(r.id))


async def test_redirect_skips_a_dead_first_stream_and_records_it(
    client: httpx.AsyncClient, api_token: str, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    dead, good = live_ids(fake_provider, 2)
    fake_provider.faults.stream(dead, "dead")
    urls = [fake_provider.stream_url(dead, "globex"), fake_provider.stream_url(good, "globex")]
    cid, dead_sid, good_sid = await make_channel(app, fake_provider, urls)

    r = await client.get(f"/play/{cid}", params={"token": api_token})
    assert r.status_code == 302, r.text
    assert r.headers["location"] == urls[1]
    assert r.headers["cache-control"] == "no-store"
    checks = fake_provider.stats.count("/live/")
    assert checks == 2  # one check per stream tried

    # Recorded like a failed health check, and the channel re-ranked around it.
    dead_row, good_row = await streams(app, [dead_sid, good_sid])
    assert dead_row.consecutive_failures == 1 and dead_row.failure_reason == "HTTP 404"
    assert dead_row.status == "failed" and dead_row.active and dead_row.checked_at is not None
    assert good_row.consecutive_failures == 0 and good_row.failure_reason is None
    assert (good_row.rank, dead_row.rank) == (1, 2)

    # Within the cache TTL the passing stream is not checked again.
    r = await client.get(f"/play/{cid}", params={"token": api_token})
    assert r.status_code == 302 and r.headers["location"] == urls[1]
    assert fake_provider.stats.count("/live/") == checks


async def test_redirect_rechecks_once_the_pass_has_expired(
    client: httpx.AsyncClient, api_token: str, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    app.state.settings.playback.check_cache_seconds = 0
    (good,) = live_ids(fake_provider, 1)
    cid, _ = await make_channel(app, fake_provider, [fake_provider.stream_url(good, "globex")])
    for n in (1, 2):
        r = await client.get(f"/play/{cid}", params={"token": api_token})
        assert r.status_code == 302
        assert fake_provider.stats.count("/live/") == n


async def test_redirect_follows_hls_to_a_segment(
    client: httpx.AsyncClient, api_token: str, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    html, hls = live_ids(fake_provider, 2)
    fake_provider.faults.stream(html, "html")
    urls = [
        fake_provider.stream_url(html, "globex"),
        fake_provider.stream_url(hls, "globex", ext="m3u8"),
    ]
    cid, html_sid, _ = await make_channel(app, fake_provider, urls)
    r = await client.get(f"/play/{cid}", params={"token": api_token})
    assert r.status_code == 302 and r.headers["location"] == urls[1]
    assert fake_provider.stats.count("/hls/") >= 1  # the playlist was read, not just opened
    (html_row,) = await streams(app, [html_sid])
    assert html_row.failure_reason == "not a media stream: text/html"


async def test_redirect_answers_503_when_every_stream_fails(
    client: httpx.AsyncClient, api_token: str, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    ids = live_ids(fake_provider, 2)
    fake_provider.faults.stream(ids[0], "dead")
    fake_provider.faults.stream(ids[1], "http_503")
    cid, *sids = await make_channel(
        app, fake_provider, [fake_provider.stream_url(i, "globex") for i in ids]
    )
    r = await client.get(f"/play/{cid}", params={"token": api_token})
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["code"] == "no_working_stream"
    assert "HTTP 404" in error["message"] and "HTTP 503" in error["message"]
    assert [d["stream_id"] for d in error["details"]] == sids
    rows = await streams(app, sids)
    assert [row.consecutive_failures for row in rows] == [1, 1]
    assert [row.failure_reason for row in rows] == ["HTTP 404", "HTTP 503"]


async def test_redirect_without_check_when_disabled(
    client: httpx.AsyncClient, api_token: str, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    app.state.settings.playback.check_seconds = 0
    (dead,) = live_ids(fake_provider, 1)
    fake_provider.faults.stream(dead, "dead")
    url = fake_provider.stream_url(dead, "globex")
    cid, _ = await make_channel(app, fake_provider, [url])
    r = await client.get(f"/play/{cid}", params={"token": api_token})
    assert r.status_code == 302 and r.headers["location"] == url
    assert fake_provider.stats.count("/live/") == 0
