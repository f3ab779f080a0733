"""Channel list, detail and curation endpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, insert, select, text

from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.matching.names import normalize, parse_name
from strmline.services import curation
from tests.api.admin_fixtures import statements
from tests.dbutil import StatementCounter

# --- seeding: bulk inserts straight into the tables ---------------------------------------------


def channel_row(cid: int, name: str, **kw: Any) -> dict[str, Any]:
    row = {
        "id": cid,
        "name": name,
        "search_name": normalize(name),
        "match_key": normalize(name),
        "country": None,
        "region": None,
        "category": None,
        "number": None,
        "enabled": True,
        "manual": False,
        "stream_count": 1,
        "active_stream_count": 1,
        "best_quality": None,
    }
    return row | kw


def stream_row(
    sid: int, channel_id: int, name: str, provider_id: int = 1, **kw: Any
) -> dict[str, Any]:
    quality = parse_name(name).quality
    row = {
        "id": sid,
        "provider_id": provider_id,
        "channel_id": channel_id,
        "provider_key": f"key-{sid}",
        "name": name,
        "url": f"http://provider.test/live/{sid}.ts",
        "content_hash": "x" * 32,
        "quality": quality.label or None,
        "quality_score": quality.score,
        "status": "ok",
        "active": True,
        "rank": 0,
        "removed_at": None,
    }
    return row | kw


async def seed(
    app: FastAPI,
    channels: list[dict[str, Any]],
    streams: list[dict[str, Any]] | None = None,
    *,
    recount: bool = False,
) -> None:
    engine = app.state.engine
    async with engine.begin() as conn:
        have = await conn.scalar(select(func.count()).select_from(Provider))
        if not have:
            await conn.execute(
                insert(Provider),
                [
                    {"id": 1, "name": "acme", "kind": "m3u", "url": "http://acme.test/a.m3u"},
                    {"id": 2, "name": "globex", "kind": "m3u", "url": "http://globex.test/g.m3u"},
                ],
            )
        if channels:
            await conn.execute(insert(Channel), channels)
        if streams:
            await conn.execute(insert(Stream), streams)
        if engine.dialect.name == "postgresql":
            # Explicit ids do not advance the sequences that later inserts draw from.
            for table in ("providers", "channels", "streams"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
                )
    if recount:
        async with session_scope(app.state.session_factory) as s:
            await recompute.all_channels(s)


async def walk(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(200):
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        r = await client.get("/api/channels", headers=headers, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= int(params.get("limit", 50))
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


# --- list ---------------------------------------------------------------------------------------


async def test_pagination_walks_every_sort_without_gaps(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    rng = random.Random(7)
    # Few distinct names in several spellings (ties on search_name), a third without a number,
    # numbers and stream counts with ties.
    spellings = ["Café", "CAFE", "cafe", "Alpha", "alpha", "Zulu", "Écho", "echo", "Mid"]
    rows = [
        channel_row(
            i,
            rng.choice(spellings),
            number=None if i % 3 == 0 else float(rng.choice([1, 2, 2, 5, 7.5, 10])),
            stream_count=rng.choice([1, 1, 2, 3]),
        )
        for i in range(1, 48)
    ]
    rows.append(channel_row(100, "Empty but mine", stream_count=0, manual=True))
    rows.append(channel_row(101, "Empty matcher leftover", stream_count=0))
    await seed(app, rows)
    visible = [r for r in rows if r["id"] != 101]

    def expected(sort: str, order: str) -> list[int]:
        desc = order == "desc"
        if sort == "number":
            numbered = [r for r in visible if r["number"] is not None]
            unnumbered = [r for r in visible if r["number"] is None]
            numbered.sort(key=lambda r: (r["number"], r["id"]), reverse=desc)
            unnumbered.sort(key=lambda r: r["id"], reverse=desc)
            return [r["id"] for r in numbered + unnumbered]
        column = {"name": "search_name", "stream_count": "stream_count"}[sort]
        ordered = sorted(visible, key=lambda r: (r[column], r["id"]), reverse=desc)
        return [r["id"] for r in ordered]

    for sort in ("name", "number", "stream_count"):
        for order in ("asc", "desc"):
            got = [i["id"] for i in await walk(client, admin, limit=4, sort=sort, order=order)]
            assert len(got) == len(set(got)), (sort, order)
            assert got == expected(sort, order), (sort, order)

    # The default is name ascending, 50 a page.
    first = (await client.get("/api/channels", headers=admin)).json()
    assert [i["id"] for i in first["items"]] == expected("name", "asc")
    assert first["next_cursor"] is None
    item = first["items"][0]
    assert set(item) == {
        "id",
        "name",
        "number",
        "category",
        "country",
        "region",
        "variant",
        "logo",
        "logo_proxy",
        "tvg_id",
        "enabled",
        "stream_count",
        "active_stream_count",
        "best_quality",
        "working_stream_count",
        "failed_stream_count",
        "unchecked_stream_count",
        "health",
    }


async def test_cursor_and_limit_are_validated(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(app, [channel_row(i, f"Channel {i}") for i in range(1, 6)])
    page = (await client.get("/api/channels", headers=admin, params={"limit": 2})).json()
    cursor = page["next_cursor"]
    other_sort = await client.get(
        "/api/channels", headers=admin, params={"cursor": cursor, "sort": "number"}
    )
    assert other_sort.status_code == 422 and other_sort.json()["error"]["code"] == "invalid_cursor"
    junk = await client.get("/api/channels", headers=admin, params={"cursor": "not-a-cursor"})
    assert junk.status_code == 422
    assert (
        await client.get("/api/channels", headers=admin, params={"limit": 501})
    ).status_code == 422
    assert (
        await client.get("/api/channels", headers=admin, params={"limit": 500})
    ).status_code == 200


async def test_search_ignores_case_and_accents(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await seed(
        app,
        [
            channel_row(1, "Café TV"),
            channel_row(2, "CAFE Noir"),
            channel_row(3, "Tea Time"),
        ],
    )
    for q in ("cafe", "CAFÉ", "Cafe"):
        found = (await client.get("/api/channels", headers=admin, params={"q": q})).json()
        assert sorted(i["id"] for i in found["items"]) == [1, 2], q


async def test_filters(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    await seed(
        app,
        [
            channel_row(1, "One", category="News", country="US", best_quality="HD"),
            channel_row(2, "Two", category="News", country="UK", region="East", best_quality="SD"),
            channel_row(3, "Three", category="Sport", enabled=False, active_stream_count=0),
            channel_row(4, "Four", category="Sport", country="US", best_quality="UHD"),
        ],
        [
            stream_row(1, 1, "One HD"),
            stream_row(2, 2, "Two", provider_id=2),
            stream_row(3, 3, "Three", provider_id=2),
            stream_row(4, 4, "Four UHD", provider_id=2, removed_at=utcnow()),
        ],
    )

    async def ids(**params: Any) -> list[int]:
        r = await client.get("/api/channels", headers=admin, params=params)
        assert r.status_code == 200, r.text
        return sorted(i["id"] for i in r.json()["items"])

    assert await ids(category="News") == [1, 2]
    assert await ids(country="us") == [1, 4]
    assert await ids(region="East") == [2]
    assert await ids(quality="hd") == [1]
    assert await ids(enabled="false") == [3]
    assert await ids(has_active="false") == [3]
    assert await ids(has_active="true") == [1, 2, 4]
    # A removed stream does not count as the provider offering the channel.
    assert await ids(provider_id=2) == [2, 3]
    assert await ids(provider_id=2, category="Sport") == [3]


async def test_statements_do_not_grow_with_rows(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    async def measure() -> tuple[int, int]:
        await app.state.cache.bump("categories")  # the seeding wrote past the cached total
        with StatementCounter(app.state.engine) as counter:
            r = await client.get(
                "/api/channels", headers=admin, params={"limit": 50, "q": "chan", "provider_id": 1}
            )
            assert r.status_code == 200 and r.json()["items"]
            listed = counter.count
            counter.reset()
            r = await client.get("/api/channels/1", headers=admin)
            assert r.status_code == 200 and len(r.json()["streams"]) == 2
            return listed, counter.count

    def batch(start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        channels = [channel_row(i, f"Channel {i}", number=float(i)) for i in range(start, stop)]
        streams = [
            stream_row(2 * i + k, i, f"Channel {i} {q}", provider_id=1 + k)
            for i in range(start, stop)
            for k, q in enumerate(("HD", "SD"))
        ]
        return channels, streams

    await seed(app, *batch(1, 11), recount=True)
    small = await measure()
    await seed(app, *batch(11, 1001), recount=True)
    large = await measure()
    assert small == large, (small, large)


async def test_default_sort_uses_an_index(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    rows = [channel_row(i, f"Channel {i:05d}") for i in range(1, 3001)]
    await seed(app, rows)
    engine = app.state.engine
    page = (await client.get("/api/channels", headers=admin, params={"limit": 10})).json()
    for cursor in (None, page["next_cursor"]):
        params = curation.ListParams(cursor=cursor)
        sql = str(
            curation.list_query(params).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(text("ANALYZE channels"))
                plan = "\n".join(r[0] for r in await conn.execute(text(f"EXPLAIN {sql}")))
                assert "Index Scan" in plan and "ix_channels_search_name" in plan, plan
            else:
                plan = "\n".join(
                    str(r[-1]) for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
                )
                assert "ix_channels_search_name" in plan, plan
                assert "TEMP B-TREE" not in plan, plan


async def test_a_page_is_one_statement_for_every_sort_and_filter(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    """With the total cached, a page is one statement (the channels and their health together),
    first page or later, for every sort, search and filter, and at any page size."""
    statuses = ("ok", "failed", "unknown", "slow")
    rows = [
        channel_row(
            i,
            f"Channel {i:03d}",
            number=float(i) if i % 3 else None,
            category="News" if i % 2 else "Sport",
            stream_count=2,
        )
        for i in range(1, 131)
    ]
    streams = [
        stream_row(2 * i + k, i, f"Channel {i} HD", provider_id=1 + k, status=statuses[(i + k) % 4])
        for i in range(1, 131)
        for k in (0, 1)
    ]
    await seed(app, rows, streams, recount=True)
    cases: list[dict[str, Any]] = [
        {"limit": 50},
        {"limit": 50, "sort": "number", "order": "desc"},
        {"limit": 50, "sort": "stream_count"},
        {"limit": 50, "q": "chan"},
        {"limit": 50, "category": "News", "provider_id": 2, "has_active": "true"},
        {"limit": 500},
    ]
    for params in cases:
        first = await client.get("/api/channels", headers=admin, params=params)  # the total
        assert first.status_code == 200, first.text
        cursor = first.json()["next_cursor"]
        pages = [params] + ([params | {"cursor": cursor}] if cursor else [])
        for query in pages:

            async def get(query: dict[str, Any] = query) -> httpx.Response:
                return await client.get("/api/channels", headers=admin, params=query)

            count, response = await statements(app, get)
            assert count == 1, query
            if query is params:
                assert response.json() == first.json()


async def test_search_and_its_total_read_the_name_index_not_the_table(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    """``LIKE '%q%'`` cannot seek a b-tree: on SQLite the search walks the name index, which also
    holds what the list filters on, and the total counts from that index alone."""
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL searches with its trigram index (migration search_trgm)")
    await seed(app, [channel_row(i, f"Channel {i:04d}") for i in range(1, 2001)])
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    sent: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        _conn, _cursor, statement, parameters, _context, _many = args
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        r = await client.get("/api/channels", headers=admin, params={"q": "nel 12"})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 100  # Channel 1200 to 1299
    plans = []
    async with engine.connect() as conn:
        for statement, parameters in sent:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append("\n".join(str(row[-1]) for row in rows))
    assert len(sent) == 2  # the total, then the page
    count, page = (
        plan
        for (sql, _), plan in sorted(
            zip(sent, plans, strict=True), key=lambda p: "LIMIT" in p[0][0]
        )
    )
    assert "SCAN channels USING COVERING INDEX ix_channels_search_name_listed" in count, count
    # The page walks the index in order (the outer query only sorts the page's own rows again).
    assert "SCAN channels USING INDEX ix_channels_search_name_listed" in page, page


# --- detail -------------------------------------------------------------------------------------


async def curated_catalog(app: FastAPI) -> None:
    """Channel 1 (three streams, one removed), 2 (one stream), 3 (two streams), 4 manual empty."""
    await seed(
        app,
        [
            channel_row(1, "ESPN", category="Sport", number=5.0),
            channel_row(2, "CNN", category="News"),
            channel_row(3, "BBC One", category="News", country="UK"),
            channel_row(4, "My Favourites", manual=True, stream_count=0),
        ],
        [
            stream_row(10, 1, "US: ESPN FHD"),
            stream_row(11, 1, "US: ESPN SD", provider_id=2),
            stream_row(12, 1, "US: ESPN HD", removed_at=utcnow()),
            stream_row(20, 2, "US: CNN HD"),
            stream_row(30, 3, "UK: BBC One HD"),
            stream_row(31, 3, "UK: BBC One East SD", provider_id=2),
        ],
        recount=True,
    )


async def test_detail_lists_live_streams_in_rank_order(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    r = await client.get("/api/channels/1", headers=viewer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "ESPN" and body["number"] == 5 and body["manual"] is False
    assert body["stream_count"] == 2 and body["best_quality"] == "FHD"
    assert [s["id"] for s in body["streams"]] == [10, 11]
    assert [s["rank"] for s in body["streams"]] == [1, 2]
    stream = body["streams"][1]
    assert stream["provider"] == "globex" and stream["provider_id"] == 2
    assert stream["pinned"] is False and stream["pinned_rank"] is None
    assert stream["manual_override"] is False and stream["quality"] == "SD"
    for key in ("epg_channel_id", "play_mode", "score", "status", "checked_at", "merge_reason"):
        assert key in body or key in stream
    missing = await client.get("/api/channels/999", headers=viewer)
    assert missing.status_code == 404 and "channel 999" in missing.json()["error"]["message"]
    assert (await client.get("/api/channels/1")).status_code == 401


# --- curation -----------------------------------------------------------------------------------


async def test_edit_marks_the_channel_manual(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    r = await client.patch(
        "/api/channels/2",
        headers=admin,
        json={"name": "  Cable Néws  ", "number": 42, "category": None, "enabled": False},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Cable Néws" and body["number"] == 42 and body["category"] is None
    assert body["enabled"] is False and body["manual"] is True
    found = (await client.get("/api/channels", headers=admin, params={"q": "cable news"})).json()
    assert [i["id"] for i in found["items"]] == [2]
    # Absent fields stay as they were.
    kept = (await client.patch("/api/channels/2", headers=admin, json={"logo": "x.png"})).json()
    assert kept["name"] == "Cable Néws" and kept["logo"] == "x.png"
    for bad in ({"name": None}, {"name": "  "}, {"enabled": None}):
        assert (await client.patch("/api/channels/2", headers=admin, json=bad)).status_code == 422
    assert (await client.patch("/api/channels/99", headers=admin, json={})).status_code == 404


async def test_move_stream(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    await curated_catalog(app)
    r = await client.post("/api/channels/1/streams/11/move", headers=admin, json={"channel_id": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["id"] for s in body["from"]["streams"]] == [10]
    assert body["from"]["stream_count"] == 1
    moved = next(s for s in body["to"]["streams"] if s["id"] == 11)
    assert moved["manual_override"] is True and moved["merge_method"] == "manual"
    assert moved["merge_confidence"] == 100 and moved["merge_reason"] == "moved by admin"
    assert body["to"]["stream_count"] == 3

    # Moving the last stream away deletes a channel the matcher made.
    emptied = await client.post(
        "/api/channels/2/streams/20/move", headers=admin, json={"channel_id": 4}
    )
    assert emptied.status_code == 200 and emptied.json()["from"] is None
    assert (await client.get("/api/channels/2", headers=admin)).status_code == 404
    # ... but not one a person made.
    back = await client.post(
        "/api/channels/4/streams/20/move", headers=admin, json={"channel_id": 1}
    )
    assert back.json()["from"]["id"] == 4 and back.json()["from"]["stream_count"] == 0

    same = await client.post(
        "/api/channels/1/streams/10/move", headers=admin, json={"channel_id": 1}
    )
    assert same.status_code == 409 and "already on channel 1" in same.json()["error"]["message"]
    wrong = await client.post(
        "/api/channels/1/streams/30/move", headers=admin, json={"channel_id": 4}
    )
    assert wrong.status_code == 404 and "stream 30" in wrong.json()["error"]["message"]
    removed = await client.post(
        "/api/channels/1/streams/12/move", headers=admin, json={"channel_id": 4}
    )
    assert removed.status_code == 404
    nowhere = await client.post(
        "/api/channels/1/streams/10/move", headers=admin, json={"channel_id": 77}
    )
    assert nowhere.status_code == 404 and "channel 77" in nowhere.json()["error"]["message"]


async def test_split(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    await curated_catalog(app)
    r = await client.post("/api/channels/3/split", headers=admin, json={"stream_ids": [31]})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["name"] == "BBC One East" and new["region"] == "East" and new["manual"] is True
    assert [s["id"] for s in new["streams"]] == [31]
    assert new["streams"][0]["manual_override"] is True
    assert new["id"] not in (1, 2, 3, 4)
    left = (await client.get("/api/channels/3", headers=admin)).json()
    assert [s["id"] for s in left["streams"]] == [30]

    named = await client.post(
        "/api/channels/1/split", headers=admin, json={"stream_ids": [11, 10], "name": "ESPN Alt"}
    )
    assert named.status_code == 201
    assert named.json()["name"] == "ESPN Alt"
    assert [s["id"] for s in named.json()["streams"]] == [10, 11]
    # Channel 1 lost every live stream but keeps its removed one, so it stays, empty.
    assert (await client.get("/api/channels/1", headers=admin)).json()["stream_count"] == 0

    for bad in ({"stream_ids": []}, {"stream_ids": [30, 30]}):
        assert (
            await client.post("/api/channels/3/split", headers=admin, json=bad)
        ).status_code == 422
    missing = await client.post("/api/channels/3/split", headers=admin, json={"stream_ids": [20]})
    assert missing.status_code == 404 and "stream 20" in missing.json()["error"]["message"]


async def test_merge(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> None:
    await curated_catalog(app)
    r = await client.post("/api/channels/2/merge", headers=admin, json={"other_id": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == 2 and body["manual"] is True
    assert sorted(s["id"] for s in body["streams"]) == [10, 11, 20]
    assert all(s["manual_override"] for s in body["streams"] if s["id"] != 20)
    assert body["number"] == 5  # taken from the merged channel, which had one
    assert (await client.get("/api/channels/1", headers=admin)).status_code == 404
    async with app.state.session_factory() as s:
        removed = await s.get(Stream, 12)
        assert removed is not None and removed.channel_id == 2  # removed rows move too
    same = await client.post("/api/channels/2/merge", headers=admin, json={"other_id": 2})
    assert same.status_code == 409
    gone = await client.post("/api/channels/2/merge", headers=admin, json={"other_id": 1})
    assert gone.status_code == 404 and "channel 1" in gone.json()["error"]["message"]


async def test_pin_and_order(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    for sid in (31, 30):
        r = await client.post(
            f"/api/channels/3/streams/{sid}/move", headers=admin, json={"channel_id": 1}
        )
        assert r.status_code == 200, r.text
    ranked = [
        s["id"] for s in (await client.get("/api/channels/1", headers=admin)).json()["streams"]
    ]
    assert ranked == [10, 30, 11, 31]  # FHD, HD, then the SDs by id

    pinned = await client.post("/api/streams/31/pin", headers=admin, json={"rank": 1})
    assert pinned.status_code == 200, pinned.text
    streams = pinned.json()["streams"]
    assert [s["id"] for s in streams] == [31, 10, 30, 11]
    assert streams[0]["pinned"] is True and streams[0]["pinned_rank"] == 1
    assert pinned.json()["best_quality"] == "SD"  # the pinned stream is the best one now
    # Pinning another at 1 pushes the earlier pin down rather than tying with it.
    again = (await client.post("/api/streams/11/pin", headers=admin, json={"rank": 1})).json()
    assert [s["id"] for s in again["streams"]][:2] == [11, 31]
    unpinned = (await client.post("/api/streams/11/pin", headers=admin, json={"rank": None})).json()
    assert [s["id"] for s in unpinned["streams"]] == [31, 10, 30, 11]

    ordered = await client.post(
        "/api/channels/1/order", headers=admin, json={"stream_ids": [30, 11]}
    )
    assert ordered.status_code == 200, ordered.text
    streams = ordered.json()["streams"]
    assert [s["id"] for s in streams] == [30, 11, 10, 31]
    assert [s["pinned_rank"] for s in streams] == [1, 2, None, None]

    assert (
        await client.post("/api/streams/999/pin", headers=admin, json={"rank": 1})
    ).status_code == 404
    assert (
        await client.post("/api/streams/10/pin", headers=admin, json={"rank": 0})
    ).status_code == 422
    foreign = await client.post("/api/channels/1/order", headers=admin, json={"stream_ids": [20]})
    assert foreign.status_code == 404


async def test_viewer_reads_but_cannot_write(
    client: httpx.AsyncClient, viewer: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    assert (await client.get("/api/channels", headers=viewer)).status_code == 200
    assert (await client.get("/api/categories", headers=viewer)).status_code == 200
    writes = [
        ("PATCH", "/api/channels/1", {"name": "x"}),
        ("POST", "/api/channels/1/streams/10/move", {"channel_id": 2}),
        ("POST", "/api/channels/1/split", {"stream_ids": [10]}),
        ("POST", "/api/channels/1/merge", {"other_id": 2}),
        ("POST", "/api/streams/10/pin", {"rank": 1}),
        ("POST", "/api/channels/1/order", {"stream_ids": [10]}),
    ]
    for method, url, body in writes:
        r = await client.request(method, url, headers=viewer, json=body)
        assert r.status_code == 403, (url, r.text)
    detail = (await client.get("/api/channels/1", headers=viewer)).json()
    assert detail["name"] == "ESPN" and [s["id"] for s in detail["streams"]] == [10, 11]


async def test_categories_are_cached_and_refreshed_by_curation(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    first = await client.get("/api/categories", headers=admin)
    assert first.status_code == 200
    assert first.json() == [{"name": "News", "count": 2}, {"name": "Sport", "count": 1}]
    with StatementCounter(app.state.engine) as counter:
        assert (await client.get("/api/categories", headers=admin)).json() == first.json()
        assert not any("GROUP BY" in s for s in counter.statements)
    await client.patch("/api/channels/2", headers=admin, json={"category": "Sport"})
    after = (await client.get("/api/categories", headers=admin)).json()
    assert after == [{"name": "News", "count": 1}, {"name": "Sport", "count": 2}]


async def test_empty_catalogue(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = (await client.get("/api/channels", headers=admin)).json()
    assert body == {"items": [], "next_cursor": None, "total": 0}
    assert (await client.get("/api/categories", headers=admin)).json() == []


async def test_health_fields_say_working_only_after_a_passed_check(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    """A stream never checked is active (playable) but not "working"."""
    await seed(
        app,
        [
            channel_row(i, name, stream_count=2, active_stream_count=2)
            for i, name in enumerate(["Fresh", "Half", "Good", "Bad"], start=1)
        ],
        [
            stream_row(1, 1, "Fresh A", status="unknown"),
            stream_row(2, 1, "Fresh B", status="unknown", provider_id=2),
            stream_row(3, 2, "Half A", status="ok"),
            stream_row(4, 2, "Half B", status="unknown", provider_id=2),
            stream_row(5, 3, "Good A", status="ok"),
            stream_row(6, 3, "Good B", status="slow", provider_id=2),
            stream_row(7, 4, "Bad A", status="failed"),
            stream_row(8, 4, "Bad B", status="failed", active=False, provider_id=2),
            stream_row(9, 4, "Bad gone", status="ok", removed_at=utcnow()),
        ],
        recount=True,
    )
    expected = {
        "Fresh": (0, 0, 2, "not_checked"),
        "Half": (1, 0, 1, "partial"),
        "Good": (2, 0, 0, "working"),
        "Bad": (0, 2, 0, "failing"),
    }
    keys = ("working_stream_count", "failed_stream_count", "unchecked_stream_count", "health")
    items = (await client.get("/api/channels", headers=admin)).json()["items"]
    assert {i["name"]: tuple(i[k] for k in keys) for i in items} == expected
    fresh = next(i for i in items if i["name"] == "Fresh")
    assert fresh["active_stream_count"] == 2  # playable, but not known to work
    for item in items:
        detail = (await client.get(f"/api/channels/{item['id']}", headers=admin)).json()
        assert tuple(detail[k] for k in keys) == expected[item["name"]], item["name"]
