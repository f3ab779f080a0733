"""The logo cache: a source image fetched once, shrunk, and kept in ``<data dir>/logos/``.

Each logo is ``<key>.png`` (the key: formats/logos.py), written through a temporary file and a
rename, so a reader never sees half a file and two processes filling the same key both leave a
whole one. A fetch that fails leaves ``<key>.miss`` for a short while: a dead logo host is asked
again after that, not on every page view. Fetches are bounded in every way a hostile or broken
host could stretch them: http(s) only, a few redirects, a size cap, one deadline, image types.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import time
from pathlib import Path

import httpx
from PIL import Image, UnidentifiedImageError

from strmline.formats.logos import fetchable

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a small file can still decode into gigabytes (a pixel bomb)
MAX_SIDE = 256
MAX_REDIRECTS = 3
DEADLINE_SECONDS = 10.0
MISS_SECONDS = 600.0
PARALLEL = 4  # origins fetched at once per process; the rest wait (page of 50 logos)


class LogoError(Exception):
    """Why a source gave no logo, in one line naming the URL."""


class LogoCache:
    def __init__(self, directory: Path, *, miss_seconds: float = MISS_SECONDS) -> None:
        self.directory = directory
        self.miss_seconds = miss_seconds
        self._gate = asyncio.Semaphore(PARALLEL)
        # key → (its lock, requests using it): the entry goes when the last one leaves, so the
        # map holds only keys being fetched right now.
        self._inflight: dict[str, tuple[asyncio.Lock, int]] = {}

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.png"

    async def get(self, key: str, src: str, client: httpx.AsyncClient) -> Path | None:
        """The cached file for ``key`` (fetched from ``src`` on a miss), or None: no logo."""
        path = self.path(key)
        if path.is_file():
            return path
        lock, users = self._inflight.get(key, (asyncio.Lock(), 0))
        self._inflight[key] = (lock, users + 1)
        try:
            async with lock:  # one fetch per key; the others then find its file
                return await self._fill(key, src, client)
        finally:
            lock, users = self._inflight[key]
            if users == 1:
                del self._inflight[key]
            else:
                self._inflight[key] = (lock, users - 1)

    async def _fill(self, key: str, src: str, client: httpx.AsyncClient) -> Path | None:
        path = self.path(key)
        if path.is_file():
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
        return path

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
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        path.with_suffix(".miss").unlink(missing_ok=True)


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
