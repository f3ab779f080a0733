"""The Xtream Codes API output: every action's shape (with the value types panels send), the
playlist and guide, the stream paths through /play, credentials, and the migration's backfill."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, text

from strmline.config import Settings
from strmline.db.engine import create_engine, session_scope
from strmline.db.migrate import upgrade
from strmline.db.models import (
    EpgChannel,
    EpgProgramme,
    EpgSource,
    User,
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)
from strmline.formats.m3u import parse_lines
from strmline.formats.xtream_out import category_id
from tests.api.test_outputs import catalog, channel_row, seed, seed_many, stream_row
from tests.dbutil import StatementCounter, sqlite_url

__all__ = ["catalog"]  # the fixture, imported for this module's tests

BASE = "http://test"


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    # Redirect without checking the provider first: the stream URLs here lead nowhere.
    api_settings.playback.check_seconds = 0
    return api_settings


@pytest.fixture
async def xtream(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    r = await client.get("/api/auth/xtream", headers=admin)
    assert r.status_code == 200, r.text
    return {"username": r.json()["username"], "password": r.json()["password"]}


async def api(client: httpx.AsyncClient, creds: dict[str, str], **params: Any) -> Any:
    r = await client.get("/player_api.php", params={**creds, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def assert_types(item: dict[str, Any], types: dict[str, type | tuple[type, ...]]) -> None:
    for key, expected in types.items():
        assert key in item, f"{key} missing from {item}"
        assert isinstance(item[key], expected), f"{key}={item[key]!r} is not {expected}"


async def seed_guide(app: FastAPI, channel_id: int, now: datetime) -> list[datetime]:
    """Six one-hour programmes around ``now`` on the channel's guide; their starts."""
    starts = [
        now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=h) for h in range(-2, 4)
    ]
    async with session_scope(app.state.session_factory) as s:
        source = EpgSource(name="guide", kind="url", url="http://g.example/x.xml")
        s.add(source)
        await s.flush()
        guide = EpgChannel(source_id=source.id, xmltv_id="zulu.us", display_names=["Zulu"])
        s.add(guide)
        await s.flush()
        await s.execute(
            insert(EpgProgramme),
            [
                {
                    "epg_channel_id": guide.id,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "title": f"Show {i} — ünïcode",
                    "description": f"About show {i}",
                }
                for i, start in enumerate(starts)
            ],
        )
        await s.execute(
            text("UPDATE channels SET epg_channel_id = :g WHERE id = :c"),
            {"g": guide.id, "c": channel_id},
        )
        source.last_import_at = now
        source.programme_count = len(starts)
    return starts


async def seed_vod(app: FastAPI, provider_id: int) -> dict[str, int]:
    async with session_scope(app.state.session_factory) as s:
        movie = VodMovie(
            title="Heat", search_title="heat", match_key="heat 1995", year=1995, tmdb_id="949",
            category="Action", rating=8.3, poster="http://p/heat.jpg", plot="Cops and robbers.",
        )  # fmt: skip
        orphan = VodMovie(title="Gone", search_title="gone", match_key="gone", category="Drama")
        show = VodSeries(
            title="Dark", search_title="dark", match_key="dark", year=2017, category="Mystery",
            rating=8.7, poster="http://p/dark.jpg", plot="Time.",
        )  # fmt: skip
        s.add_all([movie, orphan, show])
        await s.flush()
        s.add(
            VodMovieSource(
                movie_id=movie.id, provider_id=provider_id, provider_key="m1", name="Heat",
                url="http://vod.example/heat.mkv", container="mkv", content_hash="h",
            )
        )  # fmt: skip
        s.add(
            VodSeriesSource(
                series_id=show.id, provider_id=provider_id, provider_key="s1", name="Dark",
                content_hash="h",
            )
        )  # fmt: skip
        episodes = [VodEpisode(series_id=show.id, season=se, episode=ep, title=f"E{se}{ep}")
                    for se, ep in ((1, 1), (1, 2), (2, 1))]  # fmt: skip
        s.add_all(episodes)
        await s.flush()
        s.add_all(
            VodEpisodeSource(
                episode_id=e.id, provider_id=provider_id, provider_key=f"e{e.id}",
                url=f"http://vod.example/dark/{e.id}.mp4", container="mp4", content_hash="h",
            )
            for e in episodes
        )  # fmt: skip
        return {
            "movie": movie.id,
            "orphan": orphan.id,
            "series": show.id,
            "episode": episodes[0].id,
        }


# ---- login ---------------------------------------------------------------------------------------


