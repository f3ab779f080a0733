"""VOD and .strm endpoints: browse, sync/generate jobs, and /play/movie|episode."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from strmline.db.engine import session_scope
from strmline.services import providers as provider_service
from tests.dbutil import StatementCounter
from tests.helpers import wait_for_job_api


async def _provider(app: FastAPI, fake_provider, user: str = "acme", priority: int = 0) -> int:  # type: ignore[no-untyped-def]
    spec = provider_service.ProviderCreate(
        name=f"xc-{user}",
        kind="xtream",
        url=fake_provider.url,
        username=user,
        password=fake_provider.account(user).password,
        priority=priority,
    )
    async with session_scope(app.state.session_factory) as s:
        return (await provider_service.create(session=s, spec=spec)).id


async def test_sync_browse_and_play(
    client, admin, viewer, api_token, app, fake_provider, engine
) -> None:  # type: ignore[no-untyped-def]
    app.state.settings.vod.strm_after_sync = False
    await _provider(app, fake_provider, "acme", priority=10)
    await _provider(app, fake_provider, "globex")
    assert (await client.post("/api/vod/sync", json={}, headers=viewer)).status_code == 403
    r = await client.post("/api/vod/sync", json={}, headers=admin)
    assert r.status_code == 202, r.text
    job = await wait_for_job_api(client, admin, r.json()["job_id"])
    assert job["state"] == "succeeded", job

    acme = fake_provider.account("acme").catalog
    seen: list[int] = []
    cursor = None
    with StatementCounter(engine) as counter:
        while True:
            params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/api/vod/movies", params=params, headers=viewer)).json()
            seen += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) == len(acme.movies)
    pages = -(-len(acme.movies) // 7)
    assert counter.count <= pages * 6  # a constant number per page, whatever the page size
    hit = (await client.get("/api/vod/movies", params={"q": "MATRÎX"}, headers=viewer)).json()
    assert [m["title"] for m in hit["items"]] == ["The Matrix"]
    assert hit["items"][0]["sources"] == 2

    series = (await client.get("/api/vod/series", headers=viewer)).json()["items"]
    detail = (await client.get(f"/api/vod/series/{series[0]['id']}", headers=viewer)).json()
    assert len(detail["seasons"]) == 2 and detail["seasons"][0]["episodes"][0]["episode"] == 1
    assert (await client.get("/api/vod/series/999999", headers=viewer)).status_code == 404

    # /play: redirect to the higher-priority provider; fail over when it is dead. A source that
    # passed is trusted for check_cache_seconds: off here so the dead source is seen at once.
    app.state.settings.playback.check_cache_seconds = 0
    movie_id = hit["items"][0]["id"]
    r = await client.get(f"/play/movie/{movie_id}", params={"token": api_token})
    assert r.status_code == 302 and "/movie/acme/" in r.headers["location"]
    matrix = next(m for m in acme.movies.values() if m.title == "The Matrix")
    fault = fake_provider.faults.stream(matrix.stream_id, "http_503")
    r = await client.get(f"/play/movie/{movie_id}", params={"token": api_token})
    assert r.status_code == 302 and "/movie/globex/" in r.headers["location"]
    fake_provider.faults.remove(fault)
    assert (await client.get(f"/play/movie/{movie_id}")).status_code == 401

    # Proxy mode forwards Range and returns the upstream's 206.
    app.state.settings.strm.play_mode = "proxy"
    r = await client.get(
        f"/play/movie/{movie_id}", params={"token": api_token}, headers={"Range": "bytes=10-19"}
    )
    assert r.status_code == 206, r.text
    assert r.headers["content-range"].startswith("bytes 10-19/")
    assert len(r.content) == 10
    episode_id = detail["seasons"][0]["episodes"][0]["id"]
    r = await client.get(f"/play/episode/{episode_id}", params={"token": api_token})
    assert r.status_code == 200 and len(r.content) > 0


async def test_generate_job(client, admin, app, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app.state.settings.vod.strm_after_sync = True
    await _provider(app, fake_provider, "acme")
    async with app.state.runtime.bus.subscribe() as events:
        r = await client.post("/api/vod/sync", json={}, headers=admin)
        job = await wait_for_job_api(client, admin, r.json()["job_id"])
        assert job["state"] == "succeeded", job
        strm_job_id = job["result"]["strm_job_id"]
        assert strm_job_id
        # The library run the sync started went through the app's own runtime: its
        # completion reached the app's event bus (the SSE stream, cache invalidation).
        finished: set[int] = set()
        async with asyncio.timeout(30):
            while strm_job_id not in finished:
                event = await events.get()
                if event.get("type") == "job.finished":
                    finished.add(event["job_id"])
    library = app.state.settings.strm_dir
    assert len(list(library.rglob("*.strm"))) > 0
    r = await client.post("/api/strm/generate", json={}, headers=admin)
    assert r.status_code == 202
    done = await wait_for_job_api(client, admin, r.json()["job_id"])
    assert done["state"] == "succeeded" and done["result"]["written"] == 0
