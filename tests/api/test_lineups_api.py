"""Lineups: CRUD, members and numbers, rules (and after a sync), who sees which, each lineup's
M3U, XMLTV, HDHomeRun tuner and Xtream view, and statement counts that do not grow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import User
from strmline.formats.hdhr import valid_device_id
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from strmline.services import providers as provider_service
from tests.api.admin_fixtures import statements
from tests.api.conftest import USER
from tests.api.test_outputs import add_providers, channel_row, parse, seed, stream_row

CHANNELS = [
    # id, name, category, country, number, quality
    (1, "Cartoon Fun", "Kids", "US", 10.0, "HD"),
    (2, "Toon Time", "Kids", "UK", 11.0, "SD"),
    (3, "Sports One", "Sports", "US", 20.0, "FHD"),
    (4, "Sports Two", "Sports", "UK", 21.0, "UHD"),
    (5, "World News", "News", "US", 30.0, "HD"),
    (6, "Disney Junior", "Entertainment", "US", 40.0, "HD"),
]


async def seed_channels(app: FastAPI) -> None:
    a, _ = await add_providers(app)
    await seed(
        app,
        [
            channel_row(
                cid,
                name=name,
                category=cat,
                country=country,
                number=number,
                best_quality=quality,
                tvg_id=f"ch{cid}.example",
            )
            for cid, name, cat, country, number, quality in CHANNELS
        ],
        [stream_row(cid * 10, cid, a, quality=q) for cid, *_, q in CHANNELS],
    )


async def create(client: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post("/api/lineups", json=body, headers=admin)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def m3u_names(client: httpx.AsyncClient, token: str, **params: str) -> list[tuple[str, str]]:
    r = await client.get("/output/m3u", params={"token": token, **params})
    assert r.status_code == 200, r.text
    entries, _ = parse(r.text)
    return [(e.attrs["tvg-chno"], e.name) for e in entries]


async def test_crud_and_the_builtin_all_channels(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    await seed_channels(app)
    r = await client.get("/api/lineups", headers=admin)
    assert r.status_code == 200
    (builtin,) = r.json()
    assert builtin["id"] is None and builtin["slug"] == "all" and builtin["builtin"]
    assert builtin["channels"] == 6

    kids = await create(client, admin, name="Kids TV", rules=[{"category": "kids"}])
    assert kids["slug"] == "kids-tv" and kids["channels"] == 2
    assert kids["rules"] == [{"category": "kids", "country": None, "quality": None, "name": None}]

    for body, status, text in [
        ({"name": "Kids TV"}, 409, "name"),
        ({"name": "Other", "slug": "kids-tv"}, 409, "slug"),
        ({"name": "Other", "slug": "all"}, 422, "built-in"),
        ({"name": "All channels"}, 422, "built in"),
        ({"name": "Other", "slug": "Bad Slug"}, 422, "slug"),
        ({"name": "Other", "rules": [{"name": "(oops"}]}, 422, "rules[0].name"),
        ({"name": "Other", "rules": [{}]}, 422, "a rule needs"),
    ]:
        r = await client.post("/api/lineups", json=body, headers=admin)
        assert r.status_code == status, (body, r.text)
        assert text in r.text

    r = await client.patch(
        f"/api/lineups/{kids['id']}", json={"name": "Children", "position": 3}, headers=admin
    )
    assert r.status_code == 200 and r.json()["name"] == "Children"
    assert r.json()["slug"] == "kids-tv"  # URLs handed out keep working
    assert (await client.get(f"/api/lineups/{kids['id']}", headers=admin)).json()["position"] == 3
    assert (await client.delete(f"/api/lineups/{kids['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/lineups/{kids['id']}", headers=admin)).status_code == 404
    assert len((await client.get("/api/lineups", headers=admin)).json()) == 1


async def test_lineups_need_an_admin(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert (await client.get("/api/lineups", headers=viewer)).status_code == 403
    r = await client.post("/api/lineups", json={"name": "x"}, headers=viewer)
    assert r.status_code == 403
    assert (await client.get("/api/lineups/mine", headers=viewer)).status_code == 200


async def test_members_numbers_and_the_lineup_m3u(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    await seed_channels(app)
    living = await create(client, admin, name="Living room")
    lid = living["id"]
    r = await client.post(
        f"/api/lineups/{lid}/channels", json={"channel_ids": [5, 3, 3, 1]}, headers=admin
    )
    assert r.json() == {"changed": 3, "channels": 3}
    # Its own order and numbers, not the channels' own.
    assert await m3u_names(client, api_token, lineup="living-room") == [
        ("1", "World News"),
        ("2", "Sports One"),
        ("3", "Cartoon Fun"),
    ]
    assert len(await m3u_names(client, api_token)) == 6  # the admin's default: every channel
    assert len(await m3u_names(client, api_token, lineup="all")) == 6

    r = await client.put(
        f"/api/lineups/{lid}/numbers",
        json={"numbers": [{"channel_id": 1, "number": 101}, {"channel_id": 5, "number": 7.5}]},
        headers=admin,
    )
    assert r.status_code == 204, r.text
    assert await m3u_names(client, api_token, lineup="living-room") == [
        ("2", "Sports One"),
        ("7.5", "World News"),
        ("101", "Cartoon Fun"),
    ]
    r = await client.put(
        f"/api/lineups/{lid}/numbers",
        json={"numbers": [{"channel_id": 1, "number": 2}]},
        headers=admin,
    )
    assert r.status_code == 409 and "number 2" in r.text
    r = await client.put(
        f"/api/lineups/{lid}/numbers",
        json={"numbers": [{"channel_id": 6, "number": 50}]},
        headers=admin,
    )
    assert r.status_code == 404 and "not in lineup" in r.text

    r = await client.post(
        f"/api/lineups/{lid}/renumber", json={"start": 100, "order": "channel"}, headers=admin
    )
    assert r.json()["changed"] == 3
    assert await m3u_names(client, api_token, lineup="living-room") == [
        ("100", "Cartoon Fun"),
        ("101", "Sports One"),
        ("102", "World News"),
    ]
    r = await client.post(
        f"/api/lineups/{lid}/channels/remove", json={"channel_ids": [3]}, headers=admin
    )
    assert r.json() == {"changed": 1, "channels": 2}
    page = (await client.get(f"/api/lineups/{lid}/channels?limit=1", headers=admin)).json()
    assert [m["channel_id"] for m in page["items"]] == [1] and page["next_cursor"]
    page = (
        await client.get(
            f"/api/lineups/{lid}/channels",
            params={"limit": 1, "cursor": page["next_cursor"]},
            headers=admin,
        )
    ).json()
    assert [m["channel_id"] for m in page["items"]] == [5] and page["next_cursor"] is None

    r = await client.post(
        f"/api/lineups/{lid}/channels", json={"channel_ids": [999]}, headers=admin
    )
    assert r.status_code == 404
    r = await client.get("/output/m3u", params={"token": api_token, "lineup": "nope"})
    assert r.status_code == 404


async def test_rules_fill_and_keep_a_lineup_filled(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    await seed_channels(app)
    sports = await create(
        client,
        admin,
        name="Sports",
        rules=[{"category": "Sports", "quality": "FHD"}, {"name": "^world"}],
    )
    assert sports["channels"] == 3
    assert [n for _, n in await m3u_names(client, api_token, lineup="sports")] == [
        "Sports One",
        "Sports Two",
        "World News",
    ]
    # Taken out by hand: the rules leave it out from now on.
    await client.post(
        f"/api/lineups/{sports['id']}/channels/remove", json={"channel_ids": [4]}, headers=admin
    )
    r = await client.post(f"/api/lineups/{sports['id']}/apply-rules", headers=admin)
    assert r.json() == {"added": 0, "removed": 0}
    assert "Sports Two" not in [n for _, n in await m3u_names(client, api_token, lineup="sports")]
    # Put back by hand: it returns after the highest number (its old one may be taken since).
    r = await client.post(
        f"/api/lineups/{sports['id']}/channels", json={"channel_ids": [4, 3]}, headers=admin
    )
    assert r.json() == {"changed": 1, "channels": 3}
    assert (await m3u_names(client, api_token, lineup="sports"))[-1] == ("4", "Sports Two")
    # New rules: members the old rules brought that no longer match leave, manual ones stay.
    await client.post(
        f"/api/lineups/{sports['id']}/channels", json={"channel_ids": [6]}, headers=admin
    )
    r = await client.patch(
        f"/api/lineups/{sports['id']}", json={"rules": [{"country": "uk"}]}, headers=admin
    )
    assert r.status_code == 200, r.text
    names = [n for _, n in await m3u_names(client, api_token, lineup="sports")]
    assert names == ["Sports Two", "Disney Junior", "Toon Time"]


async def test_a_sync_refills_rule_lineups(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str, tmp_path: Path
) -> None:
    await create(client, admin, name="News", rules=[{"category": "News"}])
    playlist = tmp_path / "list.m3u"
    playlist.write_text(
        "#EXTM3U\n"
        '#EXTINF:-1 group-title="News",Alpha News\nhttp://127.0.0.1:9/1.ts\n'
        '#EXTINF:-1 group-title="Movies",Beta Movies\nhttp://127.0.0.1:9/2.ts\n'
        '#EXTINF:-1 group-title="News",Gamma News\nhttp://127.0.0.1:9/3.ts\n'
    )
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        spec = provider_service.ProviderCreate(name="file", kind="m3u", url=str(playlist))
        pid = (await provider_service.create(session=s, spec=spec)).id
    ctx = PipelineContext(session_factory=factory, settings=Settings(data_dir=tmp_path))
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert "lineups: 2 added" in result.message
    assert [n for _, n in await m3u_names(client, api_token, lineup="news")] == [
        "Alpha News",
        "Gamma News",
    ]


async def _viewer_token(app: FastAPI) -> tuple[User, str]:
    async with session_scope(app.state.session_factory) as s:
        user = (await s.execute(select(User).where(User.username == USER["username"]))).scalar_one()
        s.expunge(user)
    return user, user.api_token


async def test_users_see_only_their_lineups(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    await seed_channels(app)
    kids = await create(client, admin, name="Kids", rules=[{"category": "Kids"}], position=2)
    sport = await create(client, admin, name="Sport", rules=[{"category": "Sports"}], position=1)
    await create(client, admin, name="News", rules=[{"category": "News"}])
    user, token = await _viewer_token(app)
    # Given no lineup: everything, as before lineups existed.
    assert len(await m3u_names(client, token)) == 6
    assert len(await m3u_names(client, token, lineup="news")) == 1

    r = await client.put(
        f"/api/lineups/users/{user.id}",
        json={"lineup_ids": [kids["id"], sport["id"]], "xtream_lineup_id": kids["id"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert [v["slug"] for v in r.json()["lineups"]] == ["sport", "kids"]
    # The first by position when the URL names none; others' lineups and "all" are not found.
    assert [n for _, n in await m3u_names(client, token)] == ["Sports One", "Sports Two"]
    assert len(await m3u_names(client, token, lineup="kids")) == 2
    for slug in ("news", "all"):
        r = await client.get("/output/m3u", params={"token": token, "lineup": slug})
        assert r.status_code == 404, slug
    r = await client.get(f"/hdhr/{token}/lineup/news/lineup.json")
    assert r.status_code == 404
    mine = (await client.get("/api/lineups/mine", headers=viewer)).json()
    assert [m["slug"] for m in mine] == ["sport", "kids"]
    assert mine[1]["m3u"].endswith("&lineup=kids")

    # The Xtream credentials show the lineup they are bound to.
    params = {"username": user.xtream_username, "password": user.xtream_password}
    r = await client.get("/player_api.php", params={**params, "action": "get_live_streams"})
    assert [s["name"] for s in r.json()] == ["Cartoon Fun", "Toon Time"]
    assert [s["num"] for s in r.json()] == [1, 2]  # the lineup's numbers, not the channels'
    r = await client.get("/player_api.php", params={**params, "action": "get_live_categories"})
    assert [c["category_name"] for c in r.json()] == ["Kids"]
    r = await client.get("/get.php", params={**params, "type": "m3u_plus"})
    assert [e.name for e in parse(r.text)[0]] == ["Cartoon Fun", "Toon Time"]

    r = await client.put(
        f"/api/lineups/users/{user.id}",
        json={"lineup_ids": [sport["id"]], "xtream_lineup_id": kids["id"]},
        headers=admin,
    )
    assert r.status_code == 422 and "one of the user's lineups" in r.text
    r = await client.put(f"/api/lineups/users/{user.id}", json={"lineup_ids": []}, headers=admin)
    assert r.json() == {"user_id": user.id, "lineups": [], "xtream_lineup_id": None}
    assert len(await m3u_names(client, token)) == 6


async def test_each_lineup_is_a_tuner_and_a_guide(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    await seed_channels(app)
    await create(client, admin, name="Kids", rules=[{"category": "Kids"}])
    await create(client, admin, name="Sport", rules=[{"category": "Sports"}])
    ids = set()
    for slug, names in (
        ("kids", ["Cartoon Fun", "Toon Time"]),
        ("sport", ["Sports One", "Sports Two"]),
    ):
        base = f"/hdhr/{api_token}/lineup/{slug}"
        discover = (await client.get(f"{base}/discover.json")).json()
        assert discover["BaseURL"] == f"http://test{base}"
        assert discover["LineupURL"] == f"http://test{base}/lineup.json"
        assert valid_device_id(discover["DeviceID"])
        ids.add(discover["DeviceID"])
        lineup = (await client.get(f"{base}/lineup.json")).json()
        assert [x["GuideName"] for x in lineup] == names
        assert [x["GuideNumber"] for x in lineup] == ["1", "2"]
        assert (await client.get(f"{base}/lineup_status.json")).status_code == 200
        assert (
            f"<URLBase>http://test{base}</URLBase>" in (await client.get(f"{base}/device.xml")).text
        )
        assert (await client.head(f"{base}/lineup.json")).status_code == 200
        r = await client.get("/output/xmltv", params={"token": api_token, "lineup": slug})
        assert r.status_code == 200
    own = (await client.get(f"/hdhr/{api_token}/discover.json")).json()["DeviceID"]
    assert len(ids | {own}) == 3  # a DeviceID per tuner
    r = await client.get("/output/m3u", params={"token": api_token, "lineup": "kids"})
    assert "lineup=kids" in r.text.splitlines()[0]  # its guide URL names the lineup too


async def test_statements_do_not_grow_with_members(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    a, _ = await add_providers(app)

    async def grow(first: int, last: int) -> None:
        await seed(
            app,
            [
                channel_row(i, category=f"Cat {i % 3}", number=float(i))
                for i in range(first, last + 1)
            ],
            [stream_row(i, i, a) for i in range(first, last + 1)],
        )

    async def counts(lineup_id: int) -> dict[str, int]:
        # Adding or removing members is one more statement: measure the rules when up to date.
        await client.post(f"/api/lineups/{lineup_id}/apply-rules", headers=admin)
        calls = {
            "m3u": lambda: client.get("/output/m3u", params={"token": api_token, "lineup": "big"}),
            "hdhr": lambda: client.get(f"/hdhr/{api_token}/lineup/big/lineup.json"),
            "list": lambda: client.get("/api/lineups", headers=admin),
            "members": lambda: client.get(f"/api/lineups/{lineup_id}/channels", headers=admin),
            "rules": lambda: client.post(f"/api/lineups/{lineup_id}/apply-rules", headers=admin),
            "renumber": lambda: client.post(
                f"/api/lineups/{lineup_id}/renumber", json={}, headers=admin
            ),
        }
        out = {}
        for name, call in calls.items():
            await call()  # warm: caches (token users, categories) fill on a first request
            n, r = await statements(app, call)
            assert r.status_code == 200, (name, r.text)
            out[name] = n
        return out

    await grow(1, 10)
    big = await create(client, admin, name="Big", rules=[{"category": "Cat 1"}])
    await create(client, admin, name="Other", rules=[{"category": "Cat 2"}])
    small = await counts(big["id"])
    await grow(11, 1500)
    add = await statements(
        app,
        lambda: client.post(
            f"/api/lineups/{big['id']}/channels",
            json={"channel_ids": list(range(11, 1500, 3))},
            headers=admin,
        ),
    )
    assert add[1].json()["changed"] > 400
    large = await counts(big["id"])
    assert large == small, (small, large)


async def test_lineup_outputs_page_in_lineup_order(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    await seed_channels(app)
    lineup = await create(client, admin, name="Paged")
    await client.post(
        f"/api/lineups/{lineup['id']}/channels",
        json={"channel_ids": [6, 5, 4, 3, 2, 1]},
        headers=admin,
    )
    # Two members share a number's integer part, the keyset must still walk every one.
    await client.put(
        f"/api/lineups/{lineup['id']}/numbers",
        json={"numbers": [{"channel_id": 5, "number": 1.5}]},
        headers=admin,
    )
    app.state.settings.outputs.page_size = 2
    expected = ["1", "1.5", "3", "4", "5", "6"]
    names = await m3u_names(client, api_token, lineup="paged")
    assert [n for n, _ in names] == expected
    assert [n for _, n in names][:2] == ["Disney Junior", "World News"]
    tuner = (await client.get(f"/hdhr/{api_token}/lineup/paged/lineup.json")).json()
    assert [x["GuideNumber"] for x in tuner] == expected
    xml = (await client.get(f"/hdhr/{api_token}/lineup/paged/lineup.xml")).text
    assert xml.count("<Program>") == 6
