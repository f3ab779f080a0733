"""Proxy mode fails over mid-stream, for every kind of upstream: the first stream of a channel
dies while a player (ffmpeg) is watching, strmline switches to the next, and the player keeps
decoding frames without reconnecting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Ready
from tests.e2e.harness import decode_frames
from tests.e2e.test_flow import _m3u_entries

# The demo clip runs at 25 fps: 400 frames are 16 s of video, the fault comes at about 5 s.
FRAMES = 400


def _fake_stream(url: str) -> tuple[str, int]:
    """The fake provider's account and stream id of a stream URL (…/<account>/<pw>/<id>.ext)."""
    parts = urlsplit(url).path.strip("/").split("/")
    return parts[-3], int(parts[-1].split(".")[0])


def _kind(stream: dict[str, Any]) -> str:
    return "hls" if urlsplit(stream["url"]).path.endswith(".m3u8") else "ts"


# Channels these tests played: each case takes a channel no other case (or test) has touched,
# so no stream of it carries a failure another failover recorded.
_USED: set[int] = set()


def _fresh_channel(ready: Ready, kind: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A channel of healthy streams, not played before, with a ``kind`` stream from the fake
    provider's /live or /hls paths and another stream to fail over to; the play URL and that
    stream (pinned first by the caller)."""
    for _, url in reversed(_m3u_entries(ready.m3u)):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        if channel_id in _USED:
            continue
        detail = ready.stack.api("GET", f"/api/channels/{channel_id}")
        streams = detail["streams"]
        healthy = all(s["active"] and not s.get("failure_reason") for s in streams)
        wanted = [s for s in streams if _kind(s) == kind and "/cdn/" not in s["url"]]
        if len(streams) >= 2 and healthy and wanted and not any(s["pinned"] for s in streams):
            _USED.add(channel_id)
            return detail, url, wanted[0]
    raise AssertionError(f"no unplayed channel with a healthy {kind} stream and a second stream")


def _viewer(ready: Ready, channel_id: int) -> dict[str, Any] | None:
    items = ready.stack.api("GET", "/api/streams/active")["items"]
    mine = [v for v in items if v["channel_id"] == channel_id]
    return mine[0] if mine else None


@pytest.mark.parametrize("upstream", ["ts", "hls", "hls-aes128"])
def test_proxy_fails_over_mid_stream(ready: Ready, upstream: str) -> None:
    stack = ready.stack
    # Another test's players would hold the provider's connections and move the hub off the
    # pinned stream before any fault.
    stack.wait_no_viewers()
    detail, url, first = _fresh_channel(ready, "ts" if upstream == "ts" else "hls")
    stack.api("POST", f"/api/streams/{first['id']}/pin", json={"rank": 1})
    account, fake_id = _fake_stream(first["url"])
    fault = {"stream_id": fake_id, "account": account}
    if upstream == "ts":
        # A TS response in progress ignores new faults: this one ends after ~5 s of media.
        stack.provider.control(
            "stream-fault", {**fault, "kind": "die_after", "after_bytes": 600_000, "times": 1}
        )
    elif upstream == "hls-aes128":
        stack.provider.control("stream-fault", {**fault, "kind": "aes128"})
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        with ThreadPoolExecutor(1) as pool:
            decoding = pool.submit(decode_frames, url, frames=FRAMES, timeout=120)
            watching = stack.wait_for(
                "the viewer on the first stream",
                lambda: _viewer(ready, detail["id"]),
                timeout=30,
            )
            assert watching["stream_id"] == first["id"], (watching, detail["streams"])
            if upstream != "ts":
                # HLS is fetched segment by segment: the next requests of it fail from now on.
                stack.provider.control("stream-fault", {**fault, "kind": "dead"})
            switched = stack.wait_for(
                "the switch to the next stream",
                # Counted when the stream fails; the next one is current once it plays.
                lambda: (
                    (v := _viewer(ready, detail["id"]))
                    and v["switches"] >= 1
                    and v["stream_id"] not in (None, first["id"])
                    and v
                ),
                timeout=60,
            )
            assert switched["stream_id"] != first["id"], switched
            # The same player, never reconnected, decodes every frame it asked for.
            assert decoding.result(timeout=150) >= FRAMES
    finally:
        stack.provider.control("clear", {})
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
        stack.api("POST", f"/api/streams/{first['id']}/pin", json={"rank": None})
