"""What is this response? MPEG-TS sync detection, HLS playlists and content sniffing (pure).

Health checks and the playback proxy read a few kilobytes of a stream and must decide whether it
is video. Everything here takes bytes or text and returns plain values; the I/O is elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

__all__ = [
    "SYNC",
    "TS_PACKET",
    "MediaPlaylist",
    "TsAligner",
    "Variant",
    "best_variant",
    "find_pat",
    "find_ts_sync",
    "is_playlist",
    "parse_playlist",
    "sniff",
]

TS_PACKET = 188
SYNC = 0x47
# Three sync bytes 188 bytes apart: one 0x47 is common in any binary data, three in a row are not.
SYNC_PACKETS = 3

Kind = Literal["ts", "hls", "html", "json", "text", "binary", "empty"]


def find_ts_sync(data: bytes | bytearray | memoryview, packets: int = SYNC_PACKETS) -> int | None:
    """Offset of the first byte that starts ``packets`` consecutive TS packets, or None."""
    view = memoryview(data)
    need = TS_PACKET * (packets - 1)
    limit = len(view) - need
    start = 0
    while start < min(limit, TS_PACKET):
        pos = bytes(view[start:TS_PACKET]).find(b"\x47")
        if pos < 0:
            return None
        pos += start
        if pos >= limit:
            return None
        if all(view[pos + i * TS_PACKET] == SYNC for i in range(packets)):
            return pos
        start = pos + 1
    return None


def find_pat(data: bytes | bytearray | memoryview, start: int = 0) -> int | None:
    """Offset of the first packet-aligned PAT (PID 0, payload start) at or after ``start``.

    A late joiner is best started there: a decoder needs the PAT and PMT before anything else.
    ``data`` must be packet aligned from offset 0.
    """
    view = memoryview(data)
    for pos in range(start - start % TS_PACKET, len(view) - TS_PACKET + 1, TS_PACKET):
        if view[pos] == SYNC and view[pos + 1] & 0x5F == 0x40 and view[pos + 2] == 0:
            return pos
    return None


class TsAligner:
    """Turns arbitrary chunks into whole, aligned 188-byte packets, resyncing over garbage.

    ``feed`` returns bytes whose length is a multiple of 188 and in which every packet starts
    with 0x47; a partial packet waits for the next chunk. After garbage, sync is only trusted
    again once two sync bytes 188 apart confirm it. ``reset`` forgets the partial packet (a new
    upstream starts fresh).
    """

    __slots__ = ("_buf", "_synced", "dropped")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._synced = False
        self.dropped = 0  # bytes discarded while looking for sync

    def reset(self) -> None:
        self._buf.clear()
        self._synced = False

    def feed(self, chunk: bytes) -> bytes:
        buf = self._buf
        buf += chunk
        out = bytearray()
        pos = 0
        size = len(buf)
        while size - pos >= TS_PACKET:
            if buf[pos] == SYNC and self._synced:
                n = (size - pos) // TS_PACKET
                syncs = buf[pos : pos + n * TS_PACKET : TS_PACKET]
                good = n if syncs.count(SYNC) == n else _run(syncs)
                end = pos + good * TS_PACKET
                out += buf[pos:end]
                pos = end
                if good < n:
                    self._synced = False
                continue
            if buf[pos] == SYNC:
                if size - pos < 2 * TS_PACKET:
                    break  # wait for the confirming packet
                if buf[pos + TS_PACKET] == SYNC:
                    self._synced = True
                    continue
            self._synced = False  # lost: every packet from here must be confirmed again
            nxt = buf.find(b"\x47", pos + 1)
            if nxt < 0:
                self.dropped += size - pos
                pos = size
                break
            self.dropped += nxt - pos
            pos = nxt
        del buf[:pos]
        return bytes(out)


def _run(syncs: bytes | bytearray) -> int:
    """How many leading bytes of ``syncs`` are sync bytes."""
    for i, b in enumerate(syncs):
        if b != SYNC:
            return i
    return len(syncs)


# ---- sniffing ---------------------------------------------------------------------------------

_HTML_START = (b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<br", b"<b>", b"<")


def is_playlist(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


def sniff(content_type: str | None, head: bytes) -> Kind:
    """What the first bytes of a response are; bytes win over a lying Content-Type."""
    if not head:
        return "empty"
    if find_ts_sync(head) is not None or (len(head) < 3 * TS_PACKET and head[0] == SYNC):
        return "ts"
    if is_playlist(head):
        return "hls"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if text.startswith(_HTML_START):
        return "html"
    if text.startswith((b"{", b"[")):
        return "json"
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if ctype.endswith("json"):
        return "json"
    if ctype.startswith("text/"):
        return "text"
    return "binary"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower() or "no content type"


# ---- HLS --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    url: str
    bandwidth: int
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class MediaPlaylist:
    variants: tuple[Variant, ...]  # a master playlist has these …
    segments: tuple[str, ...]  # … a media playlist these (absolute URLs)
    target_duration: float
    media_sequence: int
    ended: bool

    @property
    def is_master(self) -> bool:
        return bool(self.variants)


_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def _attrs(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_playlist(text: str, base_url: str) -> MediaPlaylist:
    """A master or media playlist; relative URIs resolved against ``base_url``."""
    variants: list[Variant] = []
    segments: list[str] = []
    target = 0.0
    sequence = 0
    ended = False
    pending: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            tag, _, value = line.partition(":")
            if tag == "#EXT-X-STREAM-INF":
                pending = _attrs(value)
            elif tag == "#EXT-X-TARGETDURATION":
                try:
                    target = float(value)
                except ValueError:
                    target = 0.0
            elif tag == "#EXT-X-MEDIA-SEQUENCE":
                sequence = _int(value) or 0
            elif tag == "#EXT-X-ENDLIST":
                ended = True
            continue
        url = urljoin(base_url, line)
        if pending is not None:
            width = height = None
            res = pending.get("RESOLUTION", "")
            if "x" in res:
                w, _, h = res.lower().partition("x")
                width, height = _int(w), _int(h)
            bandwidth = _int(pending.get("BANDWIDTH")) or _int(pending.get("AVERAGE-BANDWIDTH"))
            variants.append(Variant(url, bandwidth or 0, width, height))
            pending = None
        else:
            segments.append(url)
    return MediaPlaylist(tuple(variants), tuple(segments), target, sequence, ended)


def best_variant(variants: tuple[Variant, ...] | list[Variant]) -> Variant | None:
    """The highest resolution, then the highest bandwidth."""
    if not variants:
        return None
    return max(variants, key=lambda v: ((v.height or 0) * (v.width or 0), v.bandwidth))
