"""The .strm library points at the address the web UI reached the server on, like the M3U."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from strmline.db.engine import session_scope
from strmline.demo import FakeProviderServer
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.strm import generate_library
from strmline.services import providers as provider_service
from tests.api.conftest import ADMIN
from tests.helpers import wait_for_job_api


async def _client(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as c:
        yield c


@pytest.fixture
async def lan(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(app, "http://testserver:8124"):
        yield c


@pytest.fixture
async def local(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(app, "http://127.0.0.1:8124"):
        yield c


async def _admin(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/setup", json=ADMIN)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _provider(app: FastAPI, fake_provider) -> None:  # type: ignore[no-untyped-def]
    spec = provider_service.ProviderCreate(
        name="xc-acme",
        kind="xtream",
        url=fake_provider.url,
        username="acme",
        password=fake_provider.account("acme").password,
    )
    async with session_scope(app.state.session_factory) as s:
        await provider_service.create(session=s, spec=spec)


def _urls(root: Path) -> list[str]:
    files = sorted(root.rglob("*.strm"))
    assert files, f"no .strm files under {root}"
    return [f.read_text().strip() for f in files]


async def test_library_points_at_the_requests_address(
    lan: httpx.AsyncClient, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    admin = await _admin(lan)
    settings = app.state.settings
    # The VOD sync passes the address on to the library it writes afterwards.
    settings.vod.strm_after_sync = True
    await _provider(app, fake_provider)
    r = await lan.post("/api/vod/sync", json={}, headers=admin)
    assert r.status_code == 202, r.text
    assert r.json()["base_url"] == "http://testserver:8124" and r.json()["warning"] is None
    job = await wait_for_job_api(lan, admin, r.json()["job_id"])
    assert job["state"] == "succeeded", job
    urls = _urls(settings.strm_dir)
    assert all(u.startswith("http://testserver:8124/play/") for u in urls), urls[:3]

    r = await lan.post("/api/strm/generate", json={}, headers=admin)
    assert r.status_code == 202, r.text
    assert r.json()["base_url"] == "http://testserver:8124" and r.json()["warning"] is None
    done = await wait_for_job_api(lan, admin, r.json()["job_id"])
    assert done["state"] == "succeeded", done
    assert done["result"]["base_url"] == "http://testserver:8124"
    assert done["result"]["warning"] is None and done["result"]["written"] == 0

    # A run without a request (scheduler, CLI) uses the address the last request came in on.
    ctx = PipelineContext(session_factory=app.state.session_factory, settings=settings)
    out = settings.data_dir / "scheduled"
    result = await generate_library(ctx, out=out)
    assert result.warning is None
    assert all(u.startswith("http://testserver:8124/play/") for u in _urls(out))


async def test_loopback_address_is_warned_about(
    local: httpx.AsyncClient, app: FastAPI, fake_provider: FakeProviderServer
) -> None:
    admin = await _admin(local)
    app.state.settings.vod.strm_after_sync = False
    await _provider(app, fake_provider)
    assert (await wait_for_job_api(local, admin, (await local.post("/api/vod/sync", json={}, headers=admin)).json()["job_id"]))["state"] == "succeeded"  # fmt: skip
    r = await local.post("/api/strm/generate", json={}, headers=admin)
    assert r.status_code == 202, r.text
    warning = r.json()["warning"]
    assert warning and "127.0.0.1" in warning and "Settings" in warning
    done = await wait_for_job_api(local, admin, r.json()["job_id"])
    assert done["result"]["warning"] == warning
    assert warning in done["message"]
    assert all(u.startswith("http://127.0.0.1:8124/") for u in _urls(app.state.settings.strm_dir))
