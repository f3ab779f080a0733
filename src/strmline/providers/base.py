"""What every provider kind hands to the sync pipeline: normalised live items and a fetch result."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from strmline.formats.xtream import AccountInfo

__all__ = [
    "NO_MAPPING",
    "FetchResult",
    "LiveItem",
    "ProgressFn",
    "m3u_stream_key",
    "make_live_item",
]

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


def _live_item_factory() -> Callable[..., LiveItem]:
    # The frozen dataclass __init__ goes through object.__setattr__ per field, which is a fair
    # share of turning a 100k-entry playlist into items; the slot descriptors store the same
    # values directly. Same fields, same order, same object as LiveItem(...) builds.
    new = object.__new__
    setters = [LiveItem.__dict__[f.name].__set__ for f in fields(LiveItem)]
    s_key, s_name, s_url, s_group, s_tvg, s_tvgname, s_logo, s_chno, s_head, s_attrs = setters

    def make(
        key: str,
        name: str,
        url: str,
        group: str | None,
        tvg_id: str | None,
        tvg_name: str | None,
        logo: str | None,
        chno: str | None,
        headers: Mapping[str, str],
        attrs: Mapping[str, str],
    ) -> LiveItem:
        item = new(LiveItem)
        s_key(item, key)
        s_name(item, name)
        s_url(item, url)
        s_group(item, group)
        s_tvg(item, tvg_id)
        s_tvgname(item, tvg_name)
        s_logo(item, logo)
        s_chno(item, chno)
        s_head(item, headers)
        s_attrs(item, attrs)
        return item

    return make


make_live_item = _live_item_factory()
"""LiveItem(...) with positional arguments, for parsers that build one per playlist entry."""

# Shared by the many items without headers or extra attributes (immutable, so safe to share).
NO_MAPPING: Mapping[str, str] = MappingProxyType({})


@dataclass
class FetchResult:
    items: list[LiveItem]
    source: str  # redacted URL that answered
    attempts: list[tuple[str, str]]  # (redacted url, reason) of each failure before it, in order
    epg_urls: list[str]
    skipped: int
    account: AccountInfo | None = None
    skips: Sequence[Any] = field(default_factory=list)  # parser's skip records, when it keeps them
    duplicates: int = 0  # entries repeating an earlier one exactly (same key before numbering)
    cut_off: str | None = None  # why the body looks cut short, when it does (the guard decides)


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


# The (netloc, path) that urlsplit() finds, for the URLs that need none of its special cases.
# The scheme part cannot run past the first ":", so it strips exactly what urlsplit strips.
_PLAIN_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*+:)?+(?://([^/?#]*+))?+([^?#]*+)")


def _host_and_path(url: str) -> tuple[str, str]:
    """Lower-case host name and path of a URL, as urlsplit() gives them; raises ValueError.

    urlsplit() is most of the cost of keying a 100k-entry playlist, and nearly every stream URL
    is printable ASCII without brackets (IPv6) or "%" (zone ids) in the host: those take one
    regex match. Anything else goes through urlsplit() itself.
    """
    if url.isascii() and url.isprintable() and "[" not in url and "]" not in url:
        m = _PLAIN_URL.match(url)
        if m is not None:
            netloc = m.group(1) or ""
            if "%" not in netloc:
                host = netloc.rpartition("@")[2].partition(":")[0]
                return host.lower(), m.group(2)
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path


def _url_identity(url: str) -> str:
    """The part of a stream URL that stays when the provider rotates a token or the password."""
    url = url.strip()
    try:
        host, path = _host_and_path(url)
    except ValueError:
        return url
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 4 and segments[0].lower() in _XTREAM_KINDS:
        # /live/USER/PASS/123.ts: user, password and host may all change; kind and id do not.
        return "/".join([segments[0].lower(), *segments[3:]])
    kept = [s for s in segments if not _looks_like_token(s)]
    tail = kept[-1:] if kept else []
    if kept and kept[-1].rsplit(".", 1)[0].lower() in _GENERIC_STEMS and len(kept) > 1:
        tail = kept[-2:]
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
