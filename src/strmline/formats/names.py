"""Safe file and folder names for .strm libraries (pure: strings in, strings out).

Channel and title names come from providers and can hold anything: slashes, ``..``, control
characters, names Windows reserves, or 2 KB of text. Whatever they hold, the result is one
path component that stays inside the library folder on Linux, macOS and Windows shares.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_NAME_BYTES = 180  # leaves room for " (12)" and ".strm" under the common 255-byte limit

_RESERVED = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\u0080-\u009f\u2028\u2029\ufeff]')
_SPACES = re.compile(r"\s+")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)


def safe_name(name: str, *, fallback: str = "Unnamed", max_bytes: int = MAX_NAME_BYTES) -> str:
    """One safe path component: no separators, no ``..``, no control or reserved characters."""
    text = unicodedata.normalize("NFC", name)
    text = _RESERVED.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    # Leading dots hide files or form "..", trailing dots and spaces are dropped by Windows.
    text = text.strip(". ")
    if not text:
        text = fallback
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text = f"{text}_"
    return truncate_utf8(text, max_bytes).rstrip(". ") or fallback


def truncate_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def unique_names(names: Iterable[str]) -> list[str]:
    """Resolve collisions deterministically: the 2nd "ESPN" becomes "ESPN (2)", and so on.

    Comparison is case-insensitive because the library may live on a case-insensitive share.
    The caller passes names in a stable order, so the same input always gets the same names.
    """
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, n = name, 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            candidate = truncate_utf8(name, MAX_NAME_BYTES - len(suffix)).rstrip(". ") + suffix
        taken.add(candidate.casefold())
        out.append(candidate)
    return out
