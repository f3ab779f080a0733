"""The fake IPTV provider, exercised over real HTTP."""

from __future__ import annotations

import gzip
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes import (
    Catalog,
    FakeProvider,
    FakeProviderServer,
    ProviderOptions,
    run_fake_provider,
    run_fake_provider_async,
)

TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as c:
        yield c


def _entries(text: str) -> list[tuple[str, str]]:
    lines = [ln for ln in text.splitlines() if ln]
    assert lines[0].startswith("#EXTM3U")
    return [(lines[i], lines[i + 1]) for i in range(1, len(lines) - 1, 2)]


def _packets_ok(data: bytes) -> bool:
    return len(data) % 188 == 0 and all(data[i] == 0x47 for i in range(0, len(data), 188))


# ---- catalog --------------------------------------------------------------------------------


def test_catalog_is_deterministic_and_styles_share_identities() -> None:
    a = Catalog.generate(3, live=40, name_style="us_prefix")
    b = Catalog.generate(3, live=40, name_style="pipe")
    again = Catalog.generate(3, live=40, name_style="us_prefix")
    assert [c.name for c in a.live.values()] == [c.name for c in again.live.values()]
    assert [c.identity for c in a.live.values()] == [c.identity for c in b.live.values()]
    assert [c.tvg_id for c in a.live.values()] == [c.tvg_id for c in b.live.values()]
    names_a = {c.name for c in a.live.values()}
    assert names_a.isdisjoint({c.name for c in b.live.values()})
    assert any(": " in n for n in names_a)
    assert all(" | " in c.name for c in b.live.values())
    bar = Catalog.generate(3, live=10, name_style="bar")
    assert all(c.name.startswith("|") for c in bar.live.values())
    # Some entries are a second quality of the same identity, as on real panels.
    assert len({c.identity for c in a.live.values()}) < len(a.live)
    assert any(c.tvg_id is None for c in a.live.values())
    assert any(c.chno is not None for c in a.live.values())


def test_catalog_scales_and_mutates() -> None:
    big = Catalog.generate(1, live=100_000, movies=50_000, series=2_000, seasons=5)
    assert len(big.live) == 100_000 and len(big.movies) == 50_000 and len(big.series) == 2_000
    assert len({c.name for c in big.live.values()}) > 90_000
    assert big.series[1].episodes is None  # episodes are materialised lazily
    assert sum(len(e) for e in big.episodes_of(1).values()) == 5 * 4

    cat = Catalog.generate(0, live=5, movies=3, series=1)
    ch = cat.add_channel("US: New Channel HD", tvg_id="New.us")
    assert cat.live[ch.stream_id] is ch
    cat.rename_channel(ch.stream_id, "US: Renamed HD")
    assert cat.live[ch.stream_id].name == "US: Renamed HD"
    cat.remove_channel(ch.stream_id)
    assert ch.stream_id not in cat.live
    before = cat.series[1].last_modified
    ep = cat.add_episode(1, 1)
    assert cat.series[1].last_modified > before
    assert cat.find_episode(ep.id) is ep
    mv = cat.add_movie("Arrival", 2016, tmdb_id=329865)
    assert cat.remove_movie(mv.stream_id) is mv


# ---- M3U ------------------------------------------------------------------------------------


