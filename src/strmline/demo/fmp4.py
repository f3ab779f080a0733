"""The fake provider's fMP4 (CMAF) HLS: the test clip cut by ffmpeg into an init section and
fragments once, then served as an endless live stream.

Segment ``n`` of the endless timeline is fragment ``n % count`` of the clip with its
``tfdt`` (decode time of the fragment's first sample) moved on by ``n // count`` whole clips, so
timestamps keep growing as they do on a real live channel; ``mfhd`` numbers go up the same way.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Fmp4Clip", "Fmp4Unavailable", "load_fmp4"]


class Fmp4Unavailable(RuntimeError):
    """ffmpeg is missing or could not cut the clip."""


def _boxes(
    data: bytes | bytearray, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of each ISO BMFF box between ``start`` and ``end``."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        if size == 1:
            size = struct.unpack_from(">Q", data, start + 8)[0]
        if size < 8:
            return
        yield kind, start, size
        start += size


def _child(
    data: bytes | bytearray, parent: tuple[bytes, int, int], kind: bytes
) -> tuple[bytes, int, int]:
    _, off, size = parent
    for box in _boxes(data, off + 8, off + size):
        if box[0] == kind:
            return box
    raise Fmp4Unavailable(f"fMP4 clip: no {kind.decode()} box")


def _timescales(init: bytes) -> dict[int, int]:
    """track id → timescale, from the init section's moov."""
    moov = next((b for b in _boxes(init) if b[0] == b"moov"), None)
    if moov is None:
        raise Fmp4Unavailable("fMP4 clip: the init section has no moov")
    out: dict[int, int] = {}
    for trak in _boxes(init, moov[1] + 8, moov[1] + moov[2]):
        if trak[0] != b"trak":
            continue
        tkhd = _child(init, trak, b"tkhd")
        mdhd = _child(init, _child(init, trak, b"mdia"), b"mdhd")
        v1 = init[tkhd[1] + 8] == 1
        track_id = struct.unpack_from(">I", init, tkhd[1] + (28 if v1 else 20))[0]
        v1 = init[mdhd[1] + 8] == 1
        out[track_id] = struct.unpack_from(">I", init, mdhd[1] + (28 if v1 else 20))[0]
    return out


@dataclass(frozen=True, slots=True)
class Fmp4Clip:
    init: bytes
    fragments: tuple[bytes, ...]  # moof + mdat of each segment, sidx/styp dropped
    timescales: dict[int, int]
    clip_seconds: int

    def segment(self, n: int) -> bytes:
        """Segment ``n`` of the endless live timeline."""
        loop, index = divmod(n, len(self.fragments))
        data = bytearray(self.fragments[index])
        for kind, off, size in _boxes(data):
            if kind != b"moof":
                continue
            for inner, ioff, isize in _boxes(data, off + 8, off + size):
                if inner == b"mfhd":
                    struct.pack_into(">I", data, ioff + 12, (n + 1) & 0xFFFFFFFF)
                elif inner == b"traf":
                    self._shift(data, (inner, ioff, isize), loop)
        return bytes(data)

    def _shift(self, data: bytearray, traf: tuple[bytes, int, int], loop: int) -> None:
        tfhd = _child(data, traf, b"tfhd")
        tfdt = _child(data, traf, b"tfdt")
        track_id = struct.unpack_from(">I", data, tfhd[1] + 12)[0]
        shift = loop * self.clip_seconds * self.timescales.get(track_id, 90000)
        if data[tfdt[1] + 8] == 1:
            base = struct.unpack_from(">Q", data, tfdt[1] + 12)[0]
            struct.pack_into(">Q", data, tfdt[1] + 12, base + shift)
        else:
            base = struct.unpack_from(">I", data, tfdt[1] + 12)[0]
            struct.pack_into(">I", data, tfdt[1] + 12, (base + shift) & 0xFFFFFFFF)


def _cut(ffmpeg: str, ts: Path, out: Path, seconds: float) -> None:
    args = [
        ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(ts),
        "-c", "copy", "-bsf:a", "aac_adtstoasc",
        "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", f"{seconds:g}",
        "-hls_playlist_type", "vod", "-hls_fmp4_init_filename", "init.mp4",
        "-hls_segment_filename", str(out / "seg%d.m4s"), str(out / "clip.m3u8"),
    ]  # fmt: skip
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        tail = exc.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise Fmp4Unavailable(f"ffmpeg could not cut the fMP4 clip: {' / '.join(tail)}") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Fmp4Unavailable(f"ffmpeg could not cut the fMP4 clip: {exc}") from exc


def load_fmp4(ts: Path, clip_seconds: int, segment_seconds: float) -> Fmp4Clip:
    """Cut the TS clip (``clip_seconds`` long, keyframes on whole seconds) into fMP4 segments."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise Fmp4Unavailable("ffmpeg is not installed")
    if clip_seconds % segment_seconds:
        raise Fmp4Unavailable(f"{segment_seconds:g} s segments do not tile a {clip_seconds} s clip")
    with tempfile.TemporaryDirectory(prefix="strmline-fmp4-") as tmp:
        out = Path(tmp)
        _cut(ffmpeg, ts, out, segment_seconds)
        init = (out / "init.mp4").read_bytes()
        count = round(clip_seconds / segment_seconds)
        fragments = []
        for i in range(count):
            data = (out / f"seg{i}.m4s").read_bytes()
            fragments.append(
                b"".join(data[o : o + s] for k, o, s in _boxes(data) if k in (b"moof", b"mdat"))
            )
    return Fmp4Clip(init, tuple(fragments), _timescales(init), clip_seconds)
