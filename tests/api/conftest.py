"""API fixtures: the real app (lifespan included) over ASGI, with an admin and a plain user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.services import users as user_service
from strmline.services.user_cache import UserCache, api_key

ADMIN = {"username": "admin", "password": "correct horse battery"}
USER = {"username": "viewer", "password": "another long pass"}


@pytest.fixture
def api_settings(engine: AsyncEngine, migrated_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=migrated_url, secret_key="test-secret-key-" + "x" * 32
    )


@pytest.fixture
async def app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(api_settings, scheduler=False, migrate=False)
    async with application.router.lifespan_context(application):
        # Statement-count tests compare requests seconds apart on a loaded machine: the user row
        # cached by the first must still be cached at the second (changes still invalidate at
        # once).
        application.state.user_cache = UserCache(ttl=600)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def bearer(client: httpx.AsyncClient, creds: dict[str, str]) -> dict[str, str]:
    r = await client.post("/api/auth/login", json=creds)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    """Headers of a logged-in admin (created through first-run setup)."""
    r = await client.post("/api/setup", json=ADMIN)
    assert r.status_code == 201, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    await client.get("/api/auth/me", headers=headers)  # the user cache warm, as in a session
    return headers


@pytest.fixture
async def viewer(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> dict[str, str]:
    """Headers of a logged-in plain user."""
    async with session_scope(app.state.session_factory) as s:
        await user_service.create(session=s, username=USER["username"], password=USER["password"])
    headers = await bearer(client, USER)
    await client.get("/api/auth/me", headers=headers)  # the user cache warm, as in a session
    return headers


@pytest.fixture
async def api_token(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> str:
    r = await client.get("/api/auth/api-token", headers=admin)
    token = str(r.json()["api_token"])
    # Warm, as a media server's polling keeps it: statement counts see the same path each time.
    async with session_scope(app.state.session_factory) as s:
        user = await user_service.get_by_api_token(session=s, token=token)
    assert user is not None
    app.state.user_cache.put(api_key(token), user, epoch=app.state.user_cache.epoch)
    return token
