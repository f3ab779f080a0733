"""What every provider kind hands to the sync pipeline: normalised live items and a fetch result."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from strmline.formats.xtream import AccountInfo

__all__ = ["FetchResult", "LiveItem", "ProgressFn", "m3u_stream_key"]

ProgressFn = Callable[[int, int], None] | None
"""Called with (bytes downloaded, entries parsed), throttled by the caller of the fetch."""


@dataclass(frozen=True, slots=True)
class LiveItem:
    key: str  # stable per provider: Xtream stream_id, or m3u_stream_key() for playlists
    name: str
    url: str
    group: str | None
    tvg_id: str | None
    tvg_name: str | None
    logo: str | None
    chno: str | None
    headers: Mapping[str, str]  # sent when playing the stream (User-Agent, Referer)
    attrs: Mapping[str, str]  # raw attributes worth keeping (catchup, tvg-shift, radio…)


@dataclass
class FetchResult:
    items: list[LiveItem]
    source: str  # redacted URL that answered
    attempts: list[tuple[str, str]]  # (redacted url, reason) of each failure before it, in order
    epg_urls: list[str]
    skipped: int
    account: AccountInfo | None = None
    skips: Sequence[Any] = field(default_factory=list)  # parser's skip records, when it keeps them


_XTREAM_KINDS = frozenset({"live", "movie", "series", "timeshift"})
# HLS and many CDNs end every stream in the same file name; the folder before it is the identity.
_GENERIC_STEMS = frozenset(
    {
        "index",
        "playlist",
        "master",
        "mono",
        "chunklist",
        "stream",
        "live",
        "manifest",
        "video",
        "tracks-v1a1",
    }
)
_HEX_TOKEN = re.compile(r"^[0-9a-f]{16,}$", re.IGNORECASE)
_MIXED_TOKEN = re.compile(r"^[A-Za-z0-9_\-=.~%]{20,}$")


def _looks_like_token(segment: str) -> bool:
    """Session tokens and signatures: long and random (letters and digits mixed)."""
    stem = segment.rsplit(".", 1)[0]
    if _HEX_TOKEN.match(stem):
        return True
    if _MIXED_TOKEN.match(stem):
        has_digit = any(c.isdigit() for c in stem)
        has_alpha = any(c.isalpha() for c in stem)
        return has_digit and has_alpha
    return False


def _url_identity(url: str) -> str:
    """The part of a stream URL that stays when the provider rotates a token or the password."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 4 and segments[0].lower() in _XTREAM_KINDS:
        # /live/USER/PASS/123.ts: user, password and host may all change; kind and id do not.
        return "/".join([segments[0].lower(), *segments[3:]])
    kept = [s for s in segments if not _looks_like_token(s)]
    tail = kept[-1:] if kept else []
    if kept and kept[-1].rsplit(".", 1)[0].lower() in _GENERIC_STEMS and len(kept) > 1:
        tail = kept[-2:]
    host = (parts.hostname or "").lower()
    return f"{host}/{'/'.join(tail)}"


def m3u_stream_key(
    entry_name: str, tvg_id: str | None, group: str | None, url: str, occurrence: int
) -> str:
    """A provider key for a playlist entry that survives a new token or password in its URL.

    ``occurrence`` (0, 1, 2…) tells apart entries that are otherwise identical within one
    playlist; the caller numbers them in playlist order.
    """
    parts = [tvg_id or "", entry_name.strip(), group or "", _url_identity(url), str(occurrence)]
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8)
    return digest.hexdigest()
