"""Real, playable media for the fake provider: one short test clip made with ffmpeg, cached.

The clip is generated once per cache directory (a few seconds of ffmpeg) and reused by every
process that points at the same directory: a file lock keeps two processes from encoding at the
same time and an atomic rename means a half-written clip is never seen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from strmline.demo.tsloop import TsLoop

log = logging.getLogger(__name__)

# Bump when the clip's recipe changes so stale caches are regenerated, not reused.
MEDIA_VERSION = 2
CLIP_SECONDS = 8  # 200 video frames at 25 fps and exactly 375 AAC frames at 48 kHz
WIDTH, HEIGHT, FPS = 640, 360, 25
VOD_FORMATS = ("mp4", "mkv", "avi")
_GENERATE_TIMEOUT = 120.0


class MediaUnavailable(RuntimeError):
    """No real media: ffmpeg is missing or failed. The provider then serves synthetic packets."""


@dataclass(frozen=True, slots=True)
class MediaFiles:
    """The cached clip: MPEG-TS for live and HLS, MP4 (faststart), MKV and AVI for VOD."""

    directory: Path

    @property
    def ts(self) -> Path:
        return self.directory / "live.ts"

    def vod(self, ext: str) -> Path:
        return self.directory / f"movie.{ext}"

    @property
    def complete(self) -> bool:
        return self.ts.is_file() and all(self.vod(ext).is_file() for ext in VOD_FORMATS)


def find_ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def _encode_args(ffmpeg: str, out: Path) -> list[str]:
    # Baseline profile (no B-frames) and a 1 s GOP with no scene-cut keyframes: HLS segments of
    # whole seconds start on a keyframe. 48 kHz AAC frames (1024 samples) tile 8 s exactly, and
    # pes_payload_size=0 puts each audio frame in its own PES so the loop can be cut per frame.
    return [
        ffmpeg, "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:beep_factor=4",
        "-t", str(CLIP_SECONDS),
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
        "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
        "-b:v", "600k", "-maxrate", "700k", "-bufsize", "600k",
        "-c:a", "aac", "-b:a", "64k", "-ac", "2",
        "-pes_payload_size", "0", "-f", "mpegts", str(out),
    ]  # fmt: skip


def _remux_args(ffmpeg: str, src: Path, out: Path) -> list[str]:
    faststart = ["-movflags", "+faststart"] if out.suffix == ".mp4" else []
    return [
        ffmpeg,
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        str(src),
        "-c",
        "copy",
        *faststart,
        str(out),
    ]


def _run(args: list[str]) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=_GENERATE_TIMEOUT)
    except subprocess.CalledProcessError as exc:
        tail = exc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise MediaUnavailable(f"ffmpeg failed: {' / '.join(tail) or exc}") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaUnavailable(f"ffmpeg failed: {exc}") from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone still keeps the cache consistent
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_media(cache_dir: Path, ffmpeg: str | None = None) -> MediaFiles:
    """The cached clip under ``cache_dir``, generated first if needed.

    Raises ``MediaUnavailable`` when ffmpeg is not installed or cannot make the clip.
    """
    files = MediaFiles(cache_dir / f"clip-v{MEDIA_VERSION}")
    if files.complete:
        return files
    ffmpeg = ffmpeg or find_ffmpeg()
    if ffmpeg is None:
        raise MediaUnavailable("ffmpeg is not installed")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / ".clip.lock"):
        if files.complete:  # another process made it while we waited for the lock
            return files
        work = Path(tempfile.mkdtemp(prefix=".clip-", dir=cache_dir))
        try:
            made = MediaFiles(work)
            _run(_encode_args(ffmpeg, made.ts))
            for ext in VOD_FORMATS:
                _run(_remux_args(ffmpeg, made.ts, made.vod(ext)))
            if files.directory.exists():  # a partial leftover from an older crash
                shutil.rmtree(files.directory)
            os.rename(work, files.directory)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    log.info("generated the fake provider's test clip in %s", files.directory)
    return files


@dataclass(frozen=True, slots=True)
class LoadedMedia:
    """The clip in memory: the endless live loop and the VOD files' bytes by extension."""

    loop: TsLoop
    vod: dict[str, bytes]


def load_media(cache_dir: Path) -> LoadedMedia:
    """Generate (once) and load the clip; raises ``MediaUnavailable``."""
    files = ensure_media(cache_dir)
    loop = TsLoop(files.ts.read_bytes())
    if not loop.duration:
        raise MediaUnavailable(f"{files.ts} has no timestamps")
    return LoadedMedia(loop, {ext: files.vod(ext).read_bytes() for ext in VOD_FORMATS})
