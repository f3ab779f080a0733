"""Pointing a provider at strmline's own SQLite database is refused, and nothing reads it.

Reading ``strmline.db`` as a playlist used to open and close the live database file in the
server process; closing any descriptor of a file drops every POSIX lock the process holds on
it, SQLite's included, and the server then deleted its own WAL files: users created afterwards
were gone after a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db.models import Provider

ADMIN = {"username": "admin", "password": "correct horse battery"}


@asynccontextmanager
async def _server(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, scheduler=False, migrate=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/auth/login", json=ADMIN)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _paths(data: Path) -> tuple[Path, Path]:
    db = (data / "strmline.db").resolve()
    link = data / "sources" / "channels.m3u"
    link.symlink_to(db)  # inside the folder, but the database all the same
    return db, link


async def test_the_database_as_a_provider_is_refused_and_users_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRMLINE_SOURCES_DIR")  # the default folder: <data dir>/sources
    data = tmp_path / "data"
    settings = Settings(data_dir=data, secret_key="test-secret-key-" + "x" * 32)
    assert settings.database_url is None and settings.sources_dir is None
    async with _server(settings) as (app, client):
        r = await client.post("/api/setup", json=ADMIN)
        assert r.status_code == 201, r.text
        admin = await _login(client)
        db, link = _paths(data)
        for url in (str(db), db.as_uri(), str(link), f"{db}-wal"):
            r = await client.post(
                "/api/providers", headers=admin, json={"name": "self", "kind": "m3u", "url": url}
            )
            assert r.status_code == 422, (url, r.text)
        # Stored anyway (an older version, a direct edit): the sync refuses to open it.
        async with app.state.engine.begin() as conn:
            await conn.execute(
                insert(Provider),
                [
                    {"name": "self", "kind": "m3u", "url": str(db), "backup_urls": [str(link)]},
                ],
            )
        job = await app.state.runtime.run_inline("sync", {"provider_id": 1})
        assert job.state == "failed", job
        assert "local files are read only from" in (job.error or ""), job.error
        assert "SQLite" not in (job.error or "")
        for n in range(3):
            r = await client.post(
                "/api/users",
                headers=admin,
                json={
                    "username": f"after{n}",
                    "password": "a long enough password",
                    "role": "user",
                },
            )
            assert r.status_code == 201, r.text

    # An in-process restart on the same data dir: every user is still there.
    async with _server(settings) as (_app, client):
        admin = await _login(client)
        r = await client.get("/api/users", headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        items = body["items"] if isinstance(body, dict) else body
        names = {u["username"] for u in items}
        assert {"admin", "after0", "after1", "after2"} <= names, names
        for n in range(3):
            r = await client.post(
                "/api/auth/login",
                json={"username": f"after{n}", "password": "a long enough password"},
            )
            assert r.status_code == 200, r.text