async def test_login_answers_user_and_server_info(
    client: httpx.AsyncClient, xtream: dict[str, str], catalog: dict[str, int]
) -> None:
    body = await api(client, xtream)
    user, server = body["user_info"], body["server_info"]
    assert user["auth"] == 1 and user["status"] == "Active"
    assert user["username"] == xtream["username"] and user["password"] == xtream["password"]
    assert_types(
        user,
        {"exp_date": str, "is_trial": str, "active_cons": str, "created_at": str,
         "max_connections": str, "allowed_output_formats": list, "auth": int},
    )  # fmt: skip
    assert int(user["exp_date"]) > datetime.now(UTC).timestamp()
    assert user["max_connections"] == "5"  # the providers' limits, 2 + 3
    assert set(user["allowed_output_formats"]) == {"ts", "m3u8"}
    assert server["url"] == "test" and server["port"] == "80"
    assert server["server_protocol"] == "http" and server["https_port"] == ""
    assert server["timezone"] == "UTC"
    assert isinstance(server["timestamp_now"], int)
    assert abs(server["timestamp_now"] - datetime.now(UTC).timestamp()) < 60
    # Apps POST the same fields as a form.
    posted = await client.post("/player_api.php", data=xtream)
    assert posted.json()["user_info"]["auth"] == 1


async def test_xtream_password_is_not_the_login_password(
    client: httpx.AsyncClient, xtream: dict[str, str]
) -> None:
    assert xtream["username"] == "admin"
    assert xtream["password"] != "correct horse battery" and xtream["password"].isalnum()
    wrong = await api(client, {"username": "admin", "password": "correct horse battery"})
    assert wrong == {"user_info": {"auth": 0}}


async def test_wrong_credentials_are_refused_the_way_panels_do(
    client: httpx.AsyncClient, xtream: dict[str, str], catalog: dict[str, int]
) -> None:
    bad = {"username": xtream["username"], "password": "nope"}
    assert await api(client, bad) == {"user_info": {"auth": 0}}
    assert await api(client, bad, action="get_live_streams") == {"user_info": {"auth": 0}}
    assert await api(client, {}) == {"user_info": {"auth": 0}}
    for path in ("/get.php?username=admin&password=nope", "/xmltv.php?username=admin&password=x",
                 "/live/admin/nope/1.ts", "/admin/nope/1", "/movie/admin/nope/1.mp4",
                 "/series/admin/nope/1.mp4"):  # fmt: skip
        r = await client.get(path)
        assert r.status_code == 401, (path, r.status_code)
        assert r.json()["error"]["code"] == "invalid_credentials"


async def test_rotating_the_password_logs_players_out(
    client: httpx.AsyncClient, admin: dict[str, str], xtream: dict[str, str]
) -> None:
    r = await client.post("/api/auth/xtream/password", headers=admin)
    assert r.status_code == 200
    account = r.json()
    assert account["password"] != xtream["password"]
    assert account["server"] == BASE
    assert account["playlist_url"].startswith(f"{BASE}/get.php?username=admin&password=")
    assert (await api(client, xtream))["user_info"] == {"auth": 0}
    fresh = {"username": "admin", "password": account["password"]}
    assert (await api(client, fresh))["user_info"]["auth"] == 1
    # The username can be chosen, within what players can put in a path.
    bad = await client.put("/api/auth/xtream/username", json={"username": "a/b"}, headers=admin)
    assert bad.status_code == 422, bad.text
    ok = await client.put("/api/auth/xtream/username", json={"username": "tv"}, headers=admin)
    assert ok.json()["username"] == "tv"
    assert (await api(client, {**fresh, "username": "tv"}))["user_info"]["auth"] == 1


async def test_each_user_has_own_credentials(
    client: httpx.AsyncClient, viewer: dict[str, str], admin: dict[str, str]
) -> None:
    mine = (await client.get("/api/auth/xtream", headers=viewer)).json()
    theirs = (await client.get("/api/auth/xtream", headers=admin)).json()
    assert mine["username"] == "viewer" and mine["password"] != theirs["password"]
    assert (await api(client, {"username": "viewer", "password": theirs["password"]})) == {
        "user_info": {"auth": 0}
    }
    assert (await client.get("/api/auth/xtream")).status_code == 401


# ---- live ----------------------------------------------------------------------------------------

LIVE_TYPES: dict[str, type | tuple[type, ...]] = {
    "num": int, "name": str, "stream_type": str, "stream_id": int, "stream_icon": str,
    "epg_channel_id": str, "added": str, "is_adult": str, "category_id": str,
    "category_ids": list, "custom_sid": str, "tv_archive": int, "direct_source": str,
    "tv_archive_duration": int,
}  # fmt: skip


