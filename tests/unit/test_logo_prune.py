"""The logo cache's limits (services/logos.py): maximum age by fetch time, size by last use,
stale markers and unfinished writes, on plain temporary folders."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from strmline.config import LogoSettings
from strmline.formats.logos import logo_key
from strmline.services.logos import (
    MB,
    TMP_MAX_AGE,
    TOUCH_SECONDS,
    LogoCache,
    Pruned,
    prune,
    prune_logged,
)

DAY = 86400.0
NOW = time.time()


def _logo(folder: Path, name: str, *, size: int, fetched: float, used: float | None = None) -> Path:
    """A cached logo ``size`` bytes long, fetched (mtime) and last served (atime) at the times
    given, as seconds before NOW."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{logo_key('k', name)}.png"
    path.write_bytes(b"\x89PNG" + b"\0" * (size - 4))
    last = fetched if used is None else used
    os.utime(path, (NOW - last, NOW - fetched))
    return path


def _aged(path: Path, seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (NOW - seconds, NOW - seconds))
    return path


def test_logos_past_the_maximum_age_go_by_fetch_time_however_recently_served(
    tmp_path: Path,
) -> None:
    old_but_popular = _logo(tmp_path, "a", size=1000, fetched=40 * DAY, used=60)
    younger = _logo(tmp_path, "b", size=1000, fetched=10 * DAY, used=9 * DAY)
    fresh = _logo(tmp_path, "c", size=1000, fetched=60)

    pruned = prune(tmp_path, max_bytes=10 * MB, max_age=30 * DAY, now=NOW)

    assert not old_but_popular.exists()
    assert younger.exists() and fresh.exists()
    assert pruned == Pruned(expired=1, freed_bytes=1000, kept=2, kept_bytes=2000)


def test_over_the_size_limit_the_least_recently_served_go_first(tmp_path: Path) -> None:
    # Fetched in one order, served in another: the order of use decides.
    by_use = [
        _logo(tmp_path, f"logo {i}", size=1000, fetched=(10 - i) * DAY, used=used)
        for i, used in enumerate([5 * 3600, 50, 9 * 3600, 2 * 3600, 7 * 3600])
    ]
    pruned = prune(tmp_path, max_bytes=2500, max_age=30 * DAY, now=NOW)

    left = {p for p in by_use if p.exists()}
    assert left == {by_use[1], by_use[3]}  # served 50 s and 2 h ago
    assert pruned.evicted == 3 and pruned.expired == 0
    assert pruned.kept == 2 and pruned.kept_bytes == 2000 <= 2500
    assert pruned.freed_bytes == 3000
    # Under the limit already: nothing more goes.
    assert prune(tmp_path, max_bytes=2500, max_age=30 * DAY, now=NOW).removed == 0


def test_a_logo_written_but_never_served_counts_as_used_when_fetched(tmp_path: Path) -> None:
    # A file system that never updates access times leaves them older than the write.
    new = _logo(tmp_path, "new", size=1000, fetched=60, used=20 * DAY)
    served = _logo(tmp_path, "served", size=1000, fetched=5 * DAY, used=3600)
    prune(tmp_path, max_bytes=1500, max_age=30 * DAY, now=NOW)
    assert new.exists() and not served.exists()


def test_markers_and_unfinished_writes_go_when_stale_and_nothing_else_is_touched(
    tmp_path: Path,
) -> None:
    key = logo_key("k", "x")
    stale_miss = _aged(tmp_path / f"{key}.miss", 700)
    fresh_miss = _aged(tmp_path / f"{logo_key('k', 'y')}.miss", 30)
    killed_write = _aged(tmp_path / f"{key}.png.4242.tmp", TMP_MAX_AGE + 60)
    in_progress = _aged(tmp_path / f"{logo_key('k', 'z')}.png.4243.tmp", 5)
    foreign = [
        _aged(tmp_path / "notes.txt", 100 * DAY),
        _aged(tmp_path / "logo.png", 100 * DAY),  # not a key: not the cache's
        _aged(tmp_path / f"{key.upper()}.png", 100 * DAY),
        _aged(tmp_path / "sub" / f"{key}.png", 100 * DAY),
    ]
    outside = _aged(tmp_path.parent / f"{tmp_path.name}-outside.png", 100 * DAY)
    (tmp_path / f"{logo_key('k', 'link')}.png").symlink_to(outside)

    pruned = prune(tmp_path, max_bytes=0, max_age=DAY, miss_seconds=600, now=NOW)

    assert (pruned.misses, pruned.partial) == (1, 1)
    assert not stale_miss.exists() and not killed_write.exists()
    assert fresh_miss.exists() and in_progress.exists()
    assert all(p.exists() for p in foreign)
    assert outside.exists() and (tmp_path / f"{logo_key('k', 'link')}.png").is_symlink()


def test_a_cache_folder_not_made_yet_prunes_nothing(tmp_path: Path) -> None:
    assert prune(tmp_path / "logos", max_bytes=0, max_age=DAY) == Pruned()


