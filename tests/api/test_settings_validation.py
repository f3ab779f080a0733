"""Settings are validated on write: a bad value is a 422 naming the field, and nothing is saved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import Setting
from tests.api.admin_fixtures import assert_error


async def saved(app: FastAPI) -> dict[str, Any]:
    async with session_scope(app.state.session_factory) as s:
        return {key: value for key, value in await s.execute(select(Setting.key, Setting.value))}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"health": {"cron": "every day"}}, "health.cron"),
        ({"health": {"cron": "61 * * * *"}}, "health.cron"),
        ({"strm": {"media_server_url": "jellyfin:8096"}}, "strm.media_server_url"),
        ({"strm": {"flavour": "vlc"}}, "strm.flavour"),
        ({"epg": {"output_days": 0}}, "epg.output_days"),
        ({"server": {"base_url": "ftp://tv.example.org"}}, "server.base_url"),
        ({"server": {"base_url": "http://tv.example.org/?token=x"}}, "server.base_url"),
        ({"server": {"base_url": "not a url"}}, "server.base_url"),
    ],
)
async def test_bad_values_are_rejected_and_not_saved(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    change: dict[str, Any],
    field: str,
) -> None:
    before = app.state.settings.model_dump()
    r = await client.patch("/api/settings", headers=admin, json=change)
    err = assert_error(r, 422, "config_error")
    assert err["details"]["field"] == field and field in err["message"]
    assert await saved(app) == {}
    assert app.state.settings.model_dump() == before


async def test_one_bad_field_rejects_the_whole_change(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    r = await client.patch(
        "/api/settings",
        headers=admin,
        json={
            "sync": {"shrink_guard": 0.2},
            "server": {"base_url": "https://tv.example.org"},
            "health": {"cron": "every day"},
        },
    )
    assert assert_error(r, 422, "config_error")["details"]["field"] == "health.cron"
    assert await saved(app) == {}
    assert app.state.settings.sync.shrink_guard == 0.5
    assert app.state.settings.health.cron == "0 3 * * *"
    assert "base_url" not in app.state.settings.model_fields_set


async def test_valid_cron_is_saved_and_empty_turns_it_off(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    r = await client.patch("/api/settings", headers=admin, json={"health": {"cron": "30 4 * * 1"}})
    assert r.status_code == 200, r.text
    assert app.state.settings.health.cron == "30 4 * * 1"
    r = await client.patch("/api/settings", headers=admin, json={"health": {"cron": ""}})
    assert r.status_code == 200, r.text
    assert r.json()["health"]["cron"]["value"] is None
    assert app.state.settings.health.cron is None


async def test_base_url_is_editable_and_used_by_the_outputs(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    app: FastAPI,
    api_settings: Settings,
    api_token: str,
) -> None:
    listed = (await client.get("/api/settings", headers=admin)).json()["server"]["base_url"]
    assert listed["type"] == "string" and listed["overridden"] is False and listed["description"]

    # Unchanged server settings do not pin the URL: outputs keep using the request's host.
    r = await client.patch("/api/settings", headers=admin, json={"server": {}})
    assert r.status_code == 200, r.text
    assert "base_url" not in app.state.settings.model_fields_set

    r = await client.patch(
        "/api/settings", headers=admin, json={"server": {"base_url": "https://tv.example.org/"}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["server"]["base_url"] == r.json()["server"]["base_url"] | {
        "value": "https://tv.example.org",
        "overridden": True,
    }
    assert app.state.settings.base_url == "https://tv.example.org"
    m3u = await client.get("/output/m3u", params={"token": api_token})
    assert "https://tv.example.org/output/xmltv?" in m3u.text

    # A new process starts with the saved URL.
    env = Settings(
        data_dir=api_settings.data_dir,
        database_url=api_settings.database_url,
        secret_key=api_settings.secret_key,
    )
    fresh = create_app(env, scheduler=False, migrate=False)
    async with fresh.router.lifespan_context(fresh):
        assert fresh.state.settings.base_url == "https://tv.example.org"
        assert "base_url" in fresh.state.settings.model_fields_set
