"""Provider passwords are stored encrypted, read back transparently, and clear-text values saved
before encryption are still read and sealed at the next start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db import secrets as db_secrets
from strmline.db.engine import session_scope
from strmline.db.models import Provider
from strmline.demo import FakeProviderServer
from strmline.services import providers as provider_service
from tests.api.admin_fixtures import assert_error
from tests.helpers import wait_for_job_api

PASSWORD = "hunter2"


async def _stored(app: FastAPI, provider_id: int) -> str | None:
    """The password column exactly as it is in the database."""
    async with app.state.engine.connect() as conn:
        value = await conn.scalar(
            text("SELECT password FROM providers WHERE id = :id"), {"id": provider_id}
        )
    return None if value is None else str(value)


def _xtream(fake: FakeProviderServer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Globex",
        "kind": "xtream",
        "url": fake.url,
        "username": "globex",
        "password": PASSWORD,
        **extra,
    }


async def test_password_is_encrypted_and_a_sync_still_logs_in(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    fake_provider: FakeProviderServer,
) -> None:
    r = await client.post("/api/providers", headers=admin, json=_xtream(fake_provider))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    stored = await _stored(app, pid)
    assert stored is not None and stored.startswith("enc1:") and PASSWORD not in stored
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, pid)).password == PASSWORD  # type: ignore[union-attr]
        assert PASSWORD in await provider_service.known_secrets(s)
    # The real Xtream panel accepts the decrypted password: the sync finds its channels.
    job_id = (await client.post(f"/api/providers/{pid}/sync", headers=admin)).json()["job_id"]
    job = await wait_for_job_api(client, admin, job_id)
    assert job["state"] == "succeeded", job
    listed = (await client.get("/api/providers", headers=admin)).json()["items"][0]
    assert listed["stream_count"] > 0
    # A new password is sealed too, with a fresh nonce (the same text never looks the same).
    r = await client.patch(
        f"/api/providers/{pid}", headers=admin, json={"password": PASSWORD + "!"}
    )
    assert r.status_code == 200, r.text
    again = await _stored(app, pid)
    assert again is not None and again.startswith("enc1:") and again != stored


async def test_longest_password_fits_the_column(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    fake_provider: FakeProviderServer,
) -> None:
    longest = "é" * (provider_service.MAX_PASSWORD_BYTES // 2)  # two bytes each
    r = await client.post(
        "/api/providers", headers=admin, json=_xtream(fake_provider, password=longest)
    )
    assert r.status_code == 201, r.text  # PostgreSQL would refuse more than varchar(200)
    stored = await _stored(app, r.json()["id"])
    assert stored is not None and len(stored) <= 200
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, r.json()["id"])).password == longest  # type: ignore[union-attr]
    too_long = _xtream(
        fake_provider, name="Other", password="x" * (provider_service.MAX_PASSWORD_BYTES + 1)
    )
    err = assert_error(
        await client.post("/api/providers", headers=admin, json=too_long), 422, "config_error"
    )
    assert "password is longer than" in err["message"]


async def _restart(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, scheduler=False, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_clear_text_from_before_is_read_then_sealed_at_start(
    app: FastAPI, api_settings: Settings
) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO providers (name, kind, url, username, password, backup_urls, "
                "output_format, enabled, priority, vod_detect, auto_epg, last_good_entries, "
                "take_new_groups, created_at, updated_at) VALUES ('Old', 'xtream', "
                "'http://127.0.0.1:9', 'u', :pw, '[]', 'ts', true, 0, true, true, 0, true, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"pw": PASSWORD},
        )
        pid = (await conn.execute(text("SELECT id FROM providers WHERE name = 'Old'"))).scalar()
    assert await _stored(app, pid) == PASSWORD
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, pid)).password == PASSWORD  # type: ignore[union-attr]
    async for restarted in _restart(api_settings):
        stored = await _stored(restarted, pid)
        assert stored is not None and stored.startswith("enc1:")
        async with session_scope(restarted.state.session_factory) as s:
            assert (await s.get(Provider, pid)).password == PASSWORD  # type: ignore[union-attr]


async def test_a_changed_signing_key_loses_the_password_not_the_app(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    api_settings: Settings,
    fake_provider: FakeProviderServer,
) -> None:
    pid = (await client.post("/api/providers", headers=admin, json=_xtream(fake_provider))).json()[
        "id"
    ]
    other = api_settings.model_copy(deep=True)
    other.secret_key = SecretStr("another-key-" + "y" * 40)
    try:
        async for restarted in _restart(other):
            async with session_scope(restarted.state.session_factory) as s:
                assert (await s.get(Provider, pid)).password is None  # type: ignore[union-attr]
                assert await provider_service.known_secrets(s) == []
    finally:
        db_secrets.use_key(api_settings.get_secret_key())
    async with session_scope(app.state.session_factory) as s:
        assert (await s.get(Provider, pid)).password == PASSWORD  # type: ignore[union-attr]
