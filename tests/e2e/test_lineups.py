"""Lineups and group filters against the running server, over HTTP only.

Two lineups filled by rules give two different M3U playlists (read by strmline's parser as a
player would), two guides tv_validate_file accepts, two HDHomeRun tuners (own DeviceID and
lineup.json, one played by ffmpeg) and, for two users whose Xtream credentials are bound to
them, two ``get_live_streams`` answers. A group filter then keeps a provider to the categories
chosen, through real syncs of the fake provider's playlist.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from strmline.formats.hdhr import valid_device_id
from strmline.formats.m3u import M3UParser, parse_lines
from tests.e2e.conftest import Ready
from tests.e2e.harness import TV_VALIDATE, Stack, decode_frames


def _entries(text: str) -> list[tuple[dict[str, str], str, str]]:
    parser = M3UParser()
    out = [(dict(e.attrs), e.name, e.url) for e in parse_lines(text.splitlines(), parser=parser)]
    assert parser.skipped == 0, parser.skips
    return out


def _two_categories(ready: Ready) -> tuple[str, str]:
    counts = Counter(a.get("group-title") for a, _, _ in _entries(ready.m3u))
    counts.pop(None, None)
    (first, _), (second, _) = counts.most_common(2)
    assert first and second
    return first, second


def _lineup(stack: Stack, name: str, category: str) -> dict[str, Any]:
    lineup: dict[str, Any] = stack.api(
        "POST", "/api/lineups", json={"name": name, "rules": [{"category": category}]}
    )
    assert lineup["channels"] > 0, lineup
    return lineup


def _validate(tmp_path: Path, name: str, body: bytes) -> None:
    if TV_VALIDATE is None:
        pytest.skip("tv_validate_file (xmltv-util) not installed")
    guide = tmp_path / f"{name}.xml"
    guide.write_bytes(body)
    env = {**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"}
    done = subprocess.run(
        [TV_VALIDATE, str(guide)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _user(stack: Stack, username: str) -> tuple[int, httpx.Client]:
    password = "a long enough password"
    user = stack.api("POST", "/api/users", json={"username": username, "password": password})
    client = httpx.Client(base_url=stack.url, timeout=60)
    tokens = client.post("/api/auth/login", json={"username": username, "password": password})
    assert tokens.status_code == 200, tokens.text
    client.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
    return int(user["id"]), client


def test_two_lineups_give_two_of_every_output(ready: Ready, tmp_path: Path) -> None:
    stack = ready.stack
    cat_a, cat_b = _two_categories(ready)
    lineups = {
        "a": _lineup(stack, f"Lineup A {stack.mode}", cat_a),
        "b": _lineup(stack, f"Lineup B {stack.mode}", cat_b),
    }
    playlists: dict[str, list[str]] = {}
    device_ids = set()
    for key, lineup in lineups.items():
        slug, category = lineup["slug"], (cat_a if key == "a" else cat_b)
        m3u = stack.http.get("/output/m3u", params={"token": stack.token, "lineup": slug})
        assert m3u.status_code == 200
        entries = _entries(m3u.text)
        assert len(entries) == lineup["channels"]
        assert {a["group-title"] for a, _, _ in entries} == {category}
        # Numbered in the lineup from 1, in its own order.
        assert [a["tvg-chno"] for a, _, _ in entries] == [
            str(i) for i in range(1, len(entries) + 1)
        ]
        assert f"lineup={slug}" in m3u.text.splitlines()[0]  # the guide URL it names
        playlists[key] = [name for _, name, _ in entries]

        guide = stack.http.get("/output/xmltv", params={"token": stack.token, "lineup": slug})
        assert guide.status_code == 200
        _validate(tmp_path, slug, guide.content)
        guide_ids = set(re.findall(r'<channel id="([^"]+)"', guide.text))
        assert guide_ids <= {a["tvg-id"] for a, _, _ in entries}

        base = f"/hdhr/{stack.token}/lineup/{slug}"
        discover = stack.api("GET", f"{base}/discover.json")
        assert discover["BaseURL"] == f"{stack.url}{base}"
        assert valid_device_id(discover["DeviceID"])
        device_ids.add(discover["DeviceID"])
        tuner = stack.api("GET", discover["LineupURL"].removeprefix(stack.url))
        assert [x["GuideName"] for x in tuner] == playlists[key]
        assert [x["GuideNumber"] for x in tuner] == [str(i) for i in range(1, len(tuner) + 1)]
    assert playlists["a"] != playlists["b"] and not set(playlists["a"]) & set(playlists["b"])
    own = stack.api("GET", f"/hdhr/{stack.token}/discover.json")["DeviceID"]
    assert len(device_ids | {own}) == 3, "one DeviceID per tuner"

    # Two users, each given one lineup and their Xtream credentials bound to it.
    views = {}
    for key, lineup in lineups.items():
        user_id, client = _user(stack, f"lineup-{key}-{stack.mode}")
        stack.api(
            "PUT",
            f"/api/lineups/users/{user_id}",
            json={"lineup_ids": [lineup["id"]], "xtream_lineup_id": lineup["id"]},
        )
        account = client.get("/api/auth/xtream").json()
        creds = {"username": account["username"], "password": account["password"]}
        live = stack.http.get(
            "/player_api.php", params={**creds, "action": "get_live_streams"}
        ).json()
        views[key] = [s["name"] for s in live]
        assert [int(s["num"]) for s in live] == list(range(1, len(live) + 1))
        # The user's own playlist shows their lineup without naming it; others' are not theirs.
        token = client.get("/api/auth/api-token").json()["api_token"]
        mine = stack.http.get("/output/m3u", params={"token": token})
        assert [name for _, name, _ in _entries(mine.text)] == playlists[key]
        other = lineups["b" if key == "a" else "a"]["slug"]
        assert (
            stack.http.get("/output/m3u", params={"token": token, "lineup": other}).status_code
            == 404
        )
        client.close()
    assert views == playlists

    # A media server tunes a lineup's channel: ffmpeg decodes frames from its lineup URL.
    tuner = stack.api("GET", f"/hdhr/{stack.token}/lineup/{lineups['a']['slug']}/lineup.json")
    assert any(decode_frames(x["URL"], frames=25) >= 25 for x in tuner[:3])


def test_group_filter_keeps_a_provider_to_the_chosen_categories(ready: Ready) -> None:
    stack = ready.stack
    fp = stack.provider
    pid = stack.api(
        "POST",
        "/api/providers",
        json={
            "name": f"filtered {stack.mode}",
            "kind": "m3u",
            "url": f"{fp.url}/playlist/acme.m3u",
        },
    )["id"]
    try:
        # Only two categories, chosen by pattern before the first sync: a big provider's other
        # categories are never matched nor stored.
        stack.api(
            "PUT",
            f"/api/providers/{pid}/groups",
            json={"group_include": "^(US: Kids|UK: News)$"},
        )
        job = stack.run_job(f"/api/providers/{pid}/sync")
        groups = stack.api("GET", f"/api/providers/{pid}/groups")
        counts = {g["name"]: g["entries"] for g in groups["groups"]}
        assert len(counts) > 5 and groups["entries"] == sum(counts.values())
        kept = counts["US: Kids"] + counts["UK: News"]
        assert job["result"]["entries"] == kept == groups["taken_entries"]
        assert job["result"]["streams_added"] == kept

        # One category dropped by choice: the next sync removes its streams.
        stack.api(
            "PUT",
            f"/api/providers/{pid}/groups",
            json={"groups": [{"name": "US: Kids", "taken": False}]},
        )
        job = stack.run_job(f"/api/providers/{pid}/sync")
        assert job["result"]["entries"] == counts["UK: News"]
        assert job["result"]["streams_removed"] == counts["US: Kids"]

        # A filter that would take nothing is refused and changes nothing.
        resp = stack.http.put(
            f"/api/providers/{pid}/groups",
            json={"groups": [{"name": "UK: News", "taken": False}]},
        )
        assert resp.status_code == 422 and "takes none of the" in resp.text
        assert (
            stack.api("GET", f"/api/providers/{pid}/groups")["taken_entries"] == counts["UK: News"]
        )
    finally:
        stack.api("DELETE", f"/api/providers/{pid}")
