"""An HLS upstream read as one continuous MPEG-TS: master → variant → media playlist → segments.

The hub opens a stream URL; when the first bytes are a playlist it hands them to
:class:`HlsReader`, which picks a variant by the quality setting, polls the media playlist about
once per target duration (half of it when nothing was new, as RFC 8216 asks), and fetches the new
segments in order with a bounded number in flight. AES-128 segments are decrypted (the key is
fetched once per URI). Every request sends the stream's headers (User-Agent, Referer, Origin,
Cookie). fMP4 (CMAF) segments are handed on as they come, each preceded by its init section
when that changes, for the hub to remux into MPEG-TS through ffmpeg
(:mod:`~strmline.playback.remux`). What cannot be played raises :class:`UpstreamFailed` with a
reason; what strmline cannot read here (SAMPLE-AES, fMP4 without ffmpeg installed) raises
:class:`Unsupported`, which says nothing about the stream's health and is not recorded as a
failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator

import httpx

from strmline.formats.media import (
    HlsKey,
    MediaPlaylist,
    Segment,
    choose_variant,
    is_fmp4,
    is_playlist,
    parse_playlist,
    segment_iv,
    sniff,
)
from strmline.providers.http import describe_error

__all__ = [
    "LIVE_EDGE_SEGMENTS",
    "HlsReader",
    "Unsupported",
    "UpstreamFailed",
    "decrypt_aes128",
]

log = logging.getLogger(__name__)

LIVE_EDGE_SEGMENTS = 2  # a live stream starts this many segments before the newest one
MAX_PLAYLIST_BYTES = 2 << 20
MAX_SEGMENT_BYTES = 64 << 20
MAX_SEGMENT_ERRORS = 2  # consecutive segments that fail before the stream counts as failed


class UpstreamFailed(Exception):
    """The upstream cannot be played; ``reason`` says why (recorded against the stream)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unsupported(UpstreamFailed):
    """A format the proxy does not read: the next stream is tried, nothing is recorded."""


