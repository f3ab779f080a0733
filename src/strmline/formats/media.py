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
    "HlsKey",
    "MediaPlaylist",
    "Segment",
    "TsAligner",
    "Variant",
    "best_variant",
    "choose_variant",
    "find_pat",
    "find_ts_sync",
    "is_fmp4",
    "is_playlist",
    "keyframe_start",
    "parse_pat",
    "parse_playlist",
    "parse_pmt",
    "segment_iv",
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
class HlsKey:
    """An ``#EXT-X-KEY``: METHOD (NONE, AES-128, SAMPLE-AES…), key URI and explicit IV."""

    method: str
    uri: str | None
    iv: bytes | None


@dataclass(frozen=True, slots=True)
class Segment:
    """One media segment: absolute URL, media sequence number, duration, key and init section."""

    url: str
    sequence: int
    duration: float
    key: HlsKey | None = None  # None: not encrypted
    init: str | None = None  # #EXT-X-MAP URI (fMP4 / CMAF segments)


@dataclass(frozen=True, slots=True)
class MediaPlaylist:
    variants: tuple[Variant, ...]  # a master playlist has these …
    segments: tuple[str, ...]  # … a media playlist these (absolute URLs)
    target_duration: float
    media_sequence: int
    ended: bool
    items: tuple[Segment, ...] = ()  # the segments with their sequence numbers, keys and maps

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


def _iv(value: str | None) -> bytes | None:
    """An IV attribute (0x + 32 hex digits) as 16 bytes; None when absent or malformed."""
    if not value or not value.lower().startswith("0x"):
        return None
    digits = value[2:]
    if len(digits) > 32:
        return None
    try:
        return bytes.fromhex(digits.rjust(32, "0"))
    except ValueError:
        return None


def _key(value: str, base_url: str) -> HlsKey | None:
    attrs = _attrs(value)
    method = attrs.get("METHOD", "NONE").upper()
    if method == "NONE":
        return None
    uri = attrs.get("URI")
    return HlsKey(method, urljoin(base_url, uri) if uri else None, _iv(attrs.get("IV")))


def parse_playlist(text: str, base_url: str) -> MediaPlaylist:
    """A master or media playlist; relative URIs resolved against ``base_url``."""
    variants: list[Variant] = []
    items: list[Segment] = []
    target = 0.0
    sequence = 0
    ended = False
    pending: dict[str, str] | None = None
    key: HlsKey | None = None
    init: str | None = None
    duration = 0.0
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
            elif tag == "#EXTINF":
                try:
                    duration = float(value.split(",", 1)[0])
                except ValueError:
                    duration = 0.0
            elif tag == "#EXT-X-KEY":
                key = _key(value, base_url)
            elif tag == "#EXT-X-MAP":
                uri = _attrs(value).get("URI")
                init = urljoin(base_url, uri) if uri else None
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
            items.append(Segment(url, sequence + len(items), duration, key, init))
            duration = 0.0
    return MediaPlaylist(
        tuple(variants), tuple(s.url for s in items), target, sequence, ended, tuple(items)
    )


def segment_iv(key: HlsKey, sequence: int) -> bytes:
    """The AES-128 IV of a segment: the key's IV, else its media sequence number (RFC 8216)."""
    return key.iv if key.iv is not None else sequence.to_bytes(16, "big")


def best_variant(variants: tuple[Variant, ...] | list[Variant]) -> Variant | None:
    """The highest resolution, then the highest bandwidth."""
    if not variants:
        return None
    return max(variants, key=lambda v: ((v.height or 0) * (v.width or 0), v.bandwidth))


_QUALITY = re.compile(r"^(\d{3,4})p?$")


def choose_variant(variants: tuple[Variant, ...] | list[Variant], quality: str) -> Variant | None:
    """The variant a quality setting asks for: ``best``, ``worst``, or a height cap such as
    ``720p`` (the best variant at most that tall; the smallest when every one is taller)."""
    if not variants:
        return None
    order = sorted(variants, key=lambda v: ((v.height or 0) * (v.width or 0), v.bandwidth))
    wanted = quality.strip().lower()
    if wanted == "worst":
        return order[0]
    match = _QUALITY.match(wanted)
    if match is not None:
        cap = int(match.group(1))
        fitting = [v for v in order if v.height is not None and v.height <= cap]
        return fitting[-1] if fitting else order[0]
    return order[-1]


