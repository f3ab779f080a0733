"""HLS out for browsers: any channel, TS or HLS upstream, as a live HLS playlist of MPEG-TS
segments from strmline's own origin, read by a real HLS client (ffmpeg) and checked the way a
browser player relies on it (every segment starts with PAT/PMT and decodes on its own)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Ready
from tests.e2e.harness import FFMPEG, decode_frames
from tests.e2e.test_flow import _m3u_entries
from tests.e2e.test_playback import _hls_first_channel


@pytest.fixture(scope="module", autouse=True)
def _segmenters_gone(ready: Ready) -> Iterator[None]:
    """The live HLS these tests start lingers until its idle timeout; later tests count
    viewers and provider connections, so the module ends when it is gone."""
    yield
    ready.stack.wait_no_viewers(timeout=60)


def _hls_url(play_url: str) -> str:
    """``…/play/7?token=…`` → ``…/play/7/hls/index.m3u8?token=…``."""
    parts = urlsplit(play_url)
    return parts._replace(path=parts.path.rstrip("/") + "/hls/index.m3u8").geturl()


def _channels_by_upstream(ready: Ready) -> dict[str, tuple[dict[str, Any], str]]:
    """One channel whose best stream is TS and one whose best is HLS (when the demo has it)."""
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for _, url in _m3u_entries(ready.m3u):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = ready.stack.api("GET", f"/api/channels/{channel_id}")
        if not detail["streams"]:
            continue
        kind = "hls" if urlsplit(detail["streams"][0]["url"]).path.endswith(".m3u8") else "ts"
        found.setdefault(kind, (detail, url))
        if len(found) == 2:
            break
    return found


def _check_live_hls(detail: dict[str, Any], play_url: str) -> None:
    url = _hls_url(play_url)
    playlist = httpx.get(url, timeout=30)
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    lines = playlist.text.splitlines()
    assert lines[0] == "#EXTM3U" and any(x.startswith("#EXTINF:") for x in lines)
    segments = [x for x in lines if x and not x.startswith("#")]
    # Relative segment URLs carrying the viewer's token: nothing of the provider's.
    assert all(s.split("?")[0].endswith(".ts") and "token=" in s for s in segments)
    assert detail["streams"][0]["url"] not in playlist.text
    first = httpx.get(httpx.URL(url).join(segments[0]), timeout=30)
    assert first.status_code == 200 and first.headers["content-type"] == "video/mp2t"
    body = first.content
    assert body[0] == 0x47 and len(body) % 188 == 0
    assert ((body[1] & 0x1F) << 8 | body[2]) == 0, "a segment starts with the PAT"
    # ffmpeg, as an HLS client, decodes the live playlist.
    decode_frames(url, frames=50, timeout=90)


def test_a_browser_gets_live_hls_of_a_ts_upstream(ready: Ready) -> None:
    detail, play_url = _channels_by_upstream(ready)["ts"]
    _check_live_hls(detail, play_url)


def test_a_browser_gets_live_hls_of_an_hls_upstream(ready: Ready) -> None:
    detail, play_url, pinned = _hls_first_channel(ready)
    try:
        _check_live_hls(detail, play_url)
    finally:
        if pinned is not None:
            ready.stack.api("POST", f"/api/streams/{pinned}/pin", json={"rank": None})


def test_one_segment_decodes_on_its_own(ready: Ready, tmp_path: Any) -> None:
    """hls.js starts on any segment of the playlist: each must begin with a keyframe."""
    _, play_url = _channels_by_upstream(ready)["ts"]
    url = _hls_url(play_url)
    playlist = httpx.get(url, timeout=30).text
    last = [x for x in playlist.splitlines() if x and not x.startswith("#")][-1]
    data = httpx.get(httpx.URL(url).join(last), timeout=30).content
    path = tmp_path / "segment.ts"
    path.write_bytes(data)
    assert FFMPEG
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # No "non-existing PPS" or missing-reference errors: the segment starts on a keyframe.
    assert "PPS" not in done.stderr and "reference" not in done.stderr, done.stderr


def test_an_unknown_channel_or_segment_is_a_clear_404(ready: Ready) -> None:
    _, play_url = _channels_by_upstream(ready)["ts"]
    parts = urlsplit(play_url)
    missing = parts._replace(path="/play/999999/hls/index.m3u8").geturl()
    assert httpx.get(missing, timeout=30).status_code == 404
    gone = parts._replace(path=parts.path.rstrip("/") + "/hls/123456.ts").geturl()
    answer = httpx.get(gone, timeout=30)
    assert answer.status_code == 404 and "gone" in answer.json()["error"]["message"]
