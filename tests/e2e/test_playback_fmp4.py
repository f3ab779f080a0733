"""Proxy mode of the running product with an fMP4 (CMAF) HLS upstream: strmline remuxes it to
MPEG-TS through ffmpeg and a player decodes frames."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from tests.e2e.conftest import Ready
from tests.e2e.harness import decode_frames
from tests.e2e.test_playback import _hls_first_channel


def test_proxy_plays_an_fmp4_hls_upstream(ready: Ready) -> None:
    stack = ready.stack
    detail, url, pinned = _hls_first_channel(ready)
    best = detail["streams"][0]
    parts = urlsplit(best["url"]).path.split("/")  # /live/<account>/<password>/<id>.m3u8
    account, fake_id = parts[2], int(parts[-1].split(".")[0])
    stack.provider.control(
        "stream-fault", {"stream_id": fake_id, "kind": "fmp4", "account": account}
    )
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        with ThreadPoolExecutor(1) as pool:
            decoding = pool.submit(decode_frames, url, frames=150)
            playing = stack.wait_for(
                "the viewer to be listed",
                lambda: [
                    v
                    for v in stack.api("GET", "/api/streams/active")["items"]
                    if v["channel_id"] == detail["id"]
                ],
                timeout=30,
            )
            decoding.result(timeout=90)
        assert playing[0]["stream_id"] == best["id"], playing  # the fMP4 stream, not the next
        after = stack.api("GET", f"/api/channels/{detail['id']}")
        # Played from the fMP4 stream itself, not failed over: still first, nothing recorded.
        assert after["streams"][0]["id"] == best["id"], after["streams"]
        assert after["streams"][0].get("failure_reason") in (None, ""), after["streams"][0]
    finally:
        stack.provider.control("clear", {})
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
        if pinned is not None:
            stack.api("POST", f"/api/streams/{pinned}/pin", json={"rank": None})
