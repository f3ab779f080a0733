from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.admin_fixtures import assert_error, seed_rules, statements


async def test_auth(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert_error(await client.get("/api/rules"), 401, "unauthorized")
    assert_error(await client.get("/api/rules", headers=viewer), 403, "forbidden")
    assert_error(await client.post("/api/rules", headers=viewer, json={}), 403, "forbidden")
    assert_error(await client.delete("/api/rules/1", headers=viewer), 403, "forbidden")


async def test_crud_and_pattern_validation(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"kind": "never", "pattern_a": "BBC One*", "pattern_b": r"re:^bbc one \+1", "note": "x"}
    r = await client.post("/api/rules", headers=admin, json=body)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert {k: rule[k] for k in body} == body and rule["id"]

    broken = await client.post(
        "/api/rules", headers=admin, json={**body, "pattern_b": "re:([unclosed"}
    )
    err = assert_error(broken, 422, "validation_error")
    assert "pattern_b" in err["message"] and "regular expression" in err["details"][0]["message"]
    empty = await client.post("/api/rules", headers=admin, json={**body, "pattern_a": "  "})
    assert "pattern_a" in assert_error(empty, 422, "validation_error")["message"]
    kind = await client.post("/api/rules", headers=admin, json={**body, "kind": "maybe"})
    assert "kind" in assert_error(kind, 422, "validation_error")["message"]

    r = await client.patch(
        f"/api/rules/{rule['id']}", headers=admin, json={"kind": "always", "note": None}
    )
    assert r.status_code == 200 and r.json()["kind"] == "always" and r.json()["note"] is None
    assert r.json()["pattern_a"] == "BBC One*"
    bad = await client.patch(f"/api/rules/{rule['id']}", headers=admin, json={"pattern_a": "re:("})
    assert_error(bad, 422, "validation_error")
    assert (await client.get(f"/api/rules/{rule['id']}", headers=admin)).json()["kind"] == "always"

    assert (await client.delete(f"/api/rules/{rule['id']}", headers=admin)).status_code == 204
    assert_error(await client.get(f"/api/rules/{rule['id']}", headers=admin), 404, "not_found")
    assert_error(await client.delete(f"/api/rules/{rule['id']}", headers=admin), 404, "not_found")


async def test_list_pages_and_statements(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    counts = []
    for size in (10, 990):
        await seed_rules(app, size)
        n, _ = await statements(
            app, lambda: client.get("/api/rules", headers=admin, params={"limit": 500})
        )
        counts.append(n)
    assert counts[0] == counts[1], counts
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 400}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/rules", headers=admin, params=params)).json()
        ids += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) == 1000 and ids == sorted(ids)
