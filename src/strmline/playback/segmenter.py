"""A channel as live HLS for browsers: the hub's MPEG-TS cut into segments at keyframes.

The web UI's player cannot read an endless TS response, and cannot fetch a provider's HLS
either (CORS, credentials in the URL, headers only strmline knows). So it reads HLS that strmline
makes from the same hub every proxied viewer shares: one upstream connection, the provider's
headers, AES-128 and fMP4 handled, failover without the player noticing beyond a discontinuity.

Each segment starts with the PAT and PMT and a keyframe, so it decodes on its own; its duration
comes from the video PTS (wall time when a stream carries none). A handful of the newest
segments are kept in memory. The segmenter is one viewer of the hub, started by the first
playlist request and stopped when no playlist was asked for a while, which gives back the
connection and the user's stream slot.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from strmline.formats.hls_out import SegmentInfo, pes_pts, pts_seconds
from strmline.formats.media import TS_PACKET
from strmline.playback.gop import GopCache

if TYPE_CHECKING:
    from strmline.playback.registry import ProxyRegistry, Subscription

__all__ = ["HlsOutputs", "Segmenter"]

TARGET_SECONDS = 2.0
KEEP_SEGMENTS = 8
# A player asks for the playlist every target duration; after this long nobody is watching,
# and the provider connection is given back.
IDLE_SECONDS = 15.0
# Without a keyframe this far in, a segment is cut anyway: a player waits no longer.
MAX_SEGMENT_BYTES = 16 << 20


class Segmenter:
    """One channel's live HLS segments, fed by one hub subscription."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        target: float = TARGET_SECONDS,
        keep: int = KEEP_SEGMENTS,
        idle: float = IDLE_SECONDS,
    ) -> None:
        self._sub = subscription
        self._target = target
        self._idle = idle
        self._gop = GopCache()
        self._segments: deque[tuple[SegmentInfo, bytes]] = deque(maxlen=keep)
        self._current: bytearray | None = None  # None: waiting for the first keyframe
        self._start_pts: int | None = None
        self._start_wall = 0.0
        self._sequence = 0
        self._switches = subscription.hub.switches
        self._discontinuity = False
        self.last_request = time.monotonic()
        self.ready = asyncio.Event()  # set at the first segment, or when the stream ends
        self.done = False

    @property
    def channel_id(self) -> int:
        return self._sub.hub.channel_id

    def touch(self) -> None:
        self.last_request = time.monotonic()

    def infos(self) -> list[SegmentInfo]:
        return [info for info, _ in self._segments]

    def segment(self, sequence: int) -> bytes | None:
        for info, data in self._segments:
            if info.sequence == sequence:
                return data
        return None

    async def run(self) -> None:
        """Segment until the hub ends or nobody asked for the playlist for a while."""
        watchdog = asyncio.create_task(self._watch(asyncio.current_task()))
        try:
            async for chunk in self._sub.packets():
                self._take(chunk)
        except asyncio.CancelledError:
            pass  # idle: leaving the hub happened in packets()' cleanup
        finally:
            watchdog.cancel()
            self.done = True
            self.ready.set()

    async def _watch(self, task: asyncio.Task[None] | None) -> None:
        while task is not None and not task.done():
            await asyncio.sleep(min(1.0, self._idle / 4))
            if time.monotonic() - self.last_request > self._idle:
                task.cancel()
                return

    def _take(self, chunk: bytes) -> None:
        if self._sub.hub.switches != self._switches:
            # Failover: another upstream, other PIDs and timestamps. Close what we have; the
            # next segment starts at the new stream's first keyframe, marked discontinuous.
            self._switches = self._sub.hub.switches
            self._gop.reset()
            self._finish(time.monotonic())
            self._current = None
            self._discontinuity = bool(self._segments)
        offset = self._gop.feed(chunk)
        now = time.monotonic()
        if offset is None:
            radio = not self._gop.knows_video and bool(self._gop.header())
            if self._current is None:
                if radio:  # no video to wait for: segments cut by time, at chunk boundaries
                    self._open(chunk, None, now)
                return
            if len(self._current) > MAX_SEGMENT_BYTES or (
                radio and now - self._start_wall >= self._target
            ):
                self._finish(now)
                self._open(chunk, None, now)
            else:
                self._current += chunk
            return
        pts = pes_pts(memoryview(chunk)[offset : offset + TS_PACKET])
        if self._current is None:
            self._open(chunk[offset:], pts, now)
            return
        if self._elapsed(pts, now) >= self._target:
            self._current += chunk[:offset]
            self._finish(now, pts)
            self._open(chunk[offset:], pts, now)
        else:
            self._current += chunk

    def _elapsed(self, pts: int | None, now: float) -> float:
        if pts is not None and self._start_pts is not None:
            return pts_seconds(self._start_pts, pts)
        return now - self._start_wall

    def _open(self, data: bytes, pts: int | None, now: float) -> None:
        self._current = bytearray(self._gop.header())
        self._current += data
        self._start_pts = pts
        self._start_wall = now

    def _finish(self, now: float, pts: int | None = None) -> None:
        if not self._current:
            return
        duration = self._elapsed(pts, now)
        if pts is None or not 0 < duration < 60:
            duration = now - self._start_wall  # no usable timestamps: wall time
        info = SegmentInfo(self._sequence, max(duration, 0.04), self._discontinuity)
        self._segments.append((info, bytes(self._current)))
        self._sequence += 1
        self._discontinuity = False
        self._current = None
        self.ready.set()


class HlsOutputs:
    """The segmenters of one API process, one per channel, shared by its browser viewers."""

    def __init__(self, registry: ProxyRegistry, *, idle: float = IDLE_SECONDS) -> None:
        self.registry = registry
        self._idle = idle
        self._by_channel: dict[int, Segmenter] = {}
        self._lock = asyncio.Lock()

    async def get(
        self,
        channel_id: int,
        user_id: int | None,
        *,
        user_agent: str | None = None,
        address: str | None = None,
    ) -> Segmenter:
        """The channel's running segmenter, started (joining its hub) when there is none.

        Raises what :meth:`ProxyRegistry.subscribe` raises when the channel cannot play."""
        async with self._lock:
            seg = self._by_channel.get(channel_id)
            if seg is None or seg.done:
                subscription = await self.registry.subscribe(
                    channel_id, user_id, user_agent=user_agent, address=address
                )
                seg = Segmenter(subscription, idle=self._idle)
                self._by_channel[channel_id] = seg
                self.registry.spawn(self._run(seg))
        seg.touch()
        return seg

    def running(self, channel_id: int) -> Segmenter | None:
        seg = self._by_channel.get(channel_id)
        return None if seg is None or (seg.done and not seg.infos()) else seg

    async def _run(self, seg: Segmenter) -> None:
        try:
            await seg.run()
        finally:
            if self._by_channel.get(seg.channel_id) is seg:
                del self._by_channel[seg.channel_id]

    @staticmethod
    async def first_segment(seg: Segmenter) -> bool:
        """Whether the first segment came (False: the stream ended before one was cut).

        Callers bound the wait with ``asyncio.timeout``."""
        await seg.ready.wait()
        return bool(seg.infos())