def decrypt_aes128(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-128-CBC with PKCS#7 padding, as HLS encrypts whole segments."""
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise Unsupported("AES-128 HLS needs the cryptography package") from exc
    if len(key) != 16:
        raise UpstreamFailed(f"AES-128 key is {len(key)} bytes, not 16")
    if not data or len(data) % 16:
        raise UpstreamFailed("AES-128 segment is not a whole number of blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if 1 <= pad <= 16 and plain.endswith(bytes([pad]) * pad):
        return plain[:-pad]
    return plain  # some packagers do not pad: whole TS packets need none


class HlsReader:
    """One HLS upstream of a hub; iterate :meth:`segments` for decrypted TS segments in order."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        headers: dict[str, str],
        *,
        quality: str = "best",
        prefetch: int = 2,
        stall_seconds: float = 8.0,
        ffmpeg: str | None = None,
    ) -> None:
        self.http = http
        self.ffmpeg = ffmpeg  # remuxes fMP4 segments; None: they cannot be played
        self.fmp4 = False  # the segments are fMP4 (init section + fragments), not MPEG-TS
        self._init_url: str | None = None  # the init section last handed on
        self.headers = headers
        self.quality = quality
        self.prefetch = max(1, prefetch)
        self.stall_seconds = stall_seconds
        self.variant_url: str | None = None
        self.segments_read = 0
        self._keys: dict[str, asyncio.Task[tuple[bytes, str]]] = {}

    # -- requests -----------------------------------------------------------------------------

    async def _get(self, url: str, what: str, limit: int) -> tuple[bytes, str]:
        """A whole (bounded) response body and the final URL; UpstreamFailed on any error."""
        try:
            async with self.http.stream("GET", url, headers=self.headers) as response:
                if response.status_code >= 400:
                    raise UpstreamFailed(f"{what}: HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise UpstreamFailed(f"{what}: larger than {limit >> 20} MiB")
                return bytes(body), str(response.url)
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"{what}: {describe_error(exc)}") from exc

    async def _playlist(self, url: str) -> MediaPlaylist:
        body, final = await self._get(url, "playlist", MAX_PLAYLIST_BYTES)
        if not is_playlist(body[:64]):
            raise UpstreamFailed(f"playlist: not an HLS playlist ({sniff(None, body[:512])})")
        return parse_playlist(body.decode("utf-8", "replace"), final)

    async def _init(self, segment: Segment) -> bytes:
        """The init section to hand on before this segment: when it is new (the remuxer reads
        the tracks' parameters from it), else nothing."""
        if segment.init is None or segment.init == self._init_url:
            return b""
        data, _ = await self._get(segment.init, "init section", MAX_PLAYLIST_BYTES)
        if not is_fmp4(data[:16]):
            raise UpstreamFailed(f"init section: not fMP4 ({sniff(None, data[:512])})")
        self._init_url = segment.init
        self.fmp4 = True
        return data

    async def _key(self, key: HlsKey) -> bytes:
        if key.uri is None:
            raise UpstreamFailed("AES-128 key without a URI")
        # One request per key URI, however many segments are in flight: the task is shared.
        task = self._keys.get(key.uri)
        if task is None or (task.done() and task.exception() is not None):
            task = self._keys[key.uri] = asyncio.ensure_future(self._get(key.uri, "key", 4096))
        data, _ = await asyncio.shield(task)
        return data

    async def _segment(self, segment: Segment) -> bytes:
        key = segment.key
        if key is not None and key.method != "AES-128":
            raise Unsupported(f"{key.method} encrypted HLS is not supported")
        if segment.init is not None and self.ffmpeg is None:
            raise Unsupported(
                "fMP4 (CMAF) HLS segments are remuxed to MPEG-TS with ffmpeg, which is not installed"
            )
        data, _ = await self._get(segment.url, "segment", MAX_SEGMENT_BYTES)
        if key is not None:
            data = decrypt_aes128(data, await self._key(key), segment_iv(key, segment.sequence))
        if segment.init is not None:
            if not is_fmp4(data[:16]):
                raise UpstreamFailed(f"segment: not fMP4 ({sniff(None, data[:1024])})")
            return data
        kind = sniff(None, data[:1024])
        if kind != "ts":
            if is_fmp4(data[:16]):
                raise Unsupported("fMP4 segment without an #EXT-X-MAP init section")
            raise UpstreamFailed(f"segment: not MPEG-TS ({kind})")
        return data

    # -- the loop -----------------------------------------------------------------------------

    async def open(self, url: str, body: bytes) -> MediaPlaylist:
        """The media playlist behind the first response (a master's chosen variant)."""
        playlist = parse_playlist(body.decode("utf-8", "replace"), url)
        if playlist.is_master:
            variant = choose_variant(playlist.variants, self.quality)
            assert variant is not None
            self.variant_url = variant.url
            playlist = await self._playlist(variant.url)
            if playlist.is_master:
                raise UpstreamFailed("playlist: a master playlist where a media playlist was due")
        else:
            self.variant_url = url
        if not playlist.items and playlist.ended:
            raise UpstreamFailed("playlist: no segments")
        return playlist

    async def segments(self, playlist: MediaPlaylist) -> AsyncGenerator[bytes, None]:
        """Decrypted segments in order, forever (live) or to the end (VOD playlists): MPEG-TS,
        or fMP4 with the init section in front of the first (and of any whose init changed)."""
        assert self.variant_url is not None
        url = self.variant_url
        next_seq: int | None = None
        errors = 0
        last_new = time.monotonic()
        inflight: deque[tuple[Segment, asyncio.Task[bytes]]] = deque()
        try:
            while True:
                polled = time.monotonic()
                target = playlist.target_duration or 2.0
                items = playlist.items
                if next_seq is None:
                    first = 0 if playlist.ended else max(0, len(items) - LIVE_EDGE_SEGMENTS)
                    next_seq = items[first].sequence if items else playlist.media_sequence
                elif items and next_seq < items[0].sequence:
                    log.info(
                        "HLS reader fell behind the window by %s", items[0].sequence - next_seq
                    )
                    next_seq = items[0].sequence
                new = [s for s in items if s.sequence >= next_seq]
                if new:
                    last_new = polled
                    next_seq = new[-1].sequence + 1
                pending = deque(new)
                while pending or inflight:
                    while pending and len(inflight) < self.prefetch:
                        item = pending.popleft()
                        inflight.append((item, asyncio.ensure_future(self._segment(item))))
                    item, task = inflight.popleft()
                    try:
                        data = await task
                        data = await self._init(item) + data
                    except Unsupported:
                        raise
                    except UpstreamFailed as exc:
                        errors += 1
                        if errors >= MAX_SEGMENT_ERRORS or self.segments_read == 0:
                            raise
                        log.info("HLS segment skipped: %s", exc.reason)
                        continue
                    errors = 0
                    self.segments_read += 1
                    yield data
                if playlist.ended:
                    raise UpstreamFailed("upstream ended the stream")
                silent = time.monotonic() - last_new
                if silent > max(self.stall_seconds, 3 * target):
                    raise UpstreamFailed(f"stalled: no new HLS segment for {silent:.0f} s")
                wait = (target if new else target / 2) - (time.monotonic() - polled)
                if wait > 0:
                    await asyncio.sleep(wait)
                playlist = await self._refresh(url, last_new, target)
        finally:
            for key in self._keys.values():
                key.cancel()
            for _, task in inflight:
                task.cancel()
            for _, task in inflight:
                with contextlib.suppress(BaseException):
                    await task

    async def _refresh(self, url: str, last_new: float, target: float) -> MediaPlaylist:
        """The media playlist again; a 5xx or a network error is retried until the stall limit,
        a 4xx (the stream is gone or refused) ends the stream at once."""
        while True:
            try:
                return await self._playlist(url)
            except UpstreamFailed as exc:
                silent = time.monotonic() - last_new
                hard = " HTTP 4" in exc.reason and "HTTP 429" not in exc.reason
                if hard or silent > max(self.stall_seconds, 3 * target):
                    raise
                log.info("HLS playlist refresh failed (%s); retrying", exc.reason)
                await asyncio.sleep(min(1.0, target / 2))
