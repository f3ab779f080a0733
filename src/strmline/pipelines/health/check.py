"""One check: does a URL answer with video (MPEG-TS, or HLS down to a TS segment), and how fast?

Also the ``status`` values a check leaves on a stream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from strmline.formats.media import best_variant, media_type, parse_playlist, sniff
from strmline.providers import probe_http

HEAD_BYTES = 4096  # enough for three TS packets at any offset, and a sniff of anything else
PLAYLIST_BYTES = 256 * 1024  # a playlist bigger than this is not one worth following
MAX_HOPS = 3  # master → media playlist → segment

# Stream.status values. UNKNOWN (never checked, or not checked since it appeared) is not working.
STATUS_UNKNOWN = "unknown"
STATUS_OK = "ok"
STATUS_SLOW = "slow"
STATUS_FAILED = "failed"
STATUSES = (STATUS_OK, STATUS_SLOW, STATUS_FAILED, STATUS_UNKNOWN)
WORKING_STATUSES = frozenset({STATUS_OK, STATUS_SLOW})


def is_working(status: str | None) -> bool:
    """True only when a check saw video: ``unknown``, ``failed`` and anything else are not."""
    return status in WORKING_STATUSES


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    ok: bool
    response_ms: int | None = None
    reason: str | None = None
    kind: str | None = None  # ts | hls


def _fail(reason: str) -> CheckOutcome:
    return CheckOutcome(False, reason=reason[:300])


async def check_url(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    seconds: float,
    connect_timeout: float | None = None,
    user_agent: str | None = None,
) -> CheckOutcome:
    """Fetch the first bytes of ``url`` (following HLS down to a segment) within ``seconds``.

    Plain asyncio HTTP (:mod:`~strmline.providers.probe_http`), not httpx: a check is one GET
    read for a few kilobytes, and httpx's per-request CPU made large runs CPU-bound.
    """
    started = time.perf_counter()
    try:
        return await _check(
            url,
            headers or {},
            started,
            started + seconds,
            connect_timeout,
            user_agent,
            hops=0,
        )
    except probe_http.ProbeTimeout as exc:
        # Every hop shares one budget: when it runs out, the budget is the reason to show.
        return _fail(f"timeout after {seconds:g} s" if exc.total else str(exc))
    except probe_http.ProbeError as exc:
        return _fail(str(exc))


async def _check(
    url: str,
    headers: dict[str, str],
    started: float,
    deadline: float,
    connect_timeout: float | None,
    user_agent: str | None,
    hops: int,
) -> CheckOutcome:
    left = deadline - time.perf_counter()
    if left <= 0:
        raise probe_http.ProbeTimeout(deadline - started, "following HLS", total=True)
    async with probe_http.stream(
        url,
        headers=headers,
        user_agent=user_agent,
        seconds=left,
        connect_timeout=connect_timeout,
    ) as response:
        if response.status >= 400:
            return _fail(f"HTTP {response.status}")
        ctype = response.headers.get("content-type")
        head = await response.read(HEAD_BYTES)
        kind = sniff(ctype, head)
        if kind == "ts":
            elapsed = int((time.perf_counter() - started) * 1000)
            return CheckOutcome(True, response_ms=elapsed, kind="hls" if hops else "ts")
        if kind != "hls":
            if kind == "empty":
                return _fail("empty response")
            if kind == "binary":
                return _fail(f"no MPEG-TS sync bytes ({media_type(ctype)})")
            shown = media_type(ctype) if ctype else {"html": "text/html"}.get(kind, kind)
            return _fail(f"not a media stream: {shown}")
        if hops >= MAX_HOPS:
            return _fail("HLS: too many nested playlists")
        body = head
        if len(body) >= HEAD_BYTES:
            body += await response.read(PLAYLIST_BYTES - len(body))
        base = response.final_url
    playlist = parse_playlist(body.decode("utf-8", "replace"), base)
    if playlist.is_master:
        variant = best_variant(playlist.variants)
        assert variant is not None
        next_url = variant.url
    elif playlist.segments:
        next_url = playlist.segments[0]
    else:
        return _fail("HLS: playlist without segments")
    return await _check(next_url, headers, started, deadline, connect_timeout, user_agent, hops + 1)