def test_m3u_playlist(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    r = client.get(fake_provider.playlist_url("acme"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("audio/x-mpegurl")
    header = r.text.splitlines()[0]
    assert f'x-tvg-url="{fake_provider.url}/xmltv.php?username=acme&password=secret"' in header
    entries = _entries(r.text)
    assert len(entries) == len(fake_provider.catalog.live)
    first = next(iter(fake_provider.catalog.live.values()))
    extinf, url = entries[0]
    assert f'tvg-name="{first.name}"' in extinf and extinf.endswith("," + first.name)
    assert 'group-title="' in extinf
    assert url == f"{fake_provider.url}/live/acme/secret/{first.stream_id}.ts"
    assert any('tvg-chno="' in e for e, _ in entries)
    assert any('tvg-id=""' in e for e, _ in entries)
    assert any(f'tvg-logo="{fake_provider.url}/logos/' in e for e, _ in entries)


def test_get_php_includes_vod_and_plain_variant(
    fake_provider: FakeProviderServer, client: httpx.Client
) -> None:
    cat = fake_provider.catalog
    r = client.get(fake_provider.get_php_url("acme", output="m3u8"))
    entries = _entries(r.text)
    episodes = sum(1 for _ in cat.iter_episodes())
    assert len(entries) == len(cat.live) + len(cat.movies) + episodes
    urls = [u for _, u in entries]
    assert sum("/movie/acme/secret/" in u for u in urls) == len(cat.movies)
    assert sum("/series/acme/secret/" in u for u in urls) == episodes
    assert all(u.endswith(".m3u8") for u in urls if "/live/" in u)
    plain = client.get(fake_provider.get_php_url("acme", type="m3u")).text
    assert "tvg-id" not in plain and "#EXTINF:-1," in plain
    assert client.get(fake_provider.url + "/get.php?username=acme&password=bad").status_code == 401


def test_two_accounts_and_mutation_between_fetches(
    fake_provider: FakeProviderServer, client: httpx.Client
) -> None:
    acme = fake_provider.account("acme").catalog
    globex = fake_provider.account("globex").catalog
    shared = {c.identity for c in acme.live.values()} & {c.identity for c in globex.live.values()}
    assert len(shared) >= len({c.identity for c in acme.live.values()}) * 0.9
    text = client.get(fake_provider.playlist_url("globex")).text
    assert " | " in text and "/live/globex/hunter2/" in text

    sid = next(iter(acme.live))
    acme.rename_channel(sid, "US: Brand New Name HD")
    added = acme.add_channel("US: Added Later", tvg_id="Added.us")
    removed = acme.remove_channel(list(acme.live)[1])
    text = client.get(fake_provider.playlist_url("acme")).text
    assert "US: Brand New Name HD" in text and "US: Added Later" in text
    assert f"/{removed.stream_id}.ts" not in text
    assert f"/{added.stream_id}.ts" in text


def test_reset_restores_catalog(fake_provider: FakeProviderServer) -> None:
    fake_provider.catalog.live.clear()
    fake_provider.provider.add_account("temp", "pw")
    fake_provider.reset()
    assert len(fake_provider.catalog.live) == 50
    assert "temp" not in fake_provider.accounts


# ---- Xtream API -----------------------------------------------------------------------------


def test_api_login_and_bad_password(
    fake_provider: FakeProviderServer, client: httpx.Client
) -> None:
    body = client.get(fake_provider.api_url("acme")).json()
    info, server = body["user_info"], body["server_info"]
    assert info["auth"] == 1 and info["status"] == "Active"
    assert info["exp_date"].isdigit() and int(info["exp_date"]) > time.time()
    assert info["max_connections"] == "2" and "ts" in info["allowed_output_formats"]
    assert server["url"] == "127.0.0.1" and server["port"] == fake_provider.url.rsplit(":", 1)[1]
    assert {"https_port", "server_protocol", "timezone", "timestamp_now"} <= server.keys()
    bad = client.get(f"{fake_provider.url}/player_api.php?username=acme&password=nope")
    assert bad.status_code == 200 and bad.json() == {"user_info": {"auth": 0}}
    nobody = client.get(f"{fake_provider.url}/player_api.php?username=x&password=y")
    assert nobody.json() == {"user_info": {"auth": 0}}


def test_api_lists_with_quirks(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    cat = fake_provider.catalog
    cats = client.get(fake_provider.api_url(action="get_live_categories")).json()
    assert {c["category_name"] for c in cats} == {c.name for c in cat.live_categories.values()}
    live = client.get(fake_provider.api_url(action="get_live_streams")).json()
    assert len(live) == len(cat.live)
    assert any(isinstance(i["stream_id"], str) for i in live)
    assert any(isinstance(i["stream_id"], int) for i in live)
    assert any(i.get("category_id") is None for i in live)
    assert any(i.get("added") == "" for i in live)
    assert any(i.get("tv_archive") == "0" for i in live)
    assert any("custom_sid" not in i for i in live)
    one = cats[0]["category_id"]
    filtered = client.get(fake_provider.api_url(action="get_live_streams", category_id=one)).json()
    assert filtered and all(i["category_id"] in (one, None) for i in filtered)
    assert len(filtered) < len(live)

    vod = client.get(fake_provider.api_url(action="get_vod_streams")).json()
    assert len(vod) == len(cat.movies)
    assert any("container_extension" not in i for i in vod)
    assert any(i["tmdb"] not in ("", None) for i in vod)
    series = client.get(fake_provider.api_url(action="get_series")).json()
    assert len(series) == len(cat.series)
    assert all(isinstance(s["last_modified"], str) for s in series)
    assert client.get(fake_provider.api_url(action="get_vod_categories")).json()
    assert client.get(fake_provider.api_url(action="get_series_categories")).json()


def test_api_clean_mode(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    fake_provider.account("acme").quirks = False
    live = client.get(fake_provider.api_url(action="get_live_streams")).json()
    assert all(isinstance(i["stream_id"], int) and isinstance(i["num"], int) for i in live)
    assert all(i["category_id"] is not None for i in live)


def test_api_series_info_shapes(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    cat = fake_provider.catalog
    show = cat.series[1]
    show.episodes_as_list, show.info_empty, show.backdrop_as_list = False, False, True
    info = client.get(fake_provider.api_url(action="get_series_info", series_id=1)).json()
    assert set(info["episodes"]) == {"1", "2"}
    assert isinstance(info["info"], dict) and isinstance(info["info"]["backdrop_path"], list)
    ep = info["episodes"]["1"][0]
    assert ep["id"] == str(cat.episodes_of(1)[1][0].id) and ep["season"] == 1
    assert len(info["seasons"]) == 2

    show.episodes_as_list, show.info_empty, show.backdrop_as_list = True, True, False
    info = client.get(fake_provider.api_url(action="get_series_info", series_id=1)).json()
    assert isinstance(info["episodes"], list) and len(info["episodes"]) == 2
    assert info["info"] == [] and info["episodes"][0][0]["info"] == []
    missing = client.get(fake_provider.api_url(action="get_series_info", series_id=999)).json()
    assert missing == {"seasons": [], "info": [], "episodes": []}


def test_api_vod_info_and_short_epg(
    fake_provider: FakeProviderServer, client: httpx.Client
) -> None:
    import base64

    cat = fake_provider.catalog
    movie = next(iter(cat.movies.values()))
    body = client.get(fake_provider.api_url(action="get_vod_info", vod_id=movie.stream_id)).json()
    assert body["movie_data"]["stream_id"] == movie.stream_id
    assert body["info"]["name"] == movie.title
    assert client.get(fake_provider.api_url(action="get_vod_info", vod_id=1)).json() == {
        "info": [],
        "movie_data": [],
    }
    ch = next(c for c in cat.live.values() if c.tvg_id)
    epg = client.get(
        fake_provider.api_url(action="get_short_epg", stream_id=ch.stream_id, limit=3)
    ).json()["epg_listings"]
    assert len(epg) == 3
    assert base64.b64decode(epg[0]["title"]).decode()
    assert int(epg[0]["start_timestamp"]) <= time.time() < int(epg[0]["stop_timestamp"])


# ---- XMLTV ----------------------------------------------------------------------------------


def test_xmltv(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    fake_provider.options.epg_hours_before = 1
    fake_provider.options.epg_hours_after = 3
    r = client.get(fake_provider.xmltv_url("acme"))
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    ids = {c.get("id") for c in root.iter("channel")}
    assert ids == {c.tvg_id for c in fake_provider.catalog.live.values() if c.tvg_id}
    progs = list(root.iter("programme"))
    assert progs and all(p.get("channel") in ids for p in progs)
    durations = set()
    for p in progs:
        start = time.strptime(p.get("start", ""), "%Y%m%d%H%M%S +0000")
        stop = time.strptime(p.get("stop", ""), "%Y%m%d%H%M%S +0000")
        durations.add(time.mktime(stop) - time.mktime(start))
        assert p.find("title") is not None and p.find("desc") is not None
    assert durations <= {1800, 2700, 3600}
    assert any(p.find("episode-num") is not None for p in progs)

    gz = client.get(fake_provider.epg_url("acme", gz=True))
    assert gz.headers["content-type"] == "application/gzip"
    ET.fromstring(gzip.decompress(gz.content))
    plain = client.get(fake_provider.epg_url("globex"))
    assert ET.fromstring(plain.content).tag == "tv"
    assert client.get(f"{fake_provider.url}/xmltv.php?username=acme&password=x").status_code == 401


# ---- streams --------------------------------------------------------------------------------


def test_live_ts_stream(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    sid = next(iter(fake_provider.catalog.live))
    started = time.monotonic()
    got = b""
    with client.stream("GET", fake_provider.stream_url(sid)) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp2t"
        for chunk in r.iter_bytes():
            got += chunk
            if len(got) >= 188 * 500:
                break
        first_byte_and_more = time.monotonic() - started
    assert got[0] == 0x47 and got[188] == 0x47
    assert _packets_ok(got[: len(got) - len(got) % 188])
    # 500 packets ≈ 94 kB at 200 kB/s: paced, but the first chunk arrives at once.
    assert 0.2 < first_byte_and_more < 3

    fake_provider.options.stream_max_bytes = 188 * 100
    body = client.get(fake_provider.stream_url(sid)).content
    assert len(body) == 188 * 100 and _packets_ok(body)
    assert client.get(fake_provider.stream_url(999_999)).status_code == 404
    assert client.get(f"{fake_provider.url}/live/acme/wrong/{sid}.ts").status_code == 403


def test_live_ts_from_file(
    fake_provider: FakeProviderServer, client: httpx.Client, tmp_path: Path
) -> None:
    packet = b"\x47\x01\x00\x10" + bytes(range(184))
    path = tmp_path / "clip.ts"
    path.write_bytes(b"junk" + packet * 10)
    fake_provider.options.ts_file = path
    fake_provider.options.stream_max_bytes = 188 * 25
    body = client.get(fake_provider.stream_url(next(iter(fake_provider.catalog.live)))).content
    assert body == (packet * 25)


def test_hls_media_and_master(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    cat = fake_provider.catalog
    ch = next(iter(cat.live.values()))
    ch.hls_master = False
    text = client.get(fake_provider.stream_url(ch.stream_id, ext="m3u8")).text
    assert text.startswith("#EXTM3U") and "#EXT-X-MEDIA-SEQUENCE:" in text
    segs = [ln for ln in text.splitlines() if ln.startswith("http")]
    assert len(segs) == 3 and f"/hls/{ch.stream_id}/" in segs[0]
    seg = client.get(segs[-1])
    assert seg.status_code == 200 and _packets_ok(seg.content) and len(seg.content) > 100_000

    ch.hls_master = True
    master = client.get(fake_provider.stream_url(ch.stream_id, ext="m3u8")).text
    assert "#EXT-X-STREAM-INF" in master
    variant = next(ln for ln in master.splitlines() if ln.startswith("http"))
    media = client.get(variant).text
    assert "#EXTINF" in media


def test_vod_ranges(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    fake_provider.options.vod_size = 10_000
    movie = next(iter(fake_provider.catalog.movies))
    url = fake_provider.stream_url(movie, kind="movie", ext="mp4")
    full = client.get(url)
    assert full.status_code == 200 and len(full.content) == 10_000
    assert full.headers["accept-ranges"] == "bytes" and full.content[4:8] == b"ftyp"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == "bytes 100-199/10000"
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    open_end = client.get(url, headers={"Range": "bytes=9990-"})
    assert open_end.content == full.content[9990:]
    bad = client.get(url, headers={"Range": "bytes=20000-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == "bytes */10000"
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == "10000"

    ep = next(ep for _, ep in fake_provider.catalog.iter_episodes())
    got = client.get(fake_provider.stream_url(ep.id, kind="series", ext="mkv"))
    assert got.status_code == 200 and got.content[:4] == b"\x1a\x45\xdf\xa3"


def test_static_images(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    r = client.get(f"{fake_provider.url}/logos/espn.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert client.get(f"{fake_provider.url}/nope").status_code == 404


# ---- playlist/API faults --------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 404])
def test_api_http_errors(
    fake_provider: FakeProviderServer, client: httpx.Client, status: int
) -> None:
    fake_provider.faults.set(f"http_{status}", account="acme")
    assert client.get(fake_provider.playlist_url("acme")).status_code == status
    assert client.get(fake_provider.api_url("acme")).status_code == status
    assert client.get(fake_provider.playlist_url("globex")).status_code == 200


def test_api_fault_scoping_and_expiry(
    fake_provider: FakeProviderServer, client: httpx.Client
) -> None:
    faults = fake_provider.faults
    faults.set("http_500", endpoint="api", action="get_series_info", times=2)
    assert (
        client.get(fake_provider.api_url(action="get_series_info", series_id=1)).status_code == 500
    )
    assert client.get(fake_provider.api_url(action="get_live_streams")).status_code == 200
    assert client.get(fake_provider.playlist_url()).status_code == 200
    assert (
        client.get(fake_provider.api_url(action="get_series_info", series_id=1)).status_code == 500
    )
    assert (
        client.get(fake_provider.api_url(action="get_series_info", series_id=1)).status_code == 200
    )
    faults.set("http_503", endpoint="xmltv")
    assert client.get(fake_provider.xmltv_url()).status_code == 503
    assert client.get(fake_provider.playlist_url()).status_code == 200
    faults.clear()
    assert client.get(fake_provider.xmltv_url()).status_code == 200
    with pytest.raises(ValueError):
        faults.set("no_such_fault")


def test_api_hang(fake_provider: FakeProviderServer) -> None:
    fake_provider.faults.set("hang")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fake_provider.playlist_url(), timeout=httpx.Timeout(5.0, read=0.3))
    assert time.monotonic() - started < 2
    # A bounded hang ends with 504 once its limit runs out.
    fake_provider.faults.set("timeout", delay=0.2)
    assert httpx.get(fake_provider.api_url(), timeout=TIMEOUT).status_code == 504


def test_api_slow(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    normal = client.get(fake_provider.playlist_url()).content
    fake_provider.faults.set("slow", delay=0.05, chunk_size=len(normal) // 4 + 1)
    started = time.monotonic()
    assert client.get(fake_provider.playlist_url()).content == normal
    assert time.monotonic() - started >= 0.18


def test_api_truncated(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    normal = client.get(fake_provider.playlist_url()).content
    fake_provider.faults.set("truncated", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(fake_provider.playlist_url())
    fake_provider.faults.set("truncated_clean", times=1)
    cut = client.get(fake_provider.playlist_url())
    assert cut.status_code == 200 and cut.content == normal[: len(normal) // 2]
    assert int(cut.headers["content-length"]) == len(cut.content)


def test_api_gzip(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    normal = client.get(fake_provider.api_url(action="get_live_streams")).json()
    fake_provider.faults.set("gzip")
    r = client.get(fake_provider.api_url(action="get_live_streams"))
    assert r.headers["content-encoding"] == "gzip" and r.json() == normal
    fake_provider.faults.set("gzip_raw", endpoint="m3u")
    raw = client.get(fake_provider.playlist_url())
    assert "content-encoding" not in raw.headers
    assert gzip.decompress(raw.content).startswith(b"#EXTM3U")


def test_api_redirects(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    fake_provider.faults.set("redirect")
    r = client.get(fake_provider.playlist_url(), follow_redirects=True)
    assert r.status_code == 200 and r.text.startswith("#EXTM3U")
    assert [h.status_code for h in r.history] == [302]
    assert "/rd/playlist/" in str(r.url)
    api = client.get(fake_provider.api_url(), follow_redirects=True)
    assert api.json()["user_info"]["auth"] == 1
    fake_provider.faults.set("redirect_loop")
    with (
        httpx.Client(timeout=TIMEOUT, max_redirects=5) as c,
        pytest.raises(httpx.TooManyRedirects),
    ):
        c.get(fake_provider.playlist_url(), follow_redirects=True)


def test_api_content_faults(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    faults = fake_provider.faults
    faults.set("empty")
    assert client.get(fake_provider.playlist_url()).text == "#EXTM3U\n"
    assert client.get(fake_provider.api_url(action="get_live_streams")).json() == []
    assert ET.fromstring(client.get(fake_provider.xmltv_url()).content).tag == "tv"
    faults.set("html")
    r = client.get(fake_provider.api_url())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    faults.set("json_error")
    with pytest.raises(ValueError):
        client.get(fake_provider.api_url()).json()
    faults.set("wrong_password")
    assert client.get(fake_provider.api_url()).json() == {"user_info": {"auth": 0}}
    assert client.get(fake_provider.get_php_url()).status_code == 401
    faults.set("auth_401")
    assert client.get(fake_provider.api_url()).status_code == 401
    faults.set("auth_403")
    assert client.get(fake_provider.get_php_url()).status_code == 403


# ---- stream faults --------------------------------------------------------------------------


def test_stream_simple_faults(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    ids = list(fake_provider.catalog.live)
    faults = fake_provider.faults
    faults.stream(ids[0], "dead")
    faults.stream(ids[1], "http_502")
    faults.stream(ids[2], "html")
    assert client.get(fake_provider.stream_url(ids[0])).status_code == 404
    assert client.get(fake_provider.stream_url(ids[1])).status_code == 502
    html = client.get(fake_provider.stream_url(ids[2]))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    fake_provider.options.stream_max_bytes = 188 * 10
    assert client.get(fake_provider.stream_url(ids[3])).status_code == 200
    faults.stream(None, "dead", account="acme")
    assert client.get(fake_provider.stream_url(ids[3])).status_code == 404
    globex = next(iter(fake_provider.account("globex").catalog.live))
    assert client.get(fake_provider.stream_url(globex, "globex")).status_code == 200


def test_stream_hang_and_timeout(fake_provider: FakeProviderServer) -> None:
    sid = next(iter(fake_provider.catalog.live))
    fake_provider.faults.stream(sid, "hang")
    short = httpx.Timeout(5.0, read=0.3)
    with httpx.Client(timeout=short) as c, c.stream("GET", fake_provider.stream_url(sid)) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            r.read()
    fake_provider.faults.stream(sid, "timeout")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fake_provider.stream_url(sid), timeout=short)


def test_stream_slow_first_byte(fake_provider: FakeProviderServer) -> None:
    sid = next(iter(fake_provider.catalog.live))
    fake_provider.options.stream_max_bytes = 188 * 5
    fake_provider.faults.stream(sid, "slow", delay=0.4)
    started = time.monotonic()
    r = httpx.get(fake_provider.stream_url(sid), timeout=TIMEOUT)
    assert r.status_code == 200 and time.monotonic() - started >= 0.35
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fake_provider.stream_url(sid), timeout=httpx.Timeout(5.0, read=0.1))


def test_stream_flapping(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    sid = next(iter(fake_provider.catalog.live))
    fake_provider.options.stream_max_bytes = 188 * 5
    fake_provider.faults.stream(sid, "flapping")
    codes = [client.get(fake_provider.stream_url(sid)).status_code for _ in range(4)]
    assert codes == [503, 200, 503, 200]


def test_stream_die_after(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    sid = next(iter(fake_provider.catalog.live))
    fake_provider.faults.stream(sid, "die_after", after_bytes=188 * 40)
    body = client.get(fake_provider.stream_url(sid)).content
    assert len(body) == 188 * 40 and _packets_ok(body)
    movie = next(iter(fake_provider.catalog.movies))
    fake_provider.faults.stream(movie, "die_after", after_bytes=1000)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(fake_provider.stream_url(movie, kind="movie", ext="mp4"))


def test_stream_redirect(fake_provider: FakeProviderServer, client: httpx.Client) -> None:
    sid = next(iter(fake_provider.catalog.live))
    fake_provider.options.stream_max_bytes = 188 * 5
    fake_provider.faults.stream(sid, "redirect")
    r = client.get(fake_provider.stream_url(sid), follow_redirects=True)
    assert r.status_code == 200 and r.history and _packets_ok(r.content)


# ---- stats ----------------------------------------------------------------------------------


def test_stats_count_requests_and_concurrent_streams(fake_provider: FakeProviderServer) -> None:
    ids = list(fake_provider.catalog.live)
    with httpx.Client(timeout=TIMEOUT) as c:
        c.get(fake_provider.playlist_url())
        c.get(fake_provider.api_url(action="get_series_info", series_id=1))
        c.get(fake_provider.api_url(action="get_series_info", series_id=2))
        c.get(fake_provider.api_url())
        opened = []
        for sid in ids[:3]:
            cm = c.stream("GET", fake_provider.stream_url(sid))
            r = cm.__enter__()
            next(r.iter_bytes())
            opened.append(cm)
        assert fake_provider.stats.open_now("acme") == 3
        for cm in opened:
            cm.__exit__(None, None, None)
    stats = fake_provider.stats
    assert stats.requests["/playlist/acme.m3u"] == 1
    assert stats.api_calls("get_series_info", "acme") == 2
    assert stats.api_calls("") == 1
    assert stats.count("/live/") == 3
    assert stats.max_open_streams["acme"] == 3
    deadline = time.monotonic() + 3
    while stats.open_now("acme") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats.open_now("acme") == 0
    assert stats.log[0].headers.get("user-agent", "").startswith("python-httpx")


def test_enforced_connection_limit(fake_provider: FakeProviderServer) -> None:
    account = fake_provider.account("acme")
    account.enforce_max_connections, account.max_connections = True, 1
    sid = next(iter(fake_provider.catalog.live))
    with (
        httpx.Client(timeout=TIMEOUT) as c,
        c.stream("GET", fake_provider.stream_url(sid)) as first,
    ):
        next(first.iter_bytes())
        assert c.get(fake_provider.stream_url(sid)).status_code == 403


# ---- lifecycle ------------------------------------------------------------------------------


def test_shutdown_is_clean_with_open_requests() -> None:
    provider = FakeProvider(ProviderOptions(max_hang_seconds=60))
    provider.add_account("solo", "pw", lambda: Catalog.generate(5, live=5), baseline=True)
    errors: list[BaseException] = []
    before = threading.active_count()

    def hold(url: str) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(10.0)) as c, c.stream("GET", url) as r:
                for _ in r.iter_bytes():
                    pass
        except httpx.HTTPError as exc:
            errors.append(exc)

    with run_fake_provider(provider) as server:
        server.faults.set("hang", endpoint="m3u")
        sid = next(iter(server.catalog.live))
        holders = [
            threading.Thread(target=hold, args=(server.playlist_url(),)),
            threading.Thread(target=hold, args=(server.stream_url(sid),)),
        ]
        for t in holders:
            t.start()
        deadline = time.monotonic() + 3
        while (server.stats.count("/") < 2 or not server.stats.open_now("solo")) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.02)
        started = time.monotonic()
    assert time.monotonic() - started < 4
    for t in holders:
        t.join(timeout=3)
        assert not t.is_alive()
    assert threading.active_count() <= before


async def test_async_variant() -> None:
    provider = FakeProvider()
    provider.add_account("solo", "pw", lambda: Catalog.generate(2, live=3))
    async with (
        run_fake_provider_async(provider) as server,
        httpx.AsyncClient(timeout=TIMEOUT) as c,
    ):
        r = await c.get(server.playlist_url())
        assert r.status_code == 200 and len(_entries(r.text)) == 3
        server.faults.set("http_503")
        assert (await c.get(server.api_url())).status_code == 503
