"""One upstream for one viewer (/play/stream/{id} and catch-up in proxy mode), against the fake
provider over real HTTP: TS copied, HLS read into TS, failures and limits answered up front."""

from __future__ import annotations

import pytest

from strmline.config import PlaybackSettings
from strmline.demo import FakeProviderServer
from strmline.formats.media import TS_PACKET
from strmline.playback.connections import ConnectionTracker
from strmline.playback.errors import ConnectionLimited, NoWorkingStream
from strmline.playback.single import SinglePipe, Upstream

pytestmark = pytest.mark.timeout(30)

OPTS = PlaybackSettings(stall_seconds=2.0, connect_timeout=2.0)


async def _read(pipe: SinglePipe, at_least: int) -> bytes:
    got = bytearray()
    body = pipe.body()
    async for chunk in body:
        got += chunk
        if len(got) >= at_least:
            break
    await body.aclose()  # as when the player goes away
    return bytes(got)


@pytest.mark.parametrize("ext", ["ts", "m3u8"])
async def test_plays_ts_and_hls_as_ts_and_frees_the_connection(
    fake_provider: FakeProviderServer, ext: str
) -> None:
    sid = sorted(fake_provider.account("globex").catalog.live)[0]
    tracker = ConnectionTracker()
    upstream = Upstream(7, fake_provider.stream_url(sid, "globex", ext=ext), limit=1)
    pipe = SinglePipe(upstream, OPTS, tracker)
    await pipe.open()
    assert tracker.usage(7)[0] == 1
    data = await _read(pipe, 20 * TS_PACKET)
    assert data[0] == 0x47 and data[TS_PACKET] == 0x47
    assert tracker.usage(7)[0] == 0


async def test_refusals_come_before_the_response(fake_provider: FakeProviderServer) -> None:
    dead, html = sorted(fake_provider.account("globex").catalog.live)[:2]
    fake_provider.faults.stream(dead, "dead")
    fake_provider.faults.stream(html, "html")
    tracker = ConnectionTracker()
    for sid, reason in ((dead, "HTTP 404"), (html, "not a media stream: text/html")):
        pipe = SinglePipe(Upstream(7, fake_provider.stream_url(sid, "globex")), OPTS, tracker)
        with pytest.raises(NoWorkingStream, match=reason):
            await pipe.open()
        assert tracker.usage(7)[0] == 0

    held = tracker.acquire(7, "view", 1)
    assert held is not None
    upstream = Upstream(7, fake_provider.stream_url(dead, "globex"), limit=1)
    with pytest.raises(ConnectionLimited):
        await SinglePipe(upstream, OPTS, tracker).open()
    held.release()
