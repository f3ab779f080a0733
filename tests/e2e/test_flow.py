"""A new user's whole path through the running product, and real clients reading what it serves.

The ``ready`` fixture (conftest.py) does what a user does in the UI, over HTTP: first-run setup, login, three
providers (M3U, Xtream with TS output, Xtream with HLS output), syncs, a health check, the guide
(imported by the scheduler, not by hand), movies and series, the .strm library. The tests then
hand the outputs to the programs people watch with: ffmpeg decodes video through /play (redirect
and proxy), through the HDHomeRun lineup and through .strm files; tv_validate_file reads the guide.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Ready
from tests.e2e.harness import TV_VALIDATE, decode_frames


def _m3u_entries(text: str) -> list[tuple[dict[str, str], str]]:
    entries: list[tuple[dict[str, str], str]] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("#EXTINF") and i + 1 < len(lines):
            attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', line))
            entries.append((attrs, lines[i + 1]))
    return entries


def test_every_job_succeeds_with_a_summary(ready: Ready) -> None:
    for name, job in ready.jobs.items():
        assert job["state"] == "succeeded", (name, job)
    assert "checked" in ready.jobs["health"]["message"], ready.jobs["health"]
    counts = ready.stack.api("GET", "/api/dashboard")
    assert counts, "dashboard answers"


def test_guide_validates_and_joins_the_playlist(ready: Ready, tmp_path: Path) -> None:
    stack = ready.stack
    resp = stack.http.get("/output/xmltv", params={"token": stack.token})
    assert resp.status_code == 200
    assert "<programme" in resp.text, "the guide has programmes"
    guide = tmp_path / "guide.xml"
    guide.write_bytes(resp.content)
    if TV_VALIDATE is None:
        pytest.skip("tv_validate_file (xmltv-util) not installed")
    # The DTD from Debian's package: the validator would otherwise download it.
    env = {**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"}
    done = subprocess.run(
        [TV_VALIDATE, str(guide)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    channel_ids = set(re.findall(r'<channel id="([^"]+)"', resp.text))
    programme_ids = set(re.findall(r'<programme[^>]* channel="([^"]+)"', resp.text))
    entries = _m3u_entries(ready.m3u)
    tvg_ids = {attrs.get("tvg-id") for attrs, _ in entries} - {None, ""}
    assert tvg_ids, "the playlist carries tvg-ids"
    assert tvg_ids & programme_ids, "the playlist's tvg-ids have programmes in the guide"
    # Every channel with a guide carries that guide's id. One without keeps a public id (the
    # provider's, or the catalogue's, which lines up with public guides) or gets strmline.N.
    unjoined = []
    for attrs, url in entries:
        if attrs.get("tvg-id") in channel_ids:
            continue
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = stack.api("GET", f"/api/channels/{channel_id}")
        if detail["epg_channel_id"] is not None:
            unjoined.append((attrs.get("tvg-id"), detail["name"]))
    assert not unjoined, f"guided channels whose tvg-id is not in the guide: {unjoined[:5]}"


def _ts_channel(ready: Ready) -> tuple[dict[str, str], str]:
    """A playlist entry whose best stream is TS (HLS proxying is the playback issue's)."""
    stack = ready.stack
    for attrs, url in _m3u_entries(ready.m3u):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = stack.api("GET", f"/api/channels/{channel_id}")
        if detail["streams"] and not urlsplit(detail["streams"][0]["url"]).path.endswith(".m3u8"):
            return attrs, url
    raise AssertionError("no channel with a TS stream first")


def test_play_redirect_decodes_video(ready: Ready) -> None:
    _, url = _ts_channel(ready)
    decode_frames(url)


def test_play_proxy_decodes_video(ready: Ready) -> None:
    stack = ready.stack
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        _, url = _ts_channel(ready)
        decode_frames(url)
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})


def test_hdhomerun_lineup_plays(ready: Ready) -> None:
    stack = ready.stack
    base = f"/hdhr/{stack.token}"
    discover = stack.api("GET", f"{base}/discover.json")
    assert discover["LineupURL"].endswith("/lineup.json")
    lineup = stack.api("GET", f"{base}/lineup.json")
    assert lineup and all({"GuideNumber", "GuideName", "URL"} <= set(c) for c in lineup)
    numbers = [c["GuideNumber"] for c in lineup]
    assert len(set(numbers)) == len(numbers), "guide numbers are unique"
    _, play_url = _ts_channel(ready)
    channel_path = urlsplit(play_url).path
    match = next(c for c in lineup if urlsplit(c["URL"]).path == channel_path)
    assert match["URL"].startswith(stack.url), "the tuner URL points at this server"
    decode_frames(match["URL"])


