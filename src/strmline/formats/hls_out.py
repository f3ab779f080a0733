"""Live HLS that strmline writes for browsers: segment timing from PES timestamps, and the
media playlist text (pure, no I/O).

Browsers cannot play an endless MPEG-TS response, but every one plays HLS (natively or through
hls.js) whose segments are MPEG-TS with H.264/AAC. :mod:`strmline.playback.segmenter` cuts a
channel's proxied TS at keyframes; this module measures the segments and writes the playlist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from strmline.formats.media import TS_PACKET

__all__ = ["PTS_HZ", "SegmentInfo", "pes_pts", "pts_seconds", "render_playlist"]

PTS_HZ = 90_000
_PTS_WRAP = 1 << 33


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    sequence: int
    duration: float
    discontinuity: bool  # the first segment of another upstream (failover): new timestamps


def pes_pts(packet: bytes | memoryview) -> int | None:
    """The PTS of the PES that starts in this TS packet, or None when it has none."""
    if len(packet) < TS_PACKET or not packet[1] & 0x40:
        return None
    start = 4
    if packet[3] & 0x20:  # adaptation field first
        start = 5 + packet[4]
    if start + 14 > TS_PACKET:
        return None
    pes = packet[start:]
    if pes[0] != 0 or pes[1] != 0 or pes[2] != 1 or not pes[7] & 0x80:
        return None
    b = pes[9:14]
    return (
        ((b[0] >> 1) & 0x07) << 30
        | b[1] << 22
        | ((b[2] >> 1) & 0x7F) << 15
        | b[3] << 7
        | ((b[4] >> 1) & 0x7F)
    )


def pts_seconds(start: int, end: int) -> float:
    """Seconds from one PTS to a later one, across the 33-bit wrap."""
    return ((end - start) % _PTS_WRAP) / PTS_HZ


def render_playlist(segments: Iterable[SegmentInfo], *, suffix: str = "") -> str:
    """An HLS live media playlist of ``{sequence}.ts`` segments (relative URLs, ``suffix``
    appended: the query string that carries the viewer's token)."""
    items = list(segments)
    target = max((s.duration for s in items), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(target))}",
        f"#EXT-X-MEDIA-SEQUENCE:{items[0].sequence if items else 0}",
    ]
    for s in items:
        if s.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{s.duration:.3f},")
        lines.append(f"{s.sequence}.ts{suffix}")
    return "\n".join(lines) + "\n"
