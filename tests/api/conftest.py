"""API fixtures: the real app (lifespan included) over ASGI, with an admin and a plain user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from strmline.api.app import create_app
from strmline.config import Settings

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
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def viewer(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> dict[str, str]:
    """Headers of a logged-in plain user."""
    from strmline.db.engine import session_scope
    from strmline.services import users as user_service

    async with session_scope(app.state.session_factory) as s:
        await user_service.create(session=s, username=USER["username"], password=USER["password"])
    return await bearer(client, USER)


@pytest.fixture
async def api_token(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    r = await client.get("/api/auth/api-token", headers=admin)
    token: Any = r.json()["api_token"]
    return str(token)
