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
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

KEY_LENGTH = 32  # hex digits: 128 bits of the HMAC, plenty against guessing
KEY_PATTERN = re.compile(rf"^[0-9a-f]{{{KEY_LENGTH}}}$")
ROUTE = "/logo"
# Separates this use of the signing key from tokens and secrets sealed with it.
_DOMAIN = b"strmline-logo\x00"
_NOISE = re.compile(r"^(hd|fhd|uhd|sd|4k|us|uk)$", re.IGNORECASE)
_SPLIT = re.compile(r"[|:\[\]()]")


def fetchable(src: str | None) -> bool:
    """Whether ``src`` is a URL the cache may fetch: http(s) with a host, nothing else."""
    if not src:
        return False
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


def proxy_url(secret: str, src: str | None, name: str) -> str | None:
    """strmline's URL of the logo at ``src`` (relative to the server), or None when it has none
    that could be fetched. ``name`` only feeds the fallback, so it is not signed."""
    if src is None or not fetchable(src):
        return None
    query = urlencode({"src": src, "name": name})
    return f"{ROUTE}/{logo_key(secret, src)}?{query}"


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