# ---- fragmented MP4 ---------------------------------------------------------------------------

_MP4_BOXES = (b"ftyp", b"styp", b"moof", b"moov", b"sidx", b"mdat", b"free")


def is_fmp4(head: bytes) -> bool:
    """Does ``head`` start with an ISO BMFF box (an fMP4/CMAF segment or init section)?"""
    return len(head) >= 8 and head[4:8] in _MP4_BOXES


# ---- random access in MPEG-TS -----------------------------------------------------------------

# PMT stream types of video, by codec; the rest (audio, data) never starts a decodable picture.
VIDEO_STREAM_TYPES = {0x01: "mpeg2", 0x02: "mpeg2", 0x10: "mpeg4", 0x1B: "h264", 0x24: "hevc"}


def _payload(packet: bytes | memoryview) -> int:
    """Offset of a TS packet's payload (188 when it has none)."""
    afc = (packet[3] >> 4) & 3
    if not afc & 1:
        return TS_PACKET
    if afc & 2:
        return min(5 + packet[4], TS_PACKET)
    return 4


def _section(packet: bytes | memoryview) -> bytes | None:
    """The PSI section that starts in this packet (payload-unit-start packets only)."""
    if not packet[1] & 0x40:
        return None
    start = _payload(packet)
    if start >= TS_PACKET:
        return None
    begin = start + 1 + packet[start]
    section = bytes(packet[begin:TS_PACKET])
    if len(section) < 3:
        return None
    length = ((section[1] & 0x0F) << 8) | section[2]
    return section[: 3 + length] if 3 + length <= len(section) else None


def parse_pat(packet: bytes | memoryview) -> list[int]:
    """The PMT PIDs a PAT packet lists ([] when the section does not fit in this packet)."""
    section = _section(packet)
    if section is None or section[0] != 0x00:
        return []
    pids = []
    for pos in range(8, len(section) - 4 - 3, 4):
        program = (section[pos] << 8) | section[pos + 1]
        if program:
            pids.append(((section[pos + 2] & 0x1F) << 8) | section[pos + 3])
    return pids


def parse_pmt(packet: bytes | memoryview) -> tuple[int, str] | None:
    """(PID, codec) of the first video elementary stream a PMT packet lists, or None."""
    section = _section(packet)
    if section is None or section[0] != 0x02 or len(section) < 16:
        return None
    pos = 12 + (((section[10] & 0x0F) << 8) | section[11])
    end = len(section) - 4
    while pos + 5 <= end:
        kind = section[pos]
        pid = ((section[pos + 1] & 0x1F) << 8) | section[pos + 2]
        codec = VIDEO_STREAM_TYPES.get(kind)
        if codec is not None:
            return pid, codec
        pos += 5 + (((section[pos + 3] & 0x0F) << 8) | section[pos + 4])
    return None


def _starts_picture_group(es: bytes, codec: str) -> bool:
    """Does this start of an elementary stream hold a keyframe's NAL units / start codes?"""
    pos = es.find(b"\x00\x00\x01")
    while 0 <= pos < len(es) - 3:
        head = es[pos + 3]
        if codec == "h264" and (head & 0x1F) in (5, 7):  # IDR slice or SPS
            return True
        if codec == "hevc" and ((head >> 1) & 0x3F) in (16, 17, 18, 19, 20, 21, 32, 33):
            return True  # IRAP slices, VPS, SPS
        if codec == "mpeg2" and head == 0xB3:  # sequence header
            return True
        if codec == "mpeg4" and head == 0xB0:  # visual object sequence
            return True
        pos = es.find(b"\x00\x00\x01", pos + 3)
    return False


def keyframe_start(packet: bytes | memoryview, codec: str) -> bool:
    """Does this packet of the video PID start a picture a decoder can start from?

    The random-access indicator says so where the muxer sets it; otherwise the PES that starts
    in the packet is searched for an IDR/IRAP NAL unit or a sequence header."""
    if not packet[1] & 0x40:
        return False
    if (packet[3] & 0x20) and packet[4] and packet[5] & 0x40:
        return True
    start = _payload(packet)
    pes = bytes(packet[start:TS_PACKET])
    if len(pes) < 9 or pes[:3] != b"\x00\x00\x01":
        return False
    return _starts_picture_group(pes[9 + pes[8] :], codec)
