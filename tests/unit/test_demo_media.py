"""The fake provider's real media: the endless timestamp-continuous TS loop, HLS, VOD, fallback.

The clip is generated once per session into a temporary directory, or into
``$STRMLINE_TEST_MEDIA_DIR`` when set (a persistent cache saves ~1 s per run).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from strmline.demo import FakeProviderServer
from strmline.demo.media import MediaUnavailable, ensure_media
from strmline.demo.tsloop import CLOCK, TS_PACKET, WRAP, TsLoop, read_pcr, read_pts, write_pts

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed: real media skipped")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if FFMPEG is None:
        pytest.skip("ffmpeg not installed: real media skipped")
    env = os.environ.get("STRMLINE_TEST_MEDIA_DIR")
    return Path(env) if env else tmp_path_factory.mktemp("media")


@pytest.fixture
def real_provider(fake_provider: FakeProviderServer, media_dir: Path) -> FakeProviderServer:
    fake_provider.options.media_dir = media_dir  # reset() puts the default (None) back
    assert fake_provider.provider.prepare_media() is None
    return fake_provider


# ---- a TS reader for the assertions ---------------------------------------------------------


def _scan(data: bytes) -> dict[int, dict[str, list[int]]]:
    """Per PID: continuity counters of payload packets, PCRs, and PES decode times."""
    out: dict[int, dict[str, list[int]]] = {}
    for i in range(0, len(data), TS_PACKET):
        pkt = data[i : i + TS_PACKET]
        assert pkt[0] == 0x47
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        afc = (pkt[3] >> 4) & 3
        info = out.setdefault(pid, {"cc": [], "pcr": [], "ts": []})
        payload = 4
        if afc & 2:
            payload = 5 + pkt[4]
            if pkt[4] and pkt[5] & 0x10:
                info["pcr"].append(read_pcr(pkt, 6)[0])
        if afc & 1:
            info["cc"].append(pkt[3] & 0x0F)
            head = pkt[payload : payload + 19]
            if pkt[1] & 0x40 and head[:3] == b"\x00\x00\x01" and head[7] & 0x80:
                # DTS when there is one: decode times are what must increase.
                info["ts"].append(read_pts(head, 14 if head[7] >> 6 == 3 else 9))
    return out


def _assert_continuous(data: bytes, max_step: int = CLOCK) -> None:
    for pid, info in _scan(data).items():
        ccs = info["cc"]
        assert all((b - a) & 0x0F == 1 for a, b in itertools.pairwise(ccs)), pid
        for key in ("ts", "pcr"):
            values = info[key]
            steps = [(b - a) % WRAP for a, b in itertools.pairwise(values)]
            # Increasing (modulo the 33-bit wrap) and never a jump back or a gap at the loop.
            assert all(0 < s <= max_step for s in steps), (pid, key, steps)


# ---- pure byte tests (no ffmpeg) ------------------------------------------------------------

_PMT = b"\x47\x50\x00\x10\x00\x02\xb0\x12\x00\x01\xc1\x00\x00\xe1\x00\xf0\x00\x1b\xe1\x00\xf0\x00"
_PAT = b"\x47\x40\x00\x10\x00\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0\x00"


def _pad(head: bytes) -> bytes:
    return head + b"\xff" * (TS_PACKET - len(head))


def _frame(pts: int, key: bool, cc: int) -> bytes:
    """A video PES in one packet with a PCR, PTS and DTS; a key frame when ``key``."""
    pes = bytearray(b"\x00\x00\x01\xe0\x00\x00\x80\xc0\x0a" + bytes(10) + b"\x00\x00\x01\x09\xf0")
    write_pts(pes, 9, 0x3, pts + 3600)
    write_pts(pes, 14, 0x1, pts)
    pcr = ((pts - 9000) << 15) | (0x3F << 9)
    af = bytes((0x50 if key else 0x10,)) + pcr.to_bytes(6, "big")
    af += b"\xff" * (TS_PACKET - 5 - len(af) - len(pes))
    return b"\x47\x41\x00" + bytes((0x30 | cc, len(af))) + af + bytes(pes)


def test_loop_shifts_timestamps_and_continues_counters() -> None:
    # Three 1 s GOPs at 25 fps (one packet per frame), PSI in front of each key frame.
    packets = []
    for n in range(75):
        if n % 25 == 0:
            packets += [_pad(_PAT), _pad(_PMT)]
        packets.append(_frame(900_000 + n * 3600, n % 25 == 0, n & 0x0F))
    loop = TsLoop(b"junk" + b"".join(packets))
    assert loop.duration == 75 * 3600 and loop.packets == 81
    assert [c.packet for c in loop.cuts] == [0, 27, 54] and loop.cuts[1].ticks == CLOCK

    data = loop.read(loop.packets - 10, loop.packets * 3)
    _assert_continuous(data)
    video = _scan(data)[0x100]["ts"]
    assert video[10] - video[9] == 3600 and len(video) == 225  # across the first loop point
    assert _scan(loop.read(loop.packets * 40 + 2, 1))[0x100]["pcr"] == [
        (900_000 - 9000 + 40 * loop.duration) % WRAP
    ]
    # Segment n+1 starts where segment n ended: on the PSI before a key frame.
    first, second = loop.segment(7, 1.0), loop.segment(8, 1.0)
    assert len(first) == 27 * TS_PACKET and second[:3] == _PAT[:3]
    _assert_continuous(first + second)


def test_loop_without_timestamps_is_a_byte_loop() -> None:
    packet = b"\x47\x01\x00\x10" + bytes(range(184))
    loop = TsLoop(packet * 4)
    assert loop.duration == 0 and loop.cuts == []
    assert _scan(loop.read(0, 20))[0x100]["cc"] == [n & 0x0F for n in range(20)]


def test_no_ffmpeg_means_synthetic_streams(
    fake_provider: FakeProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MediaUnavailable, match="not installed"):
        ensure_media(tmp_path / "cache")
    fake_provider.options.media_dir = tmp_path / "cache"
    fake_provider.options.stream_max_bytes = TS_PACKET * 20
    assert fake_provider.provider.prepare_media() == "ffmpeg is not installed"
    sid = next(iter(fake_provider.catalog.live))
    body = httpx.get(fake_provider.stream_url(sid), timeout=5).content
    assert len(body) == TS_PACKET * 20 and body[:4] == b"\x47\x40\x00\x10"  # synthetic PAT


# ---- the generated clip ---------------------------------------------------------------------


def test_generated_clip_loops_cleanly(media_dir: Path) -> None:
    files = ensure_media(media_dir)
    stamp = files.ts.stat().st_mtime_ns
    assert ensure_media(media_dir).ts.stat().st_mtime_ns == stamp  # made once, then reused
    loop = TsLoop(files.ts.read_bytes())
    assert loop.duration == 8 * CLOCK and len(loop.cuts) == 8
    data = loop.read(loop.packets * 15 - 500, loop.packets * 2 + 1000)  # two loop points
    _assert_continuous(data, max_step=CLOCK // 5)
    pids = _scan(data)
    assert sum(len(info["ts"]) for info in pids.values()) > 2 * (200 + 375)


@needs_ffmpeg
def test_concurrent_generation_makes_one_clip(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(ensure_media, [tmp_path, tmp_path]))
    assert made[0] == made[1] and made[0].complete
    # The loser of the lock found the clip made and encoded nothing; no work dirs are left.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".clip.lock", made[0].directory.name]


# ---- ffmpeg reading a running provider ------------------------------------------------------


def _decoded_frames(url: str, *args: str, seconds: float, timeout: float = 25) -> tuple[int, str]:
    """Video frames ffmpeg decodes from ``url`` in ``seconds``, and what it complained about."""
    assert FFMPEG is not None
    output = ["-map", "0:v:0", "-t", str(seconds), "-f", "framemd5", "-"]
    done = subprocess.run(
        [FFMPEG, "-nostdin", "-v", "warning", *args, "-i", url, *output],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    frames = sum(line.startswith(b"0,") for line in done.stdout.splitlines())
    return frames, done.stderr.decode(errors="replace")


@needs_ffmpeg
@pytest.mark.timeout(30)
def test_ffmpeg_decodes_live_ts_across_the_loop(real_provider: FakeProviderServer) -> None:
    sid = next(c.stream_id for c in real_provider.catalog.live.values() if not c.hls_master)
    # 10 s of an 8 s clip served in real time: the loop point is in the middle.
    frames, errors = _decoded_frames(real_provider.stream_url(sid), seconds=10)
    assert frames >= 200 and not errors, errors


@needs_ffmpeg
@pytest.mark.timeout(30)
def test_ffmpeg_decodes_hls_master(real_provider: FakeProviderServer) -> None:
    ch = next(c for c in real_provider.catalog.live.values() if c.hls_master)
    frames, errors = _decoded_frames(real_provider.stream_url(ch.stream_id, ext="m3u8"), seconds=4)
    assert frames >= 50 and not errors, errors


@needs_ffmpeg
@pytest.mark.timeout(30)
@pytest.mark.parametrize("ext", ["mp4", "mkv", "avi"])
def test_ffmpeg_decodes_vod_with_ranges(real_provider: FakeProviderServer, ext: str) -> None:
    movie = next(iter(real_provider.catalog.movies))
    url = real_provider.stream_url(movie, kind="movie", ext=ext)
    frames, errors = _decoded_frames(url, seconds=10)
    assert frames == 200 and not errors, errors
    # Seeking to 6 s (too far to read through) reopens the file with a byte range.
    frames, errors = _decoded_frames(url, "-ss", "6", seconds=10)
    assert frames >= 40 and not errors, errors
    ranges = [r.headers.get("range") for r in real_provider.stats.log if r.path.endswith(ext)]
    assert any(r and not r.startswith("bytes=0-") for r in ranges), ranges
