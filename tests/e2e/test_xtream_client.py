"""IPTV players against strmline's Xtream Codes API, over HTTP to the running server.

pyxtream (the library Linux Mint's Hypnotix player is built from) logs in with the user's Xtream
credentials, loads categories, channels, movies and series the way it does against any panel,
reads a short EPG and a series' episodes; every object it got is checked against its schemas of
what panels send; ffmpeg then decodes the URLs it built (``/live/U/P/ID.ts``, ``/movie/…``).
A second test replays the request sequence of a TiviMate-style app with plain HTTP: login,
categories, streams, short EPG, guide, and play through the short path ``/U/P/ID``.
"""

from __future__ import annotations

import base64
import contextlib
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Ready
from tests.e2e.harness import decode_frames

pyxtream = pytest.importorskip("pyxtream")
from pyxtream.schemaValidator import SchemaType, schemaValidator  # noqa: E402


def _account(ready: Ready) -> dict[str, Any]:
    account: dict[str, Any] = ready.stack.api("GET", "/api/auth/xtream")
    assert account["server"] == ready.stack.url
    return account


def _plays_ts(ready: Ready, channel_id: int) -> bool:
    """Whether the channel's best stream is TS (HLS proxying is the playback issue's)."""
    detail = ready.stack.api("GET", f"/api/channels/{channel_id}")
    streams = detail["streams"]
    return bool(streams) and not urlsplit(streams[0]["url"]).path.endswith(".m3u8")


def _valid(raw: dict[str, Any], schema: SchemaType) -> bool:
    # The validator prints what failed; keep that for the assertion message instead.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = schemaValidator(raw, schema)
    assert ok, f"{schema.name} schema: {out.getvalue()[:500]}\n{raw}"
    return ok


def test_pyxtream_logs_in_lists_reads_epg_and_plays(ready: Ready, tmp_path: Path) -> None:
    account = _account(ready)
    client = pyxtream.XTream(
        "strmline",
        account["username"],
        account["password"],
        account["server"],
        cache_path=str(tmp_path),
        reload_time_sec=-1,
    )
    assert client.state["authenticated"], "pyxtream could not log in"
    assert client.auth_data["user_info"]["auth"] == 1
    assert client.load_iptv()

    # Categories of all three kinds, each as panels send them.
    kinds = {g.group_type for g in client.groups if g.group_id != 9999}
    assert kinds == {0, 1, 2}, "live, movie and series categories"
    for group in client.groups:
        if group.group_id != 9999:
            _valid(group.raw, SchemaType.GROUP)

    assert len(client.channels) > 10
    for channel in client.channels:
        _valid(channel.raw, SchemaType.LIVE)
        assert channel.group_title != "xEverythingElse", f"{channel.name} lost its category"
    assert client.movies and client.series, (len(client.movies), len(client.series))
    for movie in client.movies:
        _valid(movie.raw, SchemaType.VOD)
    for show in client.series:
        _valid(show.raw, SchemaType.SERIES_INFO)

    # The short EPG of a channel with a guide: base64 titles, from now on.
    guided = [c for c in client.channels if not c.epg_channel_id.startswith("strmline.")]
    assert guided, "some channels carry a guide id"
    listings: list[dict[str, Any]] = []
    for channel in guided:
        listings = client.liveEpgByStreamAndLimit(channel.id, 3)["epg_listings"]
        if listings:
            break
    assert 0 < len(listings) <= 3, "no channel has a short EPG"
    assert all(base64.b64decode(item["title"]).decode() for item in listings)
    assert int(listings[0]["stop_timestamp"]) > int(listings[0]["start_timestamp"])

    # A series' seasons and episodes, with URLs on this server.
    show = client.series[0]
    client.get_series_info_by_id(show)
    episodes = [e for season in show.seasons.values() for e in season.episodes.values()]
    assert episodes, f"{show.name} has no episodes"
    assert all(e.url.startswith(f"{account['server']}/series/") for e in episodes)

    # Play what the client built: a live channel through /live/U/P/ID.ts, a movie.
    live = next(c for c in client.channels if _plays_ts(ready, int(c.id)))
    assert (
        live.url
        == f"{account['server']}/live/{account['username']}/{account['password']}/{live.id}.ts"
    )
    decode_frames(live.url)
    decode_frames(client.movies[0].url, frames=25)


def test_tivimate_style_sequence(ready: Ready) -> None:
    """The requests such an app makes on adding a playlist and tuning in, in its order."""
    account = _account(ready)
    stack = ready.stack
    creds = {"username": account["username"], "password": account["password"]}
    headers = {"User-Agent": "TiviMate/5.1.6 (Android 12)", "Accept": "*/*"}

    def call(**params: str) -> Any:
        resp = stack.http.get("/player_api.php", params={**creds, **params}, headers=headers)
        assert resp.status_code == 200, resp.text[:300]
        return resp.json()

    login = call()
    assert login["user_info"]["auth"] == 1 and login["user_info"]["status"] == "Active"
    server = login["server_info"]
    assert f"{server['server_protocol']}://{server['url']}:{server['port']}" == stack.url
    live_categories = call(action="get_live_categories")
    assert live_categories
    streams = call(action="get_live_streams")
    assert streams and all(isinstance(s["stream_id"], int) for s in streams)
    first_category = live_categories[0]["category_id"]
    subset = call(action="get_live_streams", category_id=first_category)
    assert subset and {s["category_id"] for s in subset} == {first_category}
    assert call(action="get_vod_categories") and call(action="get_series_categories")
    assert call(action="get_vod_streams") and call(action="get_series")
    guide = stack.http.get("/xmltv.php", params=creds, headers=headers)
    assert guide.status_code == 200 and b"<programme" in guide.content
    guided = [s for s in streams if not s["epg_channel_id"].startswith("strmline.")]
    assert any(
        call(action="get_short_epg", stream_id=str(s["stream_id"]))["epg_listings"]
        for s in guided[:10]
    ), "no short EPG for the first guided channels"
    playlist = stack.http.get(
        "/get.php", params={**creds, "type": "m3u_plus", "output": "ts"}, headers=headers
    )
    assert playlist.status_code == 200
    # Channels, then movies and episodes, as panels list them in m3u_plus.
    urls = [line for line in playlist.text.splitlines() if line.startswith("http")]
    live = [u for u in urls if f"/live/{account['username']}/" in u]
    movies = [u for u in urls if f"/movie/{account['username']}/" in u]
    episodes = [u for u in urls if f"/series/{account['username']}/" in u]
    assert len(live) == len(streams) and movies and episodes
    assert len(urls) == playlist.text.count("#EXTINF")
    decode_frames(movies[0], frames=25)
    decode_frames(episodes[0], frames=25)
    # Tune in through the short form some apps use, on a channel no other test has played.
    tunable = [s for s in streams if _plays_ts(ready, s["stream_id"])]
    channel = tunable[-1]
    decode_frames(f"{stack.url}/{account['username']}/{account['password']}/{channel['stream_id']}")
