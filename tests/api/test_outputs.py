"""Client outputs: M3U playlist, /play redirects and the HDHomeRun emulation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, update

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import FakeProviderServer
from strmline.formats.hdhr import valid_device_id
from strmline.formats.m3u import M3UEntry, M3UParser, parse_lines
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from strmline.services import providers as provider_service
from tests.dbutil import StatementCounter

BASE = "http://test"
AWKWARD = 'Say "Hi", World, #EXTINF:-1 tvg-id="x"'


async def add_providers(app: FastAPI) -> tuple[int, int]:
    async with session_scope(app.state.session_factory) as s:
        ids = (
            (
                await s.execute(
                    insert(Provider).returning(Provider.id),
                    [
                        {
                            "name": "Alpha",
                            "kind": "m3u",
                            "url": "http://a.example/x.m3u",
                            "max_connections": 2,
                        },
                        {
                            "name": "Beta",
                            "kind": "m3u",
                            "url": "http://b.example/x.m3u",
                            "max_connections": 3,
                        },
                    ],
                )
            )
            .scalars()
            .all()
        )
    return ids[0], ids[1]


def channel_row(i: int, **kw: Any) -> dict[str, Any]:
    name = kw.pop("name", f"Channel {i:05d}")
    return {
        "id": i,
        "name": name,
        "search_name": name.lower(),
        "match_key": name.lower(),
        "stream_count": 1,
        "active_stream_count": 1,
        **kw,
    }


def stream_row(sid: int, channel_id: int, provider_id: int, **kw: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "provider_id": provider_id,
        "channel_id": channel_id,
        "provider_key": f"k{sid}",
        "name": f"stream {sid}",
        "url": f"http://streams.example/{sid}.ts",
        "content_hash": "x",
        "rank": 1,
        **kw,
    }


async def seed(app: FastAPI, channels: list[dict[str, Any]], streams: list[dict[str, Any]]) -> None:
    async with session_scope(app.state.session_factory) as s:
        if channels:
            await s.execute(insert(Channel), channels)
        if streams:
            await s.execute(insert(Stream), streams)


async def seed_many(app: FastAPI, first: int, last: int, provider_id: int) -> None:
    """Channels ``first..last`` (every third without a number), one stream each: two statements."""
    ids = range(first, last + 1)
    channels = [
        channel_row(
            i,
            number=None if i % 3 == 0 else float(i),
            category=f"Group {i % 7}",
            logo=f"http://logos.example/{i}.png",
        )
        for i in ids
    ]
    await seed(app, channels, [stream_row(i, i, provider_id, quality="HD") for i in ids])


@pytest.fixture
async def catalog(app: FastAPI) -> dict[str, int]:
    """A small catalog covering every rule of the outputs."""
    a, b = await add_providers(app)
    await seed(
        app,
        [
            channel_row(
                1,
                name="Zulu News",
                number=2.0,
                category="News",
                tvg_id="zulu.us",
                logo="http://l/z.png",
            ),
            channel_row(
                2, name="alpha Sports", category="Sports", stream_count=2, active_stream_count=2
            ),
            channel_row(3, name="Bravo Movies", number=1.0, category="Movies"),
            channel_row(4, name=AWKWARD, category="News"),
            channel_row(5, name="Disabled", number=3.0, enabled=False),
            channel_row(6, name="Empty", number=4.0, stream_count=0, active_stream_count=0),
            channel_row(7, name="Charlie Dead", number=5.5, category="News", active_stream_count=0),
        ],
        [
            stream_row(11, 1, a, quality="FHD"),
            stream_row(21, 2, a, quality="HD", rank=2),
            stream_row(22, 2, b, quality="FHD", rank=1),
            stream_row(23, 2, b, quality="SD", rank=3, active=False),
            stream_row(24, 2, a, rank=4, removed_at=datetime(2024, 1, 1, tzinfo=UTC)),
            stream_row(31, 3, b),
            stream_row(41, 4, a),
            stream_row(51, 5, a),
            stream_row(71, 7, a, active=False),
        ],
    )
    return {"alpha": a, "beta": b}


def parse(text: str) -> tuple[list[M3UEntry], M3UParser]:
    parser = M3UParser()
    entries = list(parse_lines(text.splitlines(), parser=parser))
    assert parser.skipped == 0, parser.skips
    return entries, parser


async def get_m3u(client: httpx.AsyncClient, token: str, **params: str) -> httpx.Response:
    r = await client.get("/output/m3u", params={"token": token, **params})
    assert r.status_code == 200, r.text
    return r


async def test_m3u_lists_playable_channels_in_order(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    r = await get_m3u(client, api_token)
    assert r.headers["content-type"].startswith("audio/x-mpegurl")
    entries, parser = parse(r.text)
    assert parser.header.attrs["x-tvg-url"] == f"{BASE}/output/xmltv?token={api_token}"
    # Numbered first by number, then the rest by name with numbers after the highest (5.5).
    assert [(e.name, e.tvg_chno) for e in entries] == [
        ("Bravo Movies", "1"),
        ("Zulu News", "2"),
        ("Charlie Dead", "5.5"),
        ("alpha Sports", "6"),
        (AWKWARD, "7"),
    ]
    zulu = entries[1]
    logo = zulu.attrs.pop("tvg-logo")
    assert zulu.attrs == {
        "tvg-id": "zulu.us",
        "tvg-name": "Zulu News",
        "tvg-chno": "2",
        "group-title": "News",
    }
    # Through strmline's logo cache (outputs.proxy_logos, on by default): players fetch it once.
    assert logo.startswith(f"{BASE}/logo/") and "src=http://l/z.png&" in logo
    assert zulu.url == f"{BASE}/play/1?token={api_token}"
    assert entries[0].tvg_id == "strmline.3" and entries[0].tvg_logo is None
    # The awkward name survived as one entry with its own URL; nothing leaked into attributes.
    assert entries[4].url == f"{BASE}/play/4?token={api_token}"
    assert entries[4].group_title == "News" and entries[4].tvg_name == AWKWARD


async def test_m3u_category_keeps_numbers(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    entries, _ = parse((await get_m3u(client, api_token, category="News")).text)
    assert [(e.name, e.tvg_chno) for e in entries] == [
        ("Zulu News", "2"),
        ("Charlie Dead", "5.5"),
        (AWKWARD, "7"),
    ]
    empty, _ = parse((await get_m3u(client, api_token, category="Nope")).text)
    assert empty == []


async def test_m3u_every_stream(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    entries, _ = parse((await get_m3u(client, api_token, quality="all")).text)
    sports = [e for e in entries if e.tvg_id == "strmline.2"]
    # Inactive and removed streams are left out; the rest in rank order.
    assert [(e.name, e.url) for e in sports] == [
        ("alpha Sports [FHD] (Beta)", f"{BASE}/play/stream/22?token={api_token}"),
        ("alpha Sports [HD] (Alpha)", f"{BASE}/play/stream/21?token={api_token}"),
    ]
    assert "Bravo Movies (Beta)" in [e.name for e in entries]
    assert not any(e.name.startswith("Charlie Dead") for e in entries)


async def test_m3u_etag_and_304(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, catalog: dict[str, int]
) -> None:
    first = await get_m3u(client, api_token)
    etag = first.headers["etag"]
    again = await client.get(
        "/output/m3u", params={"token": api_token}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = await client.get(
        "/output/m3u", params={"token": api_token}, headers={"If-None-Match": f"W/{etag}"}
    )
    assert weak.status_code == 304
    # Another query is another document.
    other = await get_m3u(client, api_token, quality="all")
    assert other.headers["etag"] != etag
    # A change (here by a set-based UPDATE that leaves updated_at alone) is a new version.
    async with session_scope(app.state.session_factory) as s:
        await s.execute(update(Channel).where(Channel.id == 2).values(enabled=False))
    changed = await client.get(
        "/output/m3u", params={"token": api_token}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            update(Channel)
            .where(Channel.id == 1)
            .values(stream_count=5, updated_at=Channel.updated_at)
        )
    assert (
        await client.get(
            "/output/m3u",
            params={"token": api_token},
            headers={"If-None-Match": changed.headers["etag"]},
        )
    ).status_code == 200


async def test_m3u_is_gzipped_when_asked(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    r = await client.get(
        "/output/m3u", params={"token": api_token}, headers={"Accept-Encoding": "gzip"}
    )
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    entries, _ = parse(r.text)  # httpx inflates it
    assert len(entries) == 5
    plain = await client.get(
        "/output/m3u", params={"token": api_token}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.text == r.text
    assert plain.headers["etag"] != r.headers["etag"]


async def test_base_url_setting_wins(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, catalog: dict[str, int]
) -> None:
    settings: Settings = app.state.settings
    settings.base_url = "https://tv.example.org/"
    entries, parser = parse((await get_m3u(client, api_token)).text)
    assert entries[0].url.startswith("https://tv.example.org/play/")
    assert parser.header.attrs["x-tvg-url"].startswith("https://tv.example.org/output/xmltv?")


@pytest.mark.parametrize(
    "path",
    [
        "/output/m3u",
        "/play/1",
        "/play/stream/11",
        "/hdhr/nope/discover.json",
        "/hdhr/nope/lineup.json",
        "/hdhr/nope/lineup_status.json",
        "/hdhr/nope/device.xml",
    ],
)
async def test_outputs_need_a_valid_token(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int], path: str
) -> None:
    for params in ({}, {"token": "wrong"}, {"token": ""}):
        r = await client.get(path, params=params)
        assert r.status_code == 401, (path, params, r.text)
        assert r.json()["error"]["code"] == "invalid_api_token"
    assert (await client.post("/hdhr/nope/lineup.post")).status_code == 401


async def test_play_redirects_to_the_best_stream(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int], app: FastAPI
) -> None:
    # The catalog's URLs do not resolve: ranking only here, checks are in test_play_failover.
    app.state.settings.playback.check_seconds = 0
    r = await client.get("/play/2", params={"token": api_token})
    assert r.status_code == 302
    assert r.headers["location"] == "http://streams.example/22.ts"
    assert r.headers["cache-control"] == "no-store"
    one = await client.get("/play/stream/21", params={"token": api_token})
    assert one.status_code == 302 and one.headers["location"] == "http://streams.example/21.ts"


async def test_play_errors(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    for path in ("/play/999", "/play/5", "/play/stream/999", "/play/stream/24", "/play/stream/51"):
        r = await client.get(path, params={"token": api_token})
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    for path in ("/play/7", "/play/stream/23"):
        r = await client.get(path, params={"token": api_token})
        assert r.status_code == 503, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "no_active_stream" and error["message"]
    assert (await client.get("/play/0", params={"token": api_token})).status_code == 422


async def test_hdhomerun_documents(
    client: httpx.AsyncClient, app: FastAPI, api_token: str, catalog: dict[str, int]
) -> None:
    base = f"{BASE}/hdhr/{api_token}"
    d = (await client.get(f"/hdhr/{api_token}/discover.json")).json()
    assert "hdtc" not in d["ModelNumber"].lower()
    assert d["FriendlyName"] == "strmline" and d["Manufacturer"] and d["FirmwareName"]
    assert len(d["DeviceID"]) == 8 and valid_device_id(d["DeviceID"])
    assert d["BaseURL"] == base and d["LineupURL"] == f"{base}/lineup.json"
    assert d["TunerCount"] == 5  # 2 + 3 from the enabled providers
    again = (await client.get(f"/hdhr/{api_token}/discover.json")).json()
    assert again["DeviceID"] == d["DeviceID"] and again["DeviceAuth"] == d["DeviceAuth"]

    app.state.settings.outputs.tuner_count = 2
    assert (await client.get(f"/hdhr/{api_token}/discover.json")).json()["TunerCount"] == 2

    lineup = (await client.get(f"/hdhr/{api_token}/lineup.json")).json()
    entries, _ = parse((await get_m3u(client, api_token)).text)
    assert [(x["GuideNumber"], x["GuideName"], x["URL"]) for x in lineup] == [
        (e.tvg_chno, e.name, e.url) for e in entries
    ]
    assert {x["GuideName"]: x["HD"] for x in lineup}["alpha Sports"] == 0  # best_quality unset

    status = (await client.get(f"/hdhr/{api_token}/lineup_status.json")).json()
    assert status == {
        "ScanInProgress": 0,
        "ScanPossible": 1,
        "Source": "Cable",
        "SourceList": ["Cable"],
    }
    assert (
        await client.post(f"/hdhr/{api_token}/lineup.post", params={"scan": "start"})
    ).status_code == 200

    xml = await client.get(f"/hdhr/{api_token}/device.xml")
    assert xml.headers["content-type"].startswith("application/xml")
    ns = {"u": "urn:schemas-upnp-org:device-1-0"}
    root = ET.fromstring(xml.text)
    assert root.findtext("u:URLBase", namespaces=ns) == base
    assert "hdtc" not in (root.findtext("u:device/u:modelNumber", namespaces=ns) or "").lower()
    assert (root.findtext("u:device/u:UDN", namespaces=ns) or "").startswith("uuid:")


async def _statements(app: FastAPI, client: httpx.AsyncClient, token: str) -> dict[str, int]:
    counts = {}
    for name, path, params in (
        ("m3u", "/output/m3u", {"token": token}),
        ("m3u_all", "/output/m3u", {"token": token, "quality": "all"}),
        ("m3u_category", "/output/m3u", {"token": token, "category": "Group 3"}),
        ("lineup", f"/hdhr/{token}/lineup.json", {}),
    ):
        with StatementCounter(app.state.engine) as counter:
            r = await client.get(path, params=params)
            assert r.status_code == 200
        counts[name] = counter.count
    return counts


async def test_statement_count_does_not_grow(
    client: httpx.AsyncClient, app: FastAPI, api_token: str
) -> None:
    provider_id, _ = await add_providers(app)
    await seed_many(app, 1, 10, provider_id)
    small = await _statements(app, client, api_token)
    await seed_many(app, 11, 1000, provider_id)
    large = await _statements(app, client, api_token)
    entries, _ = parse((await get_m3u(client, api_token)).text)
    assert len(entries) == 1000
    assert large == small
    # lineup state, one numbered and one unnumbered page (the M3U: each page's stream hints
    # too, for #EXTVLCOPT and catch-up); the token user comes from the user cache
    assert small["m3u"] == 5 and small["lineup"] == 3


async def test_statements_grow_per_page_only(
    client: httpx.AsyncClient, app: FastAPI, api_token: str
) -> None:
    provider_id, _ = await add_providers(app)
    await seed_many(app, 1, 1000, provider_id)
    app.state.settings.outputs.page_size = 1000
    one_page = await _statements(app, client, api_token)
    app.state.settings.outputs.page_size = 100
    ten_pages = await _statements(app, client, api_token)
    # 1000 channels: ~667 numbered + ~333 unnumbered, so 7 + 4 pages instead of 1 + 1.
    # The M3U reads each page's stream hints (#EXTVLCOPT, catch-up) as well: two per page.
    assert ten_pages["m3u"] - one_page["m3u"] == 18
    assert ten_pages["lineup"] - one_page["lineup"] == 9
    # a stream query and a stream hints query per page
    assert ten_pages["m3u_all"] - one_page["m3u_all"] == 27
    # Paging changes nothing in the document.
    entries, _ = parse((await get_m3u(client, api_token)).text)
    assert len(entries) == 1000 and len({e.url for e in entries}) == 1000


async def test_synced_provider_plays(
    client: httpx.AsyncClient,
    app: FastAPI,
    api_token: str,
    fake_provider: FakeProviderServer,
    tmp_path: Path,
) -> None:
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        spec = provider_service.ProviderCreate(
            name="acme", kind="m3u", url=fake_provider.playlist_url("acme")
        )
        pid = (await provider_service.create(session=s, spec=spec)).id
    ctx = PipelineContext(session_factory=factory, settings=Settings(data_dir=tmp_path))
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message

    entries, _ = parse((await get_m3u(client, api_token)).text)
    assert entries and all(e.url.startswith(f"{BASE}/play/") for e in entries)
    # The playlist's stream URLs carry the account (/live/acme/PASS/…), which redirect mode
    # proxies unless allowed; the in-process client cannot read an endless stream, the
    # proxying is tested over real HTTP (tests/e2e/test_catchup_headers.py).
    app.state.settings.playback.redirect_credentials = True
    r = await client.get(entries[0].url)
    assert r.status_code == 302 and r.headers["location"].startswith(fake_provider.url)
    lineup = (await client.get(f"/hdhr/{api_token}/lineup.json")).json()
    assert len(lineup) == len(entries)


HEAD_PATHS = [
    "/output/m3u?token={token}",
    "/output/m3u?token={token}&quality=all",
    "/output/xmltv?token={token}",
    "/hdhr/{token}/discover.json",
    "/hdhr/{token}/lineup.json",
    "/hdhr/{token}/lineup_status.json",
    "/hdhr/{token}/device.xml",
    "/play/2?token={token}",
    "/play/stream/21?token={token}",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
async def test_head_answers_like_get_without_a_body(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int], path: str
) -> None:
    # Jellyfin and Kodi probe output URLs with HEAD before they GET them.
    url = path.format(token=api_token)
    plain = {"Accept-Encoding": "identity"}
    get = await client.get(url, headers=plain)
    head = await client.head(url, headers=plain)
    assert head.status_code == get.status_code, head.text
    if not url.startswith("/play/"):  # /play answers whatever its streams allow
        assert get.status_code == 200
    assert head.content == b""
    assert dict(head.headers) == dict(get.headers)


async def test_head_keeps_the_m3u_encoding_and_etag(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int]
) -> None:
    gz = {"Accept-Encoding": "gzip"}
    get = await client.get("/output/m3u", params={"token": api_token}, headers=gz)
    head = await client.head("/output/m3u", params={"token": api_token}, headers=gz)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-encoding"] == "gzip" == get.headers["content-encoding"]
    assert "content-length" not in head.headers  # the GET streams; 0 would read as empty
    assert head.headers["etag"] == get.headers["etag"]
    again = await client.head(
        "/output/m3u",
        params={"token": api_token},
        headers=gz | {"If-None-Match": get.headers["etag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/output/m3u",
        "/output/xmltv",
        "/play/1",
        "/play/stream/11",
        "/play/movie/1",
        "/play/episode/1",
        "/hdhr/nope/discover.json",
        "/hdhr/nope/lineup.json",
        "/hdhr/nope/lineup_status.json",
        "/hdhr/nope/device.xml",
    ],
)
async def test_head_checks_the_token_too(
    client: httpx.AsyncClient, api_token: str, catalog: dict[str, int], path: str
) -> None:
    r = await client.head(path, params={"token": "wrong"})
    assert r.status_code == 401 and r.content == b""
    assert (await client.head("/play/movie/999999", params={"token": api_token})).status_code == 404


def test_head_routes_stay_out_of_the_api_document(app: FastAPI) -> None:
    for item in app.openapi()["paths"].values():
        assert "head" not in item
