"""Logo cache keys and the generated fallback: pure, no I/O.

A cached logo is addressed by an HMAC of its source URL under the app's signing key, so the
``/logo/{key}`` route can be public (players have no session) without fetching any URL a caller
makes up: only URLs strmline itself handed out carry a valid key. The key also names the cache
file, and being hex of a fixed length it cannot walk out of the cache directory.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

KEY_LENGTH = 32  # hex digits: 128 bits of the HMAC, plenty against guessing
KEY_PATTERN = re.compile(rf"^[0-9a-f]{{{KEY_LENGTH}}}$")
ROUTE = "/logo"
MAX_SRC = 4096  # the route's limit on ``src``: a longer source keeps its own URL
MAX_NAME = 300  # the route's limit on ``name``, which only feeds the fallback's initials
# Separates this use of the signing key from tokens and secrets sealed with it.
_DOMAIN = b"strmline-logo\x00"
# The shape nearly every logo URL has, recognised without parsing it: playlists check 100k of
# them per download, and urlsplit is most of the cost of a signed URL.
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#]|$)", re.IGNORECASE)
# A source inside a query value: ':' and '/' may stay as they are there (RFC 3986 section 3.4),
# which leaves most URLs to quote()'s fast path; '&', '=', '+', '#' and '%' are still encoded.
_SRC_SAFE = ":/"
# quote(name, safe="") for ASCII names at half the cost: names rarely take quote()'s fast path
# (spaces, colons), and str.translate does the same work in one C loop.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_QUOTE_ASCII = {c: f"%{c:02X}" for c in range(128) if c not in _UNRESERVED}
_NOISE = re.compile(r"^(hd|fhd|uhd|sd|4k|us|uk)$", re.IGNORECASE)
_SPLIT = re.compile(r"[|:\[\]()]")


def fetchable(src: str | None) -> bool:
    """Whether ``src`` is a URL the cache may fetch: http(s) with a host, nothing else."""
    if not src:
        return False
    if _PLAIN_HTTP.match(src):
        return True
    try:
        parts = urlsplit(src.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def logo_key(secret: str, src: str) -> str:
    mac = hmac.new(secret.encode(), _DOMAIN + src.encode(), hashlib.sha256)
    return mac.hexdigest()[:KEY_LENGTH]


def valid_key(secret: str, key: str, src: str) -> bool:
    return bool(KEY_PATTERN.match(key)) and hmac.compare_digest(key, logo_key(secret, src))


class LogoLinks:
    """Signed ``/logo`` URLs for many sources under one key, prefixed with ``base`` (the public
    address for playlists, empty for the API's server-relative URLs).

    Made once per list: the HMAC keyed with the secret and the domain is set up here and copied
    per source instead of keyed again, so a 100k-channel playlist pays a few microseconds per
    logo and keeps no cache that would grow with the catalogue.
    """

    __slots__ = ("_last", "_mac", "_prefix")

    def __init__(self, secret: str, base: str = "") -> None:
        self._mac = hmac.new(secret.encode(), _DOMAIN, hashlib.sha256)
        self._prefix = f"{base}{ROUTE}/"
        # The last answer: a playlist of every stream asks for one channel's logo per stream,
        # in a row.
        self._last: tuple[str | None, str, str | None] = (None, "", None)

    def key(self, src: str) -> str:
        """The same key as :func:`logo_key` under this secret."""
        mac = self._mac.copy()
        mac.update(src.encode())
        return mac.hexdigest()[:KEY_LENGTH]

    def url(self, src: str | None, name: str) -> str | None:
        """strmline's URL of the logo at ``src``, or None when it has none that could be
        fetched (a caller then hands out ``src`` itself, if anything). ``name`` only feeds the
        fallback, so it is not signed."""
        last_src, last_name, last_url = self._last
        if src == last_src and name == last_name:
            return last_url
        url = None
        if src and len(src) <= MAX_SRC and fetchable(src):
            url = (
                f"{self._prefix}{self.key(src)}?src={quote(src, safe=_SRC_SAFE)}"
                f"&name={_quote_name(name[:MAX_NAME])}"
            )
        self._last = (src, name, url)
        return url


def _quote_name(name: str) -> str:
    return name.translate(_QUOTE_ASCII) if name.isascii() else quote(name, safe="")


def proxy_url(secret: str, src: str | None, name: str) -> str | None:
    """strmline's URL of the logo at ``src`` (relative to the server), or None when it has none
    that could be fetched. ``name`` only feeds the fallback, so it is not signed."""
    return LogoLinks(secret).url(src, name)


def initials(name: str) -> str:
    """Up to two letters of ``name``, as the UI's placeholder shows them (lib/format.ts)."""
    words = [w for w in _SPLIT.sub(" ", name).split() if w and not _NOISE.match(w)]
    letters = "".join(w[0] for w in words[:2])
    return (letters or name[:1] or "?").upper()


def hue(name: str) -> int:
    """The UI's hue for ``name``: its hash runs over UTF-16 code units (JavaScript strings)."""
    data = name.encode("utf-16-le")
    h = 0
    for i in range(0, len(data), 2):
        h = (h * 31 + int.from_bytes(data[i : i + 2], "little")) % 360
    return h


def fallback_svg(name: str, size: int = 256) -> str:
    """A square of the name's colour with its initials, for a logo that cannot be had."""
    text = escape(initials(name), {'"': "&quot;"})
    font = round(size * 0.38)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">'
        f'<rect width="{size}" height="{size}" fill="hsl({hue(name)}, 45%, 40%)"/>'
        f'<text x="50%" y="50%" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif" font-weight="600" font-size="{font}">{text}</text></svg>'
    )
