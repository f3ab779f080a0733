"""Proxy mode of the running product with HLS upstreams: what a player gets through /play."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.e2e.conftest import Ready
from tests.e2e.harness import decode_frames
from tests.e2e.test_flow import _m3u_entries


def _is_hls(stream: dict[str, Any]) -> bool:
    return urlsplit(stream["url"]).path.endswith(".m3u8")


def _hls_first_channel(ready: Ready) -> tuple[dict[str, Any], str, int | None]:
    """A channel whose best stream is HLS (the Xtream m3u8 provider's); when the ranking put a
    TS stream first everywhere, the admin pins an HLS stream first, as a user would. Returns the
    detail, the play URL and the stream id pinned (None when nothing was pinned)."""
    stack = ready.stack
    fallback: tuple[dict[str, Any], str, dict[str, Any]] | None = None
    for _, url in reversed(_m3u_entries(ready.m3u)):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        detail = stack.api("GET", f"/api/channels/{channel_id}")
        streams = detail["streams"]
        if streams and _is_hls(streams[0]):
            return detail, url, None
        hls = [s for s in streams if _is_hls(s)]
        if hls and fallback is None:
            fallback = (detail, url, hls[0])
    assert fallback is not None, "no channel has an HLS stream"
    detail, url, stream = fallback
    detail = stack.api("POST", f"/api/streams/{stream['id']}/pin", json={"rank": 1})
    assert _is_hls(detail["streams"][0]), detail["streams"]
    return detail, url, stream["id"]


def test_proxy_plays_a_channel_whose_best_stream_is_hls(ready: Ready) -> None:
    stack = ready.stack
    detail, url, pinned = _hls_first_channel(ready)
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        decode_frames(url, frames=50)
        after = stack.api("GET", f"/api/channels/{detail['id']}")
        best = after["streams"][0]
        # Played, not refused: the HLS stream is still first and not marked failed.
        assert _is_hls(best) and best["id"] == detail["streams"][0]["id"], after["streams"]
        assert best.get("failure_reason") in (None, ""), best
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
        if pinned is not None:
            stack.api("POST", f"/api/streams/{pinned}/pin", json={"rank": None})
