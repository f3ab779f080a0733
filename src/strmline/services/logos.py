"""The logo cache: a source image fetched once, shrunk, and kept in ``<data dir>/logos/``.

Each logo is ``<key>.png`` (the key: formats/logos.py), written through a temporary file and a
rename, so a reader never sees half a file and two processes filling the same key both leave a
whole one. A fetch that fails leaves ``<key>.miss`` for a short while: a dead logo host is asked
again after that, not on every page view. Fetches are bounded in every way a hostile or broken
host could stretch them: http(s) only, a few redirects, a size cap, one deadline, image types.

Bounded on disk by ``logos.max_age_days`` and ``logos.max_mb``, with two times on each file:

- its modification time is when it was fetched. A logo older than the maximum age counts as
  missing (fetched again when next asked for, removed by :func:`prune`), so a provider that
  replaced the image behind the same URL is seen within that time, and the ETag (which is that
  time) changes only when the bytes do;
- its access time is when it was last served, written by strmline itself (``os.utime``, at most
  once an hour per logo, on the open file) rather than trusted from the file system: ``noatime``
  mounts never update it and ``relatime`` only daily. Over the size limit, :func:`prune` removes
  the logos served longest ago first.

Pruning runs in a thread at start (services/cleanup.py) and then from the cache itself, in the
process that serves and fills it, at most hourly or sooner after it wrote a tenth of the limit:
the cache grows only through :meth:`LogoCache.get`, so that bounds it wherever it lives, whereas
the scheduler may run in a process on another host (``strmline beat``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, UnidentifiedImageError

from strmline.config import LogoSettings
from strmline.formats.logos import KEY_PATTERN, fetchable

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a small file can still decode into gigabytes (a pixel bomb)
MAX_SIDE = 256
MAX_REDIRECTS = 3
DEADLINE_SECONDS = 10.0
MISS_SECONDS = 600.0
PARALLEL = 4  # origins fetched at once per process; the rest wait (page of 50 logos)
TOUCH_SECONDS = 3600.0  # a served logo's "last used" time is written at most this often
PRUNE_SECONDS = 3600.0  # a process prunes the cache at most this often…
PRUNE_SHARE = 10  # …or sooner, once it wrote a 1/PRUNE_SHARE of the size limit since the last
TMP_MAX_AGE = 3600.0  # an unfinished write older than this was left by a killed process
MB = 1024 * 1024
_TMP_SUFFIX = ".tmp"


class LogoError(Exception):
    """Why a source gave no logo, in one line naming the URL."""


@dataclass(frozen=True, slots=True)
class Served:
    """A cached logo as read for one answer: ``version`` (its fetch time, in ns) makes the
    ETag; ``data`` is None when the caller did not want the bytes (a 304)."""

    version: int
    data: bytes | None


@dataclass(frozen=True, slots=True)
class Pruned:
    expired: int = 0  # logos older than the maximum age
    evicted: int = 0  # logos served least recently, over the size limit
    misses: int = 0  # failed-fetch markers past their window
    partial: int = 0  # unfinished writes left by killed processes
    freed_bytes: int = 0
    kept: int = 0
    kept_bytes: int = 0

    @property
    def removed(self) -> int:
        return self.expired + self.evicted + self.misses + self.partial


class LogoCache:
    def __init__(self, directory: Path, *, miss_seconds: float = MISS_SECONDS) -> None:
        self.directory = directory
        self.miss_seconds = miss_seconds
        self._gate = asyncio.Semaphore(PARALLEL)
        # key → (its lock, requests using it): the entry goes when the last one leaves, so the
        # map holds only keys being fetched right now.
        self._inflight: dict[str, tuple[asyncio.Lock, int]] = {}
        self._pruned_at = time.monotonic()  # the process start pruned (services/cleanup.py)
        self._written = 0  # bytes written since the last prune
        self._pruning: asyncio.Task[Pruned] | None = None

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.png"

    async def get(
        self, key: str, src: str, client: httpx.AsyncClient, *, max_age: float | None = None
    ) -> Path | None:
        """The cached file for ``key`` (fetched from ``src`` on a miss, or when it is older than
        ``max_age`` seconds), or None: no logo."""
        path = self.path(key)
        if self._fresh(path, max_age):
            return path
        lock, users = self._inflight.get(key, (asyncio.Lock(), 0))
        self._inflight[key] = (lock, users + 1)
        try:
            async with lock:  # one fetch per key; the others then find its file
                return await self._fill(key, src, client, max_age)
        finally:
            lock, users = self._inflight[key]
            if users == 1:
                del self._inflight[key]
            else:
                self._inflight[key] = (lock, users - 1)

    async def _fill(
        self, key: str, src: str, client: httpx.AsyncClient, max_age: float | None
    ) -> Path | None:
        path = self.path(key)
        if self._fresh(path, max_age):
            return path
        if self._missed_recently(key):
            return None
        try:
            async with self._gate:
                data = await fetch(client, src)
            png = await asyncio.to_thread(shrink, data, src)
        except LogoError as exc:
            log.info("logo not cached: %s", exc)
            await asyncio.to_thread(self._mark_miss, key)
            return None
        await asyncio.to_thread(self._write, path, png)
        self._written += len(png)
        return path

    @staticmethod
    def _fresh(path: Path, max_age: float | None) -> bool:
        # One stat, in the loop like the is_file() it replaces: microseconds on a local disk.
        try:
            fetched = path.stat().st_mtime
        except OSError:
            return False
        return max_age is None or time.time() - fetched < max_age

    def read(self, path: Path, *, want_body: Callable[[int], bool]) -> Served | None:
        """The cached file at ``path`` for one answer, marked as used; None when it is gone (a
        prune or a fresher fetch removed it meanwhile). Blocking: run it in a thread.

        Everything happens on the one open file, so a rename replacing it in between cannot
        pair one version's time with the other's bytes. ``want_body(version)`` says whether
        the bytes are needed at all (not for a 304).
        """
        try:
            with path.open("rb") as file:
                stat = os.fstat(file.fileno())
                _note_use(file.fileno(), path, stat)
                data = file.read() if want_body(stat.st_mtime_ns) else None
        except FileNotFoundError:
            return None
        return Served(stat.st_mtime_ns, data)

    def prune_when_due(self, limits: LogoSettings) -> None:
        """Start a prune in the background (a thread) when one is due in this process."""
        if self._pruning is not None and not self._pruning.done():
            return
        max_bytes = limits.max_mb * MB
        due = time.monotonic() - self._pruned_at >= PRUNE_SECONDS
        if not due and self._written < max_bytes // PRUNE_SHARE:
            return
        self._pruned_at = time.monotonic()
        self._written = 0
        self._pruning = asyncio.create_task(
            prune_logged(
                self.directory,
                max_bytes=max_bytes,
                max_age=limits.max_age_days * 86400.0,
                miss_seconds=self.miss_seconds,
            ),
            name="strmline-logo-prune",
        )

    def _missed_recently(self, key: str) -> bool:
        try:
            age = time.time() - (self.directory / f"{key}.miss").stat().st_mtime
        except FileNotFoundError:
            return False
        return age < self.miss_seconds

    def _mark_miss(self, key: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / f"{key}.miss").touch()

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}{_TMP_SUFFIX}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        path.with_suffix(".miss").unlink(missing_ok=True)


def _note_use(fd: int, path: Path, stat: os.stat_result) -> None:
    """Write "served now" into the access time, keeping the modification (fetch) time."""
    now = time.time_ns()
    if now - stat.st_atime_ns < TOUCH_SECONDS * 1e9:
        return
    # A read-only or foreign-owned cache still serves; its order is then by fetch time.
    with contextlib.suppress(OSError):
        os.utime(fd if os.utime in os.supports_fd else path, ns=(now, stat.st_mtime_ns))


async def prune_logged(
    directory: Path, *, max_bytes: int, max_age: float, miss_seconds: float = MISS_SECONDS
) -> Pruned:
    """:func:`prune` in a thread, with a log line of what it removed; a file system error is
    logged, not raised (the next prune tries again)."""
    try:
        pruned = await asyncio.to_thread(
            prune, directory, max_bytes=max_bytes, max_age=max_age, miss_seconds=miss_seconds
        )
    except OSError as exc:
        log.warning("could not prune the logo cache in %s: %s", directory, exc)
        return Pruned()
    if pruned.removed:
        log.info(
            "logo cache pruned: %d older than %g days, %d least recently shown over %d MB, "
            "%d expired misses, %d unfinished writes; %.1f MB freed, %d logos (%.1f MB) kept",
            pruned.expired,
            max_age / 86400,
            pruned.evicted,
            max_bytes // MB,
            pruned.misses,
            pruned.partial,
            pruned.freed_bytes / MB,
            pruned.kept,
            pruned.kept_bytes / MB,
        )
    return pruned


@dataclass(slots=True)
class _Logo:
    path: str
    size: int
    fetched: float
    used: float


def prune(
    directory: Path,
    *,
    max_bytes: int,
    max_age: float,
    miss_seconds: float = MISS_SECONDS,
    now: float | None = None,
) -> Pruned:
    """One pass over the cache folder, blocking (run it in a thread):

    1. logos fetched more than ``max_age`` seconds ago go;
    2. then the logos served longest ago (access time, see the module's notes) until the rest
       use at most ``max_bytes``;
    3. ``.miss`` markers past ``miss_seconds``, and temporary files of writes older than an hour
       (a younger one may be a write in progress in another process) go too.

    Only the cache's own names are touched. A file replaced or removed by another process while
    this runs is skipped; one removed while it is being served is still read whole through the
    reader's open file (POSIX), and the next request fetches it again.
    """
    now = time.time() if now is None else now
    logos, counts = _scan(directory, now=now, miss_seconds=miss_seconds)
    expired = evicted = freed = 0
    kept: list[_Logo] = []
    for logo in logos:
        if now - logo.fetched >= max_age:
            if _unlink(logo.path):
                expired += 1
                freed += logo.size
        else:
            kept.append(logo)
    total = sum(logo.size for logo in kept)
    kept.sort(key=lambda logo: logo.used)
    drop = 0
    while drop < len(kept) and total > max_bytes:
        logo = kept[drop]
        drop += 1
        total -= logo.size
        if _unlink(logo.path):
            evicted += 1
            freed += logo.size
    return Pruned(
        expired=expired,
        evicted=evicted,
        misses=counts[0],
        partial=counts[1],
        freed_bytes=freed,
        kept=len(kept) - drop,
        kept_bytes=total,
    )


def _scan(directory: Path, *, now: float, miss_seconds: float) -> tuple[list[_Logo], list[int]]:
    """The folder's logos, having removed stale markers and temporary files on the way:
    ([logos], [markers removed, temporary files removed])."""
    logos: list[_Logo] = []
    counts = [0, 0]
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return logos, counts
    for entry in entries:
        name = entry.name
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone since the listing
        stem, _, suffix = name.partition(".")
        if not KEY_PATTERN.match(stem):
            continue  # not the cache's: never touched
        if suffix == "png":
            used = max(stat.st_atime, stat.st_mtime)
            logos.append(_Logo(entry.path, stat.st_size, stat.st_mtime, used))
        elif suffix == "miss" and now - stat.st_mtime >= miss_seconds:
            counts[0] += _unlink(entry.path)
        elif name.endswith(_TMP_SUFFIX) and now - stat.st_mtime >= TMP_MAX_AGE:
            counts[1] += _unlink(entry.path)
    return logos, counts


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False  # another process pruned it first
    except OSError as exc:
        log.debug("could not remove %s from the logo cache: %s", path, exc)
        return False
    return True


async def fetch(client: httpx.AsyncClient, src: str) -> bytes:
    """The body of the image at ``src``: redirects followed by hand so each hop is checked."""
    url = src
    try:
        async with asyncio.timeout(DEADLINE_SECONDS):
            for _ in range(MAX_REDIRECTS + 1):
                if not fetchable(url):
                    raise LogoError(f"{src}: not an http(s) URL ({url[:80]})")
                async with client.stream("GET", url, follow_redirects=False) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    return await _body(response, src)
            raise LogoError(f"{src}: more than {MAX_REDIRECTS} redirects")
    except TimeoutError as exc:
        raise LogoError(f"{src}: no answer within {DEADLINE_SECONDS:g} s") from exc
    except httpx.HTTPError as exc:
        raise LogoError(f"{src}: {type(exc).__name__}: {exc}") from exc


async def _body(response: httpx.Response, src: str) -> bytes:
    if response.status_code != 200:
        raise LogoError(f"{src}: HTTP {response.status_code}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("image/"):
        raise LogoError(f"{src}: not an image ({kind or 'no content type'})")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES:
        raise LogoError(f"{src}: {length} bytes, more than {MAX_BYTES}")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BYTES:
            raise LogoError(f"{src}: more than {MAX_BYTES} bytes")
    return bytes(body)


def shrink(data: bytes, src: str) -> bytes:
    """``data`` decoded, fitted into MAX_SIDE×MAX_SIDE (never enlarged), as PNG."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise LogoError(f"{src}: {width}×{height} pixels is too large")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
            out = io.BytesIO()
            image.convert(mode).save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise LogoError(f"{src}: not a readable image ({exc})") from exc
    return out.getvalue()