async def test_live_categories_and_streams(
    client: httpx.AsyncClient, xtream: dict[str, str], catalog: dict[str, int]
) -> None:
    cats = await api(client, xtream, action="get_live_categories")
    assert [c["category_name"] for c in cats] == ["Movies", "News", "Sports"]
    for c in cats:
        assert_types(c, {"category_id": str, "category_name": str, "parent_id": int})
        assert c["category_id"].isdigit() and c["parent_id"] == 0
    streams = await api(client, xtream, action="get_live_streams")
    # The lineup of /output/m3u: same channels, same order, numbers where they are whole.
    assert [(s["stream_id"], s["num"]) for s in streams] == [(3, 1), (1, 2), (7, 3), (2, 4), (4, 5)]
    for s in streams:
        assert_types(s, LIVE_TYPES)
        assert s["stream_type"] == "live" and int(s["added"]) > 0
        assert s["category_ids"] == [int(s["category_id"])]
    zulu = streams[1]
    assert zulu["name"] == "Zulu News" and zulu["epg_channel_id"] == "zulu.us"
    assert zulu["stream_icon"].startswith(f"{BASE}/logo/")  # through strmline's logo cache
    assert "src=http://l/z.png&" in zulu["stream_icon"]
    assert streams[0]["epg_channel_id"] == "strmline.3" and streams[0]["stream_icon"] == ""
    news = next(c["category_id"] for c in cats if c["category_name"] == "News")
    only = await api(client, xtream, action="get_live_streams", category_id=news)
    assert [s["stream_id"] for s in only] == [1, 7, 4]
    assert await api(client, xtream, action="get_live_streams", category_id="424242") == []


