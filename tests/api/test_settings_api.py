from __future__ import annotations

import httpx
from fastapi import FastAPI

from strmline.api.app import create_app
from strmline.config import Settings
from tests.api.admin_fixtures import assert_error


async def test_auth(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert_error(await client.get("/api/settings"), 401, "unauthorized")
    assert_error(await client.get("/api/settings", headers=viewer), 403, "forbidden")
    assert_error(
        await client.patch("/api/settings", headers=viewer, json={"match": {"threshold": 80}}),
        403,
        "forbidden",
    )


async def test_described_from_the_models(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = (await client.get("/api/settings", headers=admin)).json()
    assert {"sync", "match", "http"} <= set(body)
    assert set(body["sync"]) >= {
        "shrink_guard",
        "removed_retention_days",
        "default_interval_minutes",
    }
    assert set(body["http"]) >= {"timeout", "connect_timeout", "user_agent"}
    # Deployment-level settings stay out of the UI.
    assert "jobs" not in body and "batch_size" not in body["sync"]
    assert "max_connections" not in body["http"]
    guard = body["sync"]["shrink_guard"]
    assert guard["value"] == 0.5 and guard["default"] == 0.5 and guard["type"] == "number"
    assert guard["constraints"] == {"minimum": 0.0, "maximum": 1.0}
    assert guard["description"] and guard["overridden"] is False
    assert body["http"]["timeout"]["constraints"] == {"exclusiveMinimum": 0.0}
    assert body["http"]["user_agent"]["type"] == "string"
    assert body["match"]["threshold"]["type"] == "integer"


async def test_patch_validates_saves_and_applies(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, api_settings: Settings
) -> None:
    r = await client.patch(
        "/api/settings",
        headers=admin,
        json={"sync": {"shrink_guard": 0.3}, "match": {"threshold": 80}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["sync"]["shrink_guard"]["value"] == 0.3
    assert r.json()["sync"]["shrink_guard"]["overridden"] is True
    assert app.state.settings.sync.shrink_guard == 0.3
    # The job runtime holds the same object, so the next sync uses the new value.
    assert app.state.runtime.settings.match.threshold == 80

    bad = await client.patch("/api/settings", headers=admin, json={"match": {"threshold": 101}})
    err = assert_error(bad, 422, "config_error")
    assert err["details"]["field"] == "match.threshold" and "match.threshold" in err["message"]
    assert app.state.settings.match.threshold == 80  # nothing applied from a rejected change
    wrong_type = await client.patch(
        "/api/settings", headers=admin, json={"sync": {"removed_retention_days": "soon"}}
    )
    assert assert_error(wrong_type, 422, "config_error")["details"]["field"] == (
        "sync.removed_retention_days"
    )
    unknown = await client.patch("/api/settings", headers=admin, json={"jobs": {"backend": "x"}})
    assert assert_error(unknown, 422, "config_error")["details"]["field"] == "jobs"
    not_editable = await client.patch(
        "/api/settings", headers=admin, json={"sync": {"batch_size": 500}}
    )
    assert assert_error(not_editable, 422, "config_error")["details"]["field"] == "sync.batch_size"
    not_an_object = await client.patch("/api/settings", headers=admin, json={"sync": 3})
    assert_error(not_an_object, 422, "validation_error")

    # A new process starts with the saved values on top of its environment.
    env = Settings(
        data_dir=api_settings.data_dir,
        database_url=api_settings.database_url,
        secret_key=api_settings.secret_key,
    )
    assert env.sync.shrink_guard == 0.5
    fresh = create_app(env, scheduler=False, migrate=False)
    async with fresh.router.lifespan_context(fresh):
        assert fresh.state.settings.sync.shrink_guard == 0.3
        assert fresh.state.settings.match.threshold == 80
        assert fresh.state.settings.http.timeout == env.http.timeout == 30.0