def test_strm_files_point_at_this_server_and_play(ready: Ready) -> None:
    stack = ready.stack
    root = stack.data_dir / "strm"
    movies = sorted(root.rglob("*.strm"))
    assert movies, f"no .strm files under {root}"
    urls = [p.read_text().strip() for p in movies]
    assert all(u.startswith(stack.url + "/play/") for u in urls), urls[:3]
    movie = next(p for p in movies if "/play/movie/" in p.read_text())
    decode_frames(movie.read_text().strip())
    episode = next(p for p in movies if "/play/episode/" in p.read_text())
    decode_frames(episode.read_text().strip(), frames=25)


def _channel_with_two_ts_streams(ready: Ready, skip: int = 0) -> dict[str, Any]:
    stack = ready.stack
    seen = 0
    for _, url in _m3u_entries(ready.m3u):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = stack.api("GET", f"/api/channels/{channel_id}")
        ts = [s for s in detail["streams"] if not urlsplit(s["url"]).path.endswith(".m3u8")]
        if len(ts) >= 2 and detail["streams"][0]["id"] == ts[0]["id"]:
            if seen == skip:
                return {**detail, "play_url": url}
            seen += 1
    raise AssertionError("no channel with two TS streams")


def _kill_first_stream(ready: Ready, channel: dict[str, Any]) -> None:
    # Stream URLs are /live/<account>/<password>/<id>.ts at the fake provider.
    parts = urlsplit(channel["streams"][0]["url"]).path.strip("/").split("/")
    account, stream_id = parts[1], int(parts[-1].split(".")[0])
    ready.stack.provider.control(
        "stream-fault", {"stream_id": stream_id, "kind": "dead", "account": account}
    )


@pytest.mark.parametrize("mode", ["redirect", "proxy"])
def test_dead_first_stream_still_plays(ready: Ready, mode: str) -> None:
    stack = ready.stack
    # A channel no other test has tuned, so nothing remembers its first stream as good.
    channel = _channel_with_two_ts_streams(ready, skip=1 if mode == "redirect" else 2)
    _kill_first_stream(ready, channel)
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": mode}})
    try:
        decode_frames(channel["play_url"])
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
        stack.provider.control("clear", {})


def test_clients_get_head_and_clear_404s(ready: Ready) -> None:
    stack = ready.stack
    token = stack.token
    for path in (f"/output/m3u?token={token}", f"/output/xmltv?token={token}",
                 f"/hdhr/{token}/discover.json", f"/hdhr/{token}/lineup.json"):  # fmt: skip
        head = stack.http.head(path)
        assert head.status_code == 200 and head.content == b"", (path, head.status_code)
    # Paths that tuner clients probe, which strmline does not serve at the root.
    for path in ("/discover.json", "/lineup.json"):
        resp = stack.http.get(path, headers={"Accept": "*/*"})
        assert resp.status_code == 404, (path, resp.status_code)
        assert resp.headers["content-type"].startswith("application/json"), path
    # Xtream paths with wrong credentials: JSON answers the way panels give them, never a page.
    for path, status in (("/player_api.php?username=a&password=b", 200), ("/get.php", 401),
                         ("/live/a/b/1.ts", 401)):  # fmt: skip
        resp = stack.http.get(path, headers={"Accept": "*/*"})
        assert resp.status_code == status, (path, resp.status_code)
        assert resp.headers["content-type"].startswith("application/json"), path
    assert stack.http.get("/api/docs").status_code == 200
    bad = stack.http.patch("/api/settings", json={"health": {"cron": "every day"}})
    assert bad.status_code == 422 and "health.cron" in bad.text, bad.text


def test_dashboard_counts_only_checked_streams_as_working(ready: Ready) -> None:
    counts = ready.stack.api("GET", "/api/dashboard")["counts"]
    assert counts["unchecked_streams"] == 0, "the health check reached every stream"
    assert 0 < counts["working_streams"] <= counts["streams"], counts


def test_server_logs_hold_no_tokens_or_leaked_tasks(ready: Ready) -> None:
    stack = ready.stack
    logs = "\n".join(p.log.read_text(errors="replace") for p in stack.procs)
    assert stack.token not in logs, "an API token reached a log"
    assert ready.stack.provider.accounts["globex"] not in logs, "a provider password reached a log"
    assert "Task was destroyed but it is pending" not in logs
    assert "Traceback" not in logs, logs[logs.find("Traceback") - 500 :][:3000]
