from __future__ import annotations

import httpx

from tests.api.conftest import ADMIN


async def test_health_is_public(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["status"] == "ok" and body["version"]


async def test_setup_once_then_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/setup")).json() == {"needs_setup": True}
    weak = await client.post("/api/setup", json={"username": "a", "password": "short"})
    assert weak.status_code == 422 and weak.json()["error"]["details"]["field"] == "password"
    assert (await client.post("/api/setup", json=ADMIN)).status_code == 201
    again = await client.post("/api/setup", json={"username": "x", "password": "long enough pass"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert (await client.get("/api/setup")).json() == {"needs_setup": False}

    bad = await client.post("/api/auth/login", json={**ADMIN, "password": "nope nope nope"})
    assert bad.status_code == 401 and bad.json()["error"]["message"] == "wrong username or password"
    ok = await client.post("/api/auth/login", json=ADMIN)
    tokens = ok.json()
    assert tokens["token_type"] == "bearer"
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["role"] == "admin"

    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    wrong_kind = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    assert wrong_kind.status_code == 401


async def test_logout_revokes_tokens(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.post("/api/auth/logout", headers=admin)).status_code == 204
    assert (await client.get("/api/auth/me", headers=admin)).status_code == 401


async def test_password_change(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    wrong = await client.post(
        "/api/auth/password",
        headers=admin,
        json={"current_password": "bad", "new_password": "brand new password"},
    )
    assert wrong.status_code == 403
    ok = await client.post(
        "/api/auth/password",
        headers=admin,
        json={"current_password": ADMIN["password"], "new_password": "brand new password"},
    )
    assert ok.status_code == 200
    assert (await client.get("/api/auth/me", headers=admin)).status_code == 401
    assert (
        await client.post("/api/auth/login", json={**ADMIN, "password": "brand new password"})
    ).status_code == 200


async def test_api_token_rotation(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    first = (await client.get("/api/auth/api-token", headers=admin)).json()["api_token"]
    second = (await client.post("/api/auth/api-token", headers=admin)).json()["api_token"]
    assert first != second and len(second) >= 24


async def test_login_is_rate_limited(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    codes = [
        (
            await client.post(
                "/api/auth/login", json={"username": "admin", "password": "wrong guess"}
            )
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[-1] == 429


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and "password" in err["message"]
