from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.admin_fixtures import assert_error, seed_users, statements
from tests.api.conftest import ADMIN, USER, bearer


async def test_auth(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert_error(await client.get("/api/users"), 401, "unauthorized")
    assert_error(await client.get("/api/users", headers=viewer), 403, "forbidden")
    assert_error(
        await client.post("/api/users", headers=viewer, json={"username": "x"}), 403, "forbidden"
    )
    assert_error(await client.delete("/api/users/1", headers=viewer), 403, "forbidden")


async def test_create_update_delete(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await client.post(
        "/api/users", headers=admin, json={"username": "alice", "password": "long password 1"}
    )
    assert r.status_code == 201, r.text
    alice = r.json()
    assert alice["role"] == "user" and alice["is_active"] is True
    assert "password" not in r.text and "password_hash" not in alice
    dup = await client.post(
        "/api/users", headers=admin, json={"username": "alice", "password": "long password 1"}
    )
    assert_error(dup, 409, "conflict")
    short = await client.post(
        "/api/users", headers=admin, json={"username": "bob", "password": "short"}
    )
    assert "password" in assert_error(short, 422, "validation_error")["message"]
    spaced = await client.post(
        "/api/users", headers=admin, json={"username": "b o b", "password": "long password 1"}
    )
    assert assert_error(spaced, 422, "config_error")["details"]["field"] == "username"
    bad_role = await client.post(
        "/api/users",
        headers=admin,
        json={"username": "bob", "password": "long password 1", "role": "root"},
    )
    assert_error(bad_role, 422, "validation_error")

    alice_headers = await bearer(client, {"username": "alice", "password": "long password 1"})
    assert (await client.get("/api/auth/me", headers=alice_headers)).status_code == 200
    # A role change logs the user out everywhere (token version bumped).
    r = await client.patch(f"/api/users/{alice['id']}", headers=admin, json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert_error(await client.get("/api/auth/me", headers=alice_headers), 401, "invalid_token")
    r = await client.patch(
        f"/api/users/{alice['id']}", headers=admin, json={"password": "another password"}
    )
    assert r.status_code == 200
    alice_headers = await bearer(client, {"username": "alice", "password": "another password"})
    r = await client.patch(f"/api/users/{alice['id']}", headers=admin, json={"is_active": False})
    assert r.json()["is_active"] is False
    assert_error(await client.get("/api/auth/me", headers=alice_headers), 401, "invalid_token")

    assert (await client.delete(f"/api/users/{alice['id']}", headers=admin)).status_code == 204
    assert_error(await client.delete(f"/api/users/{alice['id']}", headers=admin), 404, "not_found")
    assert_error(await client.patch("/api/users/999999", headers=admin, json={}), 404, "not_found")


async def test_never_zero_admins(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    me = (await client.get("/api/auth/me", headers=admin)).json()
    assert_error(await client.delete(f"/api/users/{me['id']}", headers=admin), 409, "conflict")
    demote = await client.patch(f"/api/users/{me['id']}", headers=admin, json={"role": "user"})
    assert_error(demote, 409, "conflict")
    off = await client.patch(f"/api/users/{me['id']}", headers=admin, json={"is_active": False})
    assert_error(off, 409, "conflict")
    # With a second admin the first may step down.
    users = (await client.get("/api/users", headers=admin)).json()["items"]
    other = next(u for u in users if u["username"] == USER["username"])
    await client.patch(f"/api/users/{other['id']}", headers=admin, json={"role": "admin"})
    r = await client.patch(f"/api/users/{me['id']}", headers=admin, json={"role": "user"})
    assert r.status_code == 200 and r.json()["role"] == "user"
    assert (await client.post("/api/auth/login", json=ADMIN)).status_code == 200


async def test_list_pages_and_statements(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for size, tag in ((10, "small"), (990, "big")):
        await seed_users(app, size, tag=tag)
        n, _ = await statements(
            app, lambda: client.get("/api/users", headers=admin, params={"limit": 500})
        )
        counts.append(n)
    assert counts[0] == counts[1], counts
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/users", headers=admin, params=params)).json()
        ids += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) == 1001 and ids == sorted(ids)