def test_a_write_in_progress_survives_a_prune_and_lands_whole(tmp_path: Path) -> None:
    """A writer fills ``<key>.png.<pid>.tmp`` in pieces while prunes run with a limit of 0
    bytes; the temporary file is never taken from under it and the rename lands."""
    cache = LogoCache(tmp_path)
    path = cache.path(logo_key("k", "slow"))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    body = b"\x89PNG" + bytes(range(256)) * 64
    started, go_on = threading.Event(), threading.Event()

    def write() -> None:
        with tmp.open("wb") as out:
            out.write(body[:100])
            out.flush()
            started.set()
            go_on.wait(10)
            out.write(body[100:])
        os.replace(tmp, path)

    writer = threading.Thread(target=write)
    writer.start()
    assert started.wait(10)
    for _ in range(3):
        assert prune(tmp_path, max_bytes=0, max_age=DAY).partial == 0
        assert tmp.exists()
    go_on.set()
    writer.join(10)
    assert path.read_bytes() == body


def test_prunes_running_at_once_remove_each_file_once(tmp_path: Path) -> None:
    for i in range(300):
        _logo(tmp_path, f"logo {i}", size=500, fetched=i, used=i)
    results: list[Pruned] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(prune(tmp_path, max_bytes=50_000, max_age=DAY, now=NOW))
        except BaseException as exc:  # reported below, with the thread's result
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(r.evicted for r in results) == 200  # 300 × 500 B down to 50 kB, once in all
    left = sorted(tmp_path.iterdir(), key=lambda p: p.stat().st_atime)
    assert len(left) == 100
    assert max(NOW - p.stat().st_atime for p in left) < 100  # the 100 served most recently


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def _png(seed: int, side: int = 256) -> bytes:
    rnd = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Origin:
    def __init__(self) -> None:
        self.hits = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hits += 1
        png = _png(self.hits)
        return httpx.Response(200, headers={"content-type": "image/png"}, content=png)


async def test_a_logo_past_the_maximum_age_is_fetched_again(tmp_path: Path) -> None:
    origin = _Origin()
    cache = LogoCache(tmp_path)
    key = logo_key("k", "http://logos.test/a.png")
    async with httpx.AsyncClient(transport=httpx.MockTransport(origin)) as client:
        path = await cache.get(key, "http://logos.test/a.png", client, max_age=DAY)
        assert path is not None and origin.hits == 1
        first = path.read_bytes()
        assert await cache.get(key, "http://logos.test/a.png", client, max_age=DAY) == path
        assert origin.hits == 1
        os.utime(path, (NOW, NOW - 2 * DAY))
        assert await cache.get(key, "http://logos.test/a.png", client, max_age=DAY) == path
        assert origin.hits == 2 and path.read_bytes() != first
        assert NOW - path.stat().st_mtime < 60


def test_serving_notes_the_use_hourly_and_keeps_the_fetch_time(tmp_path: Path) -> None:
    cache = LogoCache(tmp_path)
    path = _logo(tmp_path, "a", size=300, fetched=3 * DAY, used=2 * DAY)
    fetched_ns = path.stat().st_mtime_ns

    served = cache.read(path, want_body=lambda version: True)
    assert served is not None and served.data == path.read_bytes()
    assert served.version == fetched_ns == path.stat().st_mtime_ns
    used = path.stat().st_atime
    assert time.time() - used < 60

    # Within the hour the access time is not written again.
    os.utime(path, ns=(int((time.time() - TOUCH_SECONDS / 2) * 1e9), fetched_ns))
    half_hour = path.stat().st_atime_ns
    not_modified = cache.read(path, want_body=lambda version: False)
    assert not_modified is not None and not_modified.data is None
    assert path.stat().st_atime_ns == half_hour

    path.unlink()
    assert cache.read(path, want_body=lambda version: True) is None


async def test_the_cache_prunes_itself_after_writing_a_tenth_of_its_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 2 MB of logos last served days ago, and a limit of 1 MB.
    old = [_logo(tmp_path, f"old {i}", size=200_000, fetched=DAY, used=DAY) for i in range(10)]
    cache = LogoCache(tmp_path)
    limits = LogoSettings(max_mb=1, max_age_days=30)
    cache.prune_when_due(limits)  # just made, nothing written: not due
    await asyncio.sleep(0.05)
    assert all(p.exists() for p in old)

    origin = _Origin()
    src = "http://logos.test/new.png"
    caplog.set_level(logging.INFO, logger="strmline.services.logos")
    async with httpx.AsyncClient(transport=httpx.MockTransport(origin)) as client:
        new = await cache.get(logo_key("k", src), src, client)
    assert new is not None and new.stat().st_size >= MB // 10  # noise does not compress

    cache.prune_when_due(limits)
    deadline = time.monotonic() + 10
    while _folder_bytes(tmp_path) > MB:
        assert time.monotonic() < deadline, "the prune never ran"
        await asyncio.sleep(0.05)
    assert new.exists()  # the one just written is the most recently used
    assert "logo cache pruned" in caplog.text and "least recently shown" in caplog.text


async def test_a_prune_that_cannot_read_the_folder_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_folder = tmp_path / "logos"
    not_a_folder.write_text("a file where the folder should be")
    caplog.set_level(logging.WARNING, logger="strmline.services.logos")
    assert await prune_logged(not_a_folder, max_bytes=0, max_age=DAY) == Pruned()
    assert "could not prune the logo cache" in caplog.text
