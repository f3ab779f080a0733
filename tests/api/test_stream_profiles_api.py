"""Per-provider play mode and stream profiles through the API (SQLite and PostgreSQL): the
provider and channel fields, the profile list, refused profile commands, what /play and the
outputs do with them, and Xtream ``tv_archive``.

The upstreams here refuse connections (127.0.0.1:9), so a proxied answer is a 502/503 with no
``Location``; real playback through a command profile is in
tests/integration/test_stream_profiles.py and tests/e2e/test_stream_profiles.py.
"""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from tests.api.test_play_hints import CDN, XTREAM, _entries, _seed

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def seeded(app: FastAPI) -> dict[str, int]:
    app.state.settings.playback.check_seconds = 0  # nothing listens on the streams' port
    ids = await _seed(app)
    async with session_scope(app.state.session_factory) as s:
        rows = await s.execute(select(Provider.name, Provider.id))
        ids.update({f"provider_{name}": pid for name, pid in rows})
    return ids


async def _patch_provider(
    client: httpx.AsyncClient, admin: dict[str, str], pid: int, **body: Any
) -> httpx.Response:
    return await client.patch(f"/api/providers/{pid}", json=body, headers=admin)


async def test_provider_play_mode_and_profile_are_stored_and_checked(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    body = {"name": "acme", "kind": "m3u", "url": "http://127.0.0.1:9/list.m3u"}
    r = await client.post("/api/providers", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["play_mode"] == "auto" and created["stream_profile"] is None
    pid = created["id"]

    r = await _patch_provider(
        client, admin, pid, play_mode="redirect", stream_profile="ffmpeg-remux"
    )
    assert r.status_code == 200, r.text
    assert (r.json()["play_mode"], r.json()["stream_profile"]) == ("redirect", "ffmpeg-remux")
    r = await _patch_provider(client, admin, pid, play_mode="auto")
    assert r.json()["play_mode"] == "auto" and r.json()["stream_profile"] == "ffmpeg-remux"
    async with session_scope(app.state.session_factory) as s:
        row = (await s.execute(select(Provider).where(Provider.id == pid))).scalar_one()
    assert row.play_mode is None and row.stream_profile == "ffmpeg-remux"  # auto is NULL

    r = await _patch_provider(client, admin, pid, stream_profile="no-such-profile")
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "unknown stream profile 'no-such-profile'" in message and "ffmpeg-remux" in message
    r = await _patch_provider(client, admin, pid, play_mode="sometimes")
    assert r.status_code == 422
    r = await client.post(
        "/api/providers", json={**body, "name": "b", "stream_profile": "nope"}, headers=admin
    )
    assert r.status_code == 422 and "nope" in r.json()["error"]["message"]
    if shutil.which("streamlink") is None:
        r = await _patch_provider(client, admin, pid, stream_profile="streamlink")
        assert r.status_code == 422 and "not installed" in r.json()["error"]["message"]
    r = await client.get(f"/api/providers/{pid}", headers=admin)
    assert r.json()["stream_profile"] == "ffmpeg-remux"  # the refused changes changed nothing
    r = await _patch_provider(client, admin, pid, stream_profile=None)
    assert r.json()["stream_profile"] is None

    # The form says what redirect exposes.
    schema = (await client.get("/api/openapi.json", headers=admin)).json()["components"]["schemas"]
    described = schema["ProviderUpdate"]["properties"]["play_mode"]["description"]
    assert "username and password reach every player" in described


async def test_channel_override_and_profile_list(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: dict[str, str],
    viewer: dict[str, str],
    seeded: dict[str, int],
) -> None:
    r = await client.get("/api/stream-profiles", headers=admin)
    assert r.status_code == 200, r.text
    listed = {p["name"]: p for p in r.json()}
    assert list(listed)[:5] == [
        "proxy",
        "redirect",
        "ffmpeg-remux",
        "ffmpeg-transcode",
        "streamlink",
    ]
    assert (
        listed["ffmpeg-remux"]["kind"] == "command"
        and "{url}" in (listed["ffmpeg-remux"]["command"])
    )
    assert listed["ffmpeg-remux"]["available"] is (shutil.which("ffmpeg") is not None)
    assert listed["streamlink"]["available"] is (shutil.which("streamlink") is not None)
    assert (await client.get("/api/stream-profiles", headers=viewer)).status_code == 403

    cid = seeded["cdn"]
    r = await client.patch(
        f"/api/channels/{cid}", json={"stream_profile": "ffmpeg-remux"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["stream_profile"] == "ffmpeg-remux"
    r = await client.patch(f"/api/channels/{cid}", json={"stream_profile": "bogus"}, headers=admin)
    assert r.status_code == 422 and "bogus" in r.json()["error"]["message"]
    r = await client.get(f"/api/channels/{cid}", headers=admin)
    assert r.json()["stream_profile"] == "ffmpeg-remux"
    r = await client.patch(f"/api/channels/{cid}", json={"stream_profile": None}, headers=admin)
    assert r.json()["stream_profile"] is None


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("no-such-program-7f3a {url}", "'no-such-program-7f3a' is not an executable found on PATH"),
        ("ffmpeg -i {url} -headers {cookie}", "unknown placeholder {cookie}"),
        ("ffmpeg -i http://fixed/stream", "must read the stream from {url}"),
        ('ffmpeg -i "{url}', "cannot split the command"),
    ],
)
async def test_a_bad_profile_command_is_refused_with_why(
    client: httpx.AsyncClient, admin: dict[str, str], command: str, says: str
) -> None:
    good = [{"name": "cat-it", "command": "cat {url}"}]
    r = await client.patch(
        "/api/settings", json={"playback": {"stream_profiles": good}}, headers=admin
    )
    assert r.status_code == 200, r.text
    bad = [*good, {"name": "mine", "command": command}]
    r = await client.patch(
        "/api/settings", json={"playback": {"stream_profiles": bad}}, headers=admin
    )
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("playback.stream_profiles.1.command") and says in message, message
    names = [p["name"] for p in (await client.get("/api/stream-profiles", headers=admin)).json()]
    assert "cat-it" in names and "mine" not in names  # the good list is kept


async def test_custom_profiles_cannot_take_a_builtin_or_repeated_name(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for profiles, says in (
        ([{"name": "ffmpeg-remux", "command": "cat {url}"}], "is a built-in profile"),
        (
            [{"name": "a", "command": "cat {url}"}, {"name": "a", "command": "cat {url}"}],
            "two profiles are named 'a'",
        ),
        ([{"name": "Has Spaces", "command": "cat {url}"}], "stream_profiles.0.name"),
    ):
        r = await client.patch(
            "/api/settings", json={"playback": {"stream_profiles": profiles}}, headers=admin
        )
        assert r.status_code == 422 and says in r.json()["error"]["message"], r.text


async def test_provider_play_mode_decides_redirect_or_proxy(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: dict[str, str],
    api_token: str,
    seeded: dict[str, int],
) -> None:
    token = {"token": api_token}
    xt, cdn = seeded["provider_xt"], seeded["provider_cdn"]
    # Auto: the Xtream stream carries the account, so it is proxied even in redirect mode.
    r = await client.get(f"/play/{seeded['xt']}", params=token)
    assert r.status_code in (502, 503) and "location" not in r.headers
    # The user chose redirect for that provider: players get its URL, credentials and all.
    assert (await _patch_provider(client, admin, xt, play_mode="redirect")).status_code == 200
    r = await client.get(f"/play/{seeded['xt']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == XTREAM
    r = await client.get(f"/play/stream/{seeded['xt_stream']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == XTREAM
    assert dict((await _entries(client, api_token))["Xt"].options) == {
        "http-user-agent": "XtAgent/2"
    }
    # Proxy for a provider whose URLs show nothing: no redirect in redirect mode.
    assert (await _patch_provider(client, admin, cdn, play_mode="proxy")).status_code == 200
    for path in (f"/play/{seeded['cdn']}", f"/play/stream/{seeded['cdn_stream']}"):
        r = await client.get(path, params=token)
        assert r.status_code in (502, 503) and "location" not in r.headers, (path, r.text)
    assert not (await _entries(client, api_token))["Cdn"].options
    # Global proxy mode, provider redirect: the provider's choice wins.
    app.state.settings.playback.mode = "proxy"
    assert (await _patch_provider(client, admin, cdn, play_mode="redirect")).status_code == 200
    r = await client.get(f"/play/{seeded['cdn']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == CDN
    # A channel's own play mode still comes first.
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            update(Channel).where(Channel.id == seeded["cdn"]).values(play_mode="proxy")
        )
    r = await client.get(f"/play/{seeded['cdn']}", params=token)
    assert r.status_code in (502, 503) and "location" not in r.headers


async def test_a_command_profile_means_proxy_and_the_redirect_profile_redirects(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_token: str,
    seeded: dict[str, int],
) -> None:
    token = {"token": api_token}
    cdn = seeded["provider_cdn"]
    r = await client.get(f"/play/stream/{seeded['cdn_stream']}", params=token)
    assert r.status_code == 302  # redirect mode, nothing to hide
    await _patch_provider(client, admin, cdn, stream_profile="ffmpeg-remux")
    r = await client.get(f"/play/{seeded['cdn']}", params=token)
    assert r.status_code in (502, 503) and "location" not in r.headers
    r = await client.patch(
        f"/api/channels/{seeded['cdn']}", json={"stream_profile": "redirect"}, headers=admin
    )
    assert r.status_code == 200
    r = await client.get(f"/play/{seeded['cdn']}", params=token)
    assert r.status_code == 302 and r.headers["location"] == CDN


async def test_xtream_live_streams_report_the_archive(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], seeded: dict[str, int]
) -> None:
    async with session_scope(app.state.session_factory) as s:
        await s.execute(update(Stream).where(Stream.id == seeded["cdn_stream"]).values(attrs=None))
    r = await client.get("/api/auth/xtream", headers=admin)
    creds = {"username": r.json()["username"], "password": r.json()["password"]}
    r = await client.get("/player_api.php", params={**creds, "action": "get_live_streams"})
    assert r.status_code == 200, r.text
    items = {item["stream_id"]: item for item in r.json()}
    assert items[seeded["xt"]]["tv_archive"] == 1
    assert items[seeded["xt"]]["tv_archive_duration"] == 3
    assert items[seeded["cdn"]]["tv_archive"] == 0
    assert items[seeded["cdn"]]["tv_archive_duration"] == 0