async def test_channels_without_category_get_one(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    await seed(
        app, [channel_row(8, name="Loose", number=9.0)], [stream_row(81, 8, catalog["alpha"])]
    )
    cats = await api(client, xtream, action="get_live_categories")
    assert cats[-1] == {"category_id": category_id(None), "category_name": "Uncategorized",
                        "parent_id": 0}  # fmt: skip
    loose = await api(client, xtream, action="get_live_streams", category_id=category_id(None))
    assert [s["stream_id"] for s in loose] == [8]


async def test_live_streams_cost_does_not_grow_with_channels(
    client: httpx.AsyncClient,
    xtream: dict[str, str],
    app: FastAPI,
    api_settings: Settings,
    catalog: dict[str, int],
) -> None:
    api_settings.outputs.page_size = 100
    engine = app.state.engine
    await seed_many(app, 100, 299, catalog["alpha"])
    with StatementCounter(engine) as small:
        assert len(await api(client, xtream, action="get_live_streams")) == 205
    await seed_many(app, 300, 999, catalog["alpha"])
    with StatementCounter(engine) as big:
        assert len(await api(client, xtream, action="get_live_streams")) == 905
    # A fixed number per page of 100: 7 more pages (8 where the numbered and the unnumbered
    # phases split one) cost 3 statements each (the page, the channels' ages, the streams with
    # catch-up attributes).
    assert big.count - small.count <= 3 * 8, (small.count, big.count)


# ---- short EPG -----------------------------------------------------------------------------------


async def test_short_epg_is_base64_from_now_on(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    now = datetime.now(UTC)
    starts = await seed_guide(app, 1, now)
    body = await api(client, xtream, action="get_short_epg", stream_id="1", limit="2")
    listings = body["epg_listings"]
    assert len(listings) == 2
    for item in listings:
        assert_types(
            item,
            {"id": str, "epg_id": str, "title": str, "lang": str, "start": str, "end": str,
             "description": str, "channel_id": str, "start_timestamp": str, "stop_timestamp": str},
        )  # fmt: skip
        assert item["channel_id"] == "zulu.us"
    current = listings[0]
    assert base64.b64decode(current["title"]).decode() == "Show 2 — ünïcode"
    assert base64.b64decode(current["description"]).decode() == "About show 2"
    assert int(current["start_timestamp"]) == int(starts[2].timestamp())
    assert current["start"] == starts[2].strftime("%Y-%m-%d %H:%M:%S")
    default = await api(client, xtream, action="get_short_epg", stream_id="1")
    assert len(default["epg_listings"]) == 4
    table = await api(client, xtream, action="get_simple_data_table", stream_id="1")
    assert len(table["epg_listings"]) == 6
    assert [i["now_playing"] for i in table["epg_listings"]] == [0, 0, 1, 0, 0, 0]
    # Channels without a guide, unknown ones and junk ids: an empty list, as panels answer.
    for sid in ("2", "999", "abc"):
        assert await api(client, xtream, action="get_short_epg", stream_id=sid) == {
            "epg_listings": []
        }


async def test_short_epg_statement_count_is_fixed(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    await seed_guide(app, 1, datetime.now(UTC))
    engine = app.state.engine
    with StatementCounter(engine) as counter:
        await api(client, xtream, action="get_short_epg", stream_id="1", limit="4")
    # Authentication, the channel, its programmes (plus the transaction's own statements).
    assert counter.count <= 5, counter.statements


# ---- movies and series ---------------------------------------------------------------------------


async def test_vod_actions(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    ids = await seed_vod(app, catalog["alpha"])
    cats = await api(client, xtream, action="get_vod_categories")
    assert [c["category_name"] for c in cats] == ["Action"]  # "Gone" has no source
    assert_types(cats[0], {"category_id": str, "category_name": str, "parent_id": int})
    movies = await api(client, xtream, action="get_vod_streams")
    assert len(movies) == 1
    movie = movies[0]
    assert_types(
        movie,
        {"num": int, "name": str, "stream_type": str, "stream_id": int, "stream_icon": str,
         "rating": str, "rating_5based": float, "added": str, "is_adult": str,
         "category_id": str, "container_extension": str, "custom_sid": str,
         "direct_source": str},
    )  # fmt: skip
    assert movie["stream_id"] == ids["movie"] and movie["container_extension"] == "mkv"
    assert movie["name"] == "Heat (1995)" and movie["rating"] == "8.3" and movie["tmdb"] == "949"
    assert movie["category_id"] == cats[0]["category_id"]
    by_cat = await api(client, xtream, action="get_vod_streams", category_id=cats[0]["category_id"])
    assert by_cat == movies
    info = await api(client, xtream, action="get_vod_info", vod_id=str(ids["movie"]))
    assert info["info"]["plot"] == "Cops and robbers." and info["info"]["tmdb_id"] == "949"
    assert info["movie_data"]["stream_id"] == ids["movie"]
    assert info["movie_data"]["container_extension"] == "mkv"
    missing = await api(client, xtream, action="get_vod_info", vod_id=str(ids["orphan"]))
    assert missing == {"info": [], "movie_data": []}

    series_cats = await api(client, xtream, action="get_series_categories")
    assert [c["category_name"] for c in series_cats] == ["Mystery"]
    shows = await api(client, xtream, action="get_series")
    assert len(shows) == 1
    assert_types(
        shows[0],
        {"num": int, "name": str, "series_id": int, "cover": str, "plot": str,
         "last_modified": str, "rating": str, "rating_5based": float, "backdrop_path": list,
         "category_id": str, "episode_run_time": str, "releaseDate": str},
    )  # fmt: skip
    assert shows[0]["series_id"] == ids["series"] and shows[0]["cover"] == "http://p/dark.jpg"
    detail = await api(client, xtream, action="get_series_info", series_id=str(ids["series"]))
    assert detail["info"]["name"] == "Dark"
    assert [s["season_number"] for s in detail["seasons"]] == [1, 2]
    assert sorted(detail["episodes"]) == ["1", "2"]
    first = detail["episodes"]["1"][0]
    assert_types(
        first,
        {"id": str, "episode_num": int, "title": str, "container_extension": str,
         "info": dict, "added": str, "season": int},
    )  # fmt: skip
    assert first["id"] == str(ids["episode"]) and first["container_extension"] == "mp4"
    assert [e["episode_num"] for e in detail["episodes"]["1"]] == [1, 2]
    assert await api(client, xtream, action="get_series_info", series_id="999999") == {
        "seasons": [], "info": [], "episodes": []
    }  # fmt: skip
    assert await api(client, xtream, action="no_such_action") == []


# ---- playlist, guide, streams ----------------------------------------------------------------------


async def test_get_php_lists_live_paths(
    client: httpx.AsyncClient, xtream: dict[str, str], catalog: dict[str, int]
) -> None:
    u, p = xtream["username"], xtream["password"]
    r = await client.get("/get.php", params={**xtream, "type": "m3u_plus", "output": "ts"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("audio/x-mpegurl")
    entries = list(parse_lines(r.text.splitlines()))
    assert [e.url for e in entries] == [f"{BASE}/live/{u}/{p}/{i}.ts" for i in (3, 1, 7, 2, 4)]
    zulu = entries[1]
    assert zulu.tvg_id == "zulu.us" and zulu.group_title == "News" and zulu.tvg_name == "Zulu News"
    assert r.text.startswith("#EXTM3U") and r.text.count("#EXTM3U") == 1
    hls = await client.get("/get.php", params={**xtream, "output": "m3u8"})
    assert all(e.url.endswith(".m3u8") for e in parse_lines(hls.text.splitlines()))
    plain = await client.get("/get.php", params={**xtream, "type": "m3u"})
    assert all(not e.attrs for e in parse_lines(plain.text.splitlines()))


async def test_xmltv_php_ids_match_epg_channel_id(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    await seed_guide(app, 1, datetime.now(UTC))
    r = await client.get("/xmltv.php", params=xtream)
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    streams = await api(client, xtream, action="get_live_streams")
    ids = {s["epg_channel_id"] for s in streams}
    assert {c.get("id") for c in root.iter("channel")} == {"zulu.us"} <= ids
    assert len(list(root.iter("programme"))) >= 4


async def test_stream_paths_go_through_play(
    client: httpx.AsyncClient, xtream: dict[str, str], app: FastAPI, catalog: dict[str, int]
) -> None:
    u, p = xtream["username"], xtream["password"]
    ids = await seed_vod(app, catalog["alpha"])
    cases = {
        f"/live/{u}/{p}/1.ts": "http://streams.example/11.ts",
        f"/live/{u}/{p}/1.m3u8": "http://streams.example/11.ts",
        # Channel 2's best-ranked stream is 22: the ranks decide, as for /play.
        f"/{u}/{p}/2": "http://streams.example/22.ts",
        f"/movie/{u}/{p}/{ids['movie']}.mkv": "http://vod.example/heat.mkv",
        f"/series/{u}/{p}/{ids['episode']}.mp4": f"http://vod.example/dark/{ids['episode']}.mp4",
    }
    for path, target in cases.items():
        r = await client.get(path)
        assert r.status_code == 302, (path, r.status_code, r.text)
        assert r.headers["location"] == target, path
    assert (await client.get(f"/live/{u}/{p}/1.mkv")).status_code == 404
    assert (await client.get(f"/live/{u}/{p}/999.ts")).status_code == 404
    assert (await client.get(f"/live/{u}/{p}/7.ts")).status_code == 503  # nothing active
    assert (await client.head(f"/live/{u}/{p}/1.ts")).status_code == 302
    # strmline's own paths are not taken for /USER/PASS/ID.
    assert (await client.get("/api/jobs/12")).json()["error"]["code"] != "invalid_credentials"


async def test_xtream_paths_never_reach_the_ui(
    client: httpx.AsyncClient, xtream: dict[str, str]
) -> None:
    html = {"Accept": "text/html"}
    for path in ("/player_api.php", "/get.php", "/xmltv.php"):
        r = await client.get(path, headers=html)
        assert r.headers["content-type"].startswith("application/json"), path


# ---- migration -----------------------------------------------------------------------------------


async def test_migration_backfills_existing_users(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "old.db"))
    try:
        await upgrade(engine, "epg_refresh")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, api_token, is_active,"
                    " token_version, created_at, updated_at) VALUES"
                    " ('alice', 'h', 'admin', 't1', 1, 0, '2026-01-01', '2026-01-01'),"
                    " ('bob smith?', 'h', 'user', 't2', 1, 0, '2026-01-01', '2026-01-01')"
                )
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(User.username, User.xtream_username, User.xtream_password).order_by(
                        User.id
                    )
                )
            ).all()
        assert rows[0][1] == "alice"
        assert rows[1][1].startswith("bobsmith-") and "/" not in rows[1][1]
        assert all(len(r[2]) == 16 and r[2].isalnum() for r in rows)
        assert rows[0][2] != rows[1][2]
    finally:
        await engine.dispose()


def test_access_log_lines_hide_xtream_passwords() -> None:
    from strmline.formats.redact import redact_request_line

    assert redact_request_line("/live/bob/s3cret/12.ts") == "/live/bob/***/12.ts"
    assert redact_request_line("/bob/s3cret/12") == "/bob/***/12"
    assert redact_request_line("/movie/bob/s3cret/3.mp4?x=1") == "/movie/bob/***/3.mp4?x=1"
    assert redact_request_line("/player_api.php?username=bob&password=s3cret") == (
        "/player_api.php?username=bob&password=***"
    )
    assert redact_request_line("/api/jobs/12") == "/api/jobs/12"
