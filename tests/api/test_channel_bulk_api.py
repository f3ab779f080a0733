"""Bulk channel work: edits by ids or by filter, renumbering, category merges, the list total."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.test_channels_api import channel_row, curated_catalog, seed, stream_row
from tests.dbutil import StatementCounter


async def _channels(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[int, Any]:
    body = (await client.get("/api/channels", headers=headers, params={"limit": 500})).json()
    return {c["id"]: c for c in body["items"]}


async def test_list_carries_the_true_total_on_every_page(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(i, f"Chan {i:03d}", category="News") for i in range(1, 121)])
    first = (await client.get("/api/channels", headers=admin, params={"limit": 50})).json()
    assert first["total"] == 120 and len(first["items"]) == 50
    second = await client.get(
        "/api/channels", headers=admin, params={"limit": 50, "cursor": first["next_cursor"]}
    )
    assert second.json()["total"] == 120
    filtered = await client.get("/api/channels", headers=admin, params={"q": "chan 11"})
    assert filtered.json()["total"] == 10  # 110..119
    # The count is cached: a second request sends no COUNT.
    with StatementCounter(app.state.engine) as counter:
        await client.get("/api/channels", headers=admin, params={"limit": 50})
        assert not any("count(channels.id)" in s for s in counter.statements)
    # A write invalidates it at once.
    r = await client.patch(
        "/api/channels", headers=admin, json={"ids": [1, 2], "changes": {"category": "Kids"}}
    )
    assert r.json() == {"changed": 2}
    kids = await client.get("/api/channels", headers=admin, params={"category": "Kids"})
    assert kids.json()["total"] == 2


async def test_bulk_edit_by_ids_and_by_filter(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    body = {"ids": [1, 3], "changes": {"enabled": False}}
    assert (await client.patch("/api/channels", headers=viewer, json=body)).status_code == 403
    r = await client.patch("/api/channels", headers=admin, json=body)
    assert r.status_code == 200 and r.json() == {"changed": 2}
    rows = await _channels(client, admin)
    assert [rows[i]["enabled"] for i in (1, 2, 3)] == [False, True, False]

    # Every News channel, without listing them: the list's own filter.
    r = await client.patch(
        "/api/channels",
        headers=admin,
        json={
            "filter": {"category": "News"},
            "changes": {"category": "World news", "enabled": True},
        },
    )
    assert r.json() == {"changed": 2}
    rows = await _channels(client, admin)
    assert rows[2]["category"] == rows[3]["category"] == "World news"
    assert rows[3]["enabled"] is True and rows[1]["category"] == "Sport"
    detail = (await client.get("/api/channels/3", headers=admin)).json()
    assert detail["manual"] is True  # a person's edit: the sync keeps it


async def test_bulk_edit_refuses_unclear_requests(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    bad = [
        {"changes": {"enabled": False}},  # no selection
        {"ids": [1], "filter": {}, "changes": {"enabled": False}},  # both
        {"ids": [1], "changes": {}},  # nothing to change
        {"ids": [1], "changes": {"enabled": None}},
        {"ids": [0], "changes": {"enabled": False}},
        {"ids": [1], "changes": {"name": "x"}},
    ]
    for body in bad:
        r = await client.patch("/api/channels", headers=admin, json=body)
        assert r.status_code == 422, (body, r.text)
    rows = await _channels(client, admin)
    assert all(c["enabled"] for c in rows.values())


async def test_bulk_edit_statements_do_not_grow_with_ids(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(i, f"C {i}") for i in range(1, 1201)])

    async def measure(ids: list[int]) -> int:
        with StatementCounter(app.state.engine) as counter:
            r = await client.patch(
                "/api/channels", headers=admin, json={"ids": ids, "changes": {"enabled": False}}
            )
            assert r.json() == {"changed": len(ids)}
            return counter.count

    assert await measure(list(range(1, 11))) == await measure(list(range(1, 1201)))


async def test_select_ids_of_a_filter(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    r = await client.post("/api/channels/select", headers=admin, json={"category": "News"})
    assert r.json() == {"ids": [3, 2], "truncated": False}  # name order: BBC One, CNN


async def test_renumber_skips_numbers_others_hold_and_keeps_provider_numbers(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(
        app,
        [
            channel_row(1, "Alpha", number=1.0, category="B", number_source="auto"),
            channel_row(2, "Bravo", number=2.0, category="A", number_source="auto"),
            channel_row(3, "Charlie", number=101.0, number_source="chno", category="A"),
            channel_row(4, "Delta", number=5.0, number_source="auto"),
            channel_row(5, "Outside", number=102.0, number_source="auto"),
        ],
        [stream_row(i * 10, i, f"Stream {i}") for i in range(1, 6)],
    )
    r = await client.post(
        "/api/channels/renumber",
        headers=admin,
        json={"ids": [1, 2, 3, 4], "start": 100, "order": "category", "keep_provider": True},
    )
    assert r.status_code == 200, r.text
    # By category: A (Bravo; Charlie keeps 101), B (Alpha), then no category (Delta); 101 and
    # 102 are held by channels not renumbered, so they are skipped.
    assert r.json() == {"changed": 3, "first": 100.0, "last": 104.0, "kept": 1}
    numbers = {i: c["number"] for i, c in (await _channels(client, admin)).items()}
    assert numbers == {1: 103, 2: 100, 3: 101, 4: 104, 5: 102}

    r = await client.post(
        "/api/channels/renumber", headers=admin, json={"filter": {"q": "a"}, "start": 1}
    )
    names = {c["name"]: c["number"] for c in (await _channels(client, admin)).values()}
    # Name order over every name containing "a": Alpha, Bravo, Charlie, Delta.
    assert r.json()["changed"] == 4
    assert [names[n] for n in ("Alpha", "Bravo", "Charlie", "Delta")] == [1, 2, 3, 4]


async def test_merge_category_spellings(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(
        app,
        [
            channel_row(1, "A", category="US | News"),
            channel_row(2, "B", category="US: News"),
            channel_row(3, "C", category="Sport"),
        ],
    )
    r = await client.post(
        "/api/categories/merge",
        headers=admin,
        json={"names": ["US | News", "US: News"], "into": "US: News"},
    )
    assert r.json() == {"changed": 1}
    cats = (await client.get("/api/categories", headers=admin)).json()
    assert cats == [{"name": "Sport", "count": 1}, {"name": "US: News", "count": 2}]
    r = await client.post(
        "/api/categories/merge", headers=admin, json={"names": ["Sport"], "into": "Sports"}
    )
    assert r.json() == {"changed": 1}
    bad = await client.post("/api/categories/merge", headers=admin, json={"names": [], "into": "x"})
    assert bad.status_code == 422


async def test_renumber_refuses_to_pass_the_highest_number(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(i, f"C {i}", number=float(i)) for i in range(1, 4)])
    r = await client.post(
        "/api/channels/renumber", headers=admin, json={"ids": [1, 2, 3], "start": 900_000}
    )
    assert r.status_code == 200
    await seed(app, [channel_row(i, f"D {i}", number=float(999_990 + i)) for i in range(4, 14)])
    r = await client.post(
        "/api/channels/renumber", headers=admin, json={"ids": [1, 2, 3], "start": 899_999}
    )
    assert r.status_code == 200
    r = await client.post(
        "/api/channels/renumber", headers=admin, json={"ids": [1, 2, 3], "start": 999_995}
    )
    assert r.status_code == 422 and "would pass" in r.json()["error"]["message"]
    numbers = sorted(c["number"] for c in (await _channels(client, admin)).values())[:3]
    assert numbers == [899_999, 900_000, 900_001]
