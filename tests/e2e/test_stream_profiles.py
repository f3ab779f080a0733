"""Stream profiles and per-provider play modes in the running product: a provider set to proxy
with the ffmpeg-remux profile plays through /play via an ffmpeg the server starts (a player
decodes frames), the process ends with the viewer; a bad profile command is refused with why;
Xtream clients see the archives the M3U announces."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.e2e.conftest import Ready
from tests.e2e.harness import Stack, decode_frames
from tests.e2e.test_flow import _m3u_entries


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def profile_processes(stack: Stack) -> list[int]:
    """ffmpeg processes the server started for the ffmpeg-remux profile."""
    found = []
    for pid in _descendants(stack.procs[0].popen.pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"ffmpeg") and b"-user_agent" in cmd and b"pipe:1" in cmd:
            found.append(pid)
    return found


def _channel_led_by(ready: Ready, provider_id: int) -> tuple[dict[str, Any], str]:
    """A channel whose best stream is this provider's, and its play URL."""
    for _, url in _m3u_entries(ready.m3u):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = ready.stack.api("GET", f"/api/channels/{channel_id}")
        streams = detail["streams"]
        if streams and streams[0]["provider_id"] == provider_id and streams[0]["active"]:
            return detail, url
    raise AssertionError(f"no channel's best stream is provider {provider_id}'s")


def test_a_provider_on_ffmpeg_remux_plays_through_play(ready: Ready) -> None:
    stack = ready.stack
    stack.wait_idle()  # an earlier test's hub on the channel would play it without the profile
    pid = ready.providers["acme m3u"]
    detail, url = _channel_led_by(ready, pid)
    changed = stack.api(
        "PATCH",
        f"/api/providers/{pid}",
        json={"play_mode": "proxy", "stream_profile": "ffmpeg-remux"},
    )
    assert (changed["play_mode"], changed["stream_profile"]) == ("proxy", "ffmpeg-remux")
    try:
        with ThreadPoolExecutor(1) as pool:
            decoding = pool.submit(decode_frames, url, frames=150)
            running: set[int] = set()
            played: set[int | None] = set()
            while not decoding.done():  # what the server runs and lists while the player reads
                running.update(profile_processes(stack))
                items = stack.api("GET", "/api/streams/active")["items"]
                played.update(v["stream_id"] for v in items if v["channel_id"] == detail["id"])
                time.sleep(0.1)
            assert decoding.result() >= 150
        assert len(running) == 1, running  # one process for the one upstream
        assert detail["streams"][0]["id"] in played, played
        # The viewer left: after the grace period the server killed the process.
        stack.wait_for("the process to end", lambda: not profile_processes(stack), timeout=30)
        after = stack.api("GET", f"/api/channels/{detail['id']}")["streams"][0]
        assert after["id"] == detail["streams"][0]["id"] and not after.get("failure_reason")
    finally:
        stack.api(
            "PATCH", f"/api/providers/{pid}", json={"play_mode": "auto", "stream_profile": None}
        )


def test_a_bad_profile_command_is_refused(ready: Ready) -> None:
    stack = ready.stack
    bad = [{"name": "mine", "command": "ffmpeg -i {url} -headers {cookie} -f mpegts pipe:1"}]
    resp = stack.http.patch("/api/settings", json={"playback": {"stream_profiles": bad}})
    assert resp.status_code == 422, resp.text
    message = resp.json()["error"]["message"]
    assert "unknown placeholder {cookie}" in message and "\n" not in message
    names = [p["name"] for p in stack.api("GET", "/api/stream-profiles")]
    assert "mine" not in names and "ffmpeg-remux" in names


def test_xtream_clients_see_the_archives_the_m3u_announces(ready: Ready) -> None:
    stack = ready.stack
    creds = stack.api("GET", "/api/auth/xtream")
    params = {
        "username": creds["username"],
        "password": creds["password"],
        "action": "get_live_streams",
    }
    items = httpx.get(f"{stack.url}/player_api.php", params=params, timeout=60).json()
    archived = {i["stream_id"]: i["tv_archive_duration"] for i in items if i["tv_archive"] == 1}
    announced = {
        int(urlsplit(url).path.rstrip("/").split("/")[-1]): attrs.get("catchup-days")
        for attrs, url in _m3u_entries(ready.m3u)
        if attrs.get("catchup-source")
    }
    assert archived and set(archived) == set(announced), (archived, announced)
    for channel_id, days in announced.items():
        assert archived[channel_id] == (int(days) if days else 1), channel_id
