"""What every output shares: the public base URL, play URLs, ETags.

Base URL: ``settings.base_url`` when it was set (``STRMLINE_BASE_URL``, .env or code), else the
URL the request came in on. A fresh install then hands out URLs that work from wherever the
media server reached it (LAN address, Docker host name) instead of the default
``http://127.0.0.1:8000``, which only works on the box itself. Behind a reverse proxy listed in
``http.trusted_proxies``, its ``X-Forwarded-Proto`` makes the request URL the public one; set
``base_url`` where that is not enough.
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from strmline.config import Settings

# Where a /play URL leads changes with health checks and ranking: never let anything cache it.
NO_STORE = {"Cache-Control": "no-store"}


def public_base(request: Request, settings: Settings) -> str:
    if "base_url" in settings.model_fields_set:
        return settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def token_query(token: str) -> str:
    return "token=" + quote(token, safe="")


@dataclass(frozen=True, slots=True)
class PlayUrls:
    """Builds ``/play`` URLs carrying the token, which is quoted once per list, not per entry."""

    channel_prefix: str
    stream_prefix: str
    suffix: str

    @classmethod
    def of(cls, base: str, token: str) -> PlayUrls:
        return cls(f"{base}/play/", f"{base}/play/stream/", f"?{token_query(token)}")

    def channel(self, channel_id: int) -> str:
        return f"{self.channel_prefix}{channel_id}{self.suffix}"

    def stream(self, stream_id: int) -> str:
        return f"{self.stream_prefix}{stream_id}{self.suffix}"


def make_etag(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(request: Request, etag: str) -> bool:
    """``If-None-Match`` holds ``*`` or a list of tags; a proxy that compressed the body may
    have weakened ours to ``W/"…"``, which still names the same content."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            return q not in ("0", "0.0", "0.00", "0.000")
    return False


async def gzip_stream(chunks: AsyncIterator[bytes], level: int = 6) -> AsyncIterator[bytes]:
    """Compress a streamed body. Starlette's GZipMiddleware skips ``audio/*`` types, which
    includes the M3U type players expect, so playlists compress themselves. Big chunks are
    compressed in a thread (zlib releases the GIL) while the loop serves other requests."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    async for chunk in chunks:
        if len(chunk) >= 64 * 1024:
            out = await asyncio.to_thread(compressor.compress, chunk)
        else:
            out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()
