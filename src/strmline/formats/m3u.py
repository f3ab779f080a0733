"""M3U / M3U8 IPTV playlists: a streaming parser and a writer.

Pure: no network, no database. The only I/O is :func:`parse_file` reading the file it is given.

Provider playlists are large (100k+ entries) and messy, so the parser works one line at a time,
keeps nothing but the entry being assembled (plus the list of skipped lines), and never lets one
bad line stop the rest. Input that is not a playlist at all (an HTML login page, a JSON error
body from an Xtream panel, binary data) is recognised from its first lines and raises
:class:`~strmline.errors.NotAPlaylistError` before any entry is produced.

Supported quirks: UTF-8 BOM, CRLF and lone CR line ends, invalid UTF-8 (per line: U+FFFD for
stray bytes, cp1252 for whole legacy-encoded lines), indented lines, blank and comment lines
between ``#EXTINF`` and its URL, single-quoted / unquoted / mixed-case attributes, commas inside
quoted values and in names, ``#EXTVLCOPT``, ``#KODIPROP``, ``#EXTGRP``, Kodi ``url|Header=v``
suffixes, relative URLs (with a base URL) and ``#EXT-X-*`` HLS tags (ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Final
from urllib.parse import quote, unquote, urljoin

from strmline.errors import NotAPlaylistError

__all__ = [
    "ChunkParser",
    "M3UEntry",
    "M3UHeader",
    "M3UParser",
    "Skip",
    "aiter_text_lines",
    "aparse_bytes",
    "iter_text_lines",
    "parse_bytes",
    "parse_file",
    "parse_lines",
    "write_m3u",
]

# Shared by every entry without options/headers: one immutable object instead of a dict each.
_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})

#: A playlist must show ``#EXTM3U`` or ``#EXTINF`` within this many non-blank lines / characters.
SNIFF_LINES: Final = 100
SNIFF_CHARS: Final = 64 * 1024
#: A longer line means the input is not a playlist; it also bounds the line buffer's memory.
MAX_LINE_BYTES: Final = 1024 * 1024
#: Skips are the only thing that accumulates; past this many only ``skipped`` keeps counting.
MAX_SKIPS: Final = 10_000

URL_SCHEMES: Final = frozenset(
    {"http", "https", "rtmp", "rtmps", "rtsp", "rtp", "udp", "mms", "mmsh", "srt", "file"}
)


def _empty() -> Mapping[str, str]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class M3UEntry:
    """One playlist entry: an ``#EXTINF`` line, its directives and its URL."""

    name: str
    url: str
    duration: float | None = None
    line: int = 0
    attrs: Mapping[str, str] = field(default_factory=_empty)
    group: str | None = None
    options: Mapping[str, str] = field(default_factory=_empty)
    kodiprops: Mapping[str, str] = field(default_factory=_empty)
    headers: Mapping[str, str] = field(default_factory=_empty)

    @property
    def tvg_id(self) -> str | None:
        return self.attrs.get("tvg-id")

    @property
    def tvg_name(self) -> str | None:
        return self.attrs.get("tvg-name")

    @property
    def tvg_logo(self) -> str | None:
        return self.attrs.get("tvg-logo")

    @property
    def tvg_chno(self) -> str | None:
        return self.attrs.get("tvg-chno")

    @property
    def group_title(self) -> str | None:
        return self.attrs.get("group-title") or self.group

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("User-Agent")


@dataclass(frozen=True, slots=True)
class M3UHeader:
    """The ``#EXTM3U`` line: its attributes and the guide (XMLTV) URLs they name."""

    attrs: Mapping[str, str] = field(default_factory=_empty)
    epg_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Skip:
    """A line the parser dropped, with the reason, for the sync report."""

    line: int
    reason: str


# The frozen dataclass __init__ sets each field through object.__setattr__, which costs about as
# much as parsing the line. The slot descriptors store the same values without that detour.
def _entry_factory() -> Callable[..., M3UEntry]:
    new = object.__new__
    slots = [
        M3UEntry.__dict__[f].__set__
        for f in ("name", "url", "duration", "line", "attrs", "group", "options", "kodiprops")
    ]
    s_name, s_url, s_dur, s_line, s_attrs, s_group, s_opts, s_kodi = slots
    s_headers = M3UEntry.__dict__["headers"].__set__

    def make(
        name: str,
        url: str,
        duration: float | None,
        line: int,
        attrs: Mapping[str, str],
        group: str | None,
        options: Mapping[str, str],
        kodiprops: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> M3UEntry:
        e = new(M3UEntry)
        s_name(e, name)
        s_url(e, url)
        s_dur(e, duration)
        s_line(e, line)
        s_attrs(e, attrs)
        s_group(e, group)
        s_opts(e, options)
        s_kodi(e, kodiprops)
        s_headers(e, headers)
        return e

    return make


_new_entry: Final = _entry_factory()

# --- line grammar -----------------------------------------------------------------------------

# The common shape: `#EXTINF:-1 key="value" key="value",Name` with lower-case keys. Anything else
# (single quotes, bare values, odd spacing, upper-case keys) takes the general tokenizer.
# Possessive quantifiers: this grammar never needs to backtrack, and telling re so is ~30% faster.
_EXTINF_FAST: Final = re.compile(
    r'#EXTINF:(-?\d++(?:\.\d++)?+)((?: [a-z][a-z0-9_.:-]*+="[^"]*+")*+) ?,'
)
_ATTR_FAST: Final = re.compile(r' ([a-z][a-z0-9_.:-]*+)="([^"]*+)"')
_DURATION: Final = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))")
# One token of the attribute area. An unterminated quote runs to the next comma, so a stray `"`
# cannot swallow the display name.
_TOKEN: Final = re.compile(
    r"""\s*(?:
        (?P<key>[^\s=,"']+)[ \t]*=[ \t]*
            (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|"(?P<udq>[^,]*)|'(?P<usq>[^,]*)|(?P<uq>[^\s,"']*))
      | (?P<comma>,)
      | (?P<junk>"[^"]*"?|'[^']*'?|[^\s,"']+)
    )""",
    re.VERBOSE | re.DOTALL,
)
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_REAL_NON_ASCII: Final = re.compile(r"[^\x00-\x7f\ufffd]")
_LINE_BREAKS: Final = re.compile(r"[\r\n]+")
_SAFE_KEY: Final = re.compile(r"""[^\s=,"'|]+""")

_DURATIONS: Final = {"-1": -1.0, "0": 0.0, "-1.000": -1.0, "-1.0": -1.0}
_EPG_KEYS: Final = ("x-tvg-url", "url-tvg", "tvg-url")

# Where headers come from, lowest precedence first; a later source overrides an earlier one.
_ATTR_HEADERS: Final = (
    ("user-agent", "User-Agent"),
    ("http-user-agent", "User-Agent"),
    ("referer", "Referer"),
    ("referrer", "Referer"),
    ("http-referrer", "Referer"),
)
_ATTR_HEADER_KEYS: Final = frozenset(k for k, _ in _ATTR_HEADERS)
_KODI_HEADER_PROPS: Final = (
    "inputstream.adaptive.manifest_headers",
    "inputstream.adaptive.stream_headers",
)
_OPTION_HEADERS: Final = (
    ("http-user-agent", "User-Agent"),
    ("http-referrer", "Referer"),
    ("http-referer", "Referer"),
)
_HEADER_NAMES: Final = {
    "user-agent": "User-Agent",
    "referer": "Referer",
    "referrer": "Referer",
    "origin": "Origin",
    "cookie": "Cookie",
    "authorization": "Authorization",
}


def _parse_attrs(text: str, pos: int = 0) -> tuple[dict[str, str], int, int]:
    """Tokenize ``key=value`` pairs from ``pos``.

    Returns the attributes, the index just after the first comma outside quotes (-1 if none)
    and the start of the first token that was not an attribute (-1 if none).
    """
    attrs: dict[str, str] = {}
    junk = -1
    end = len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        pos = m.end()
        key = m.group("key")
        if key is not None:
            value = m.group("dq")
            if value is None:
                value = m.group("sq")
                if value is None:
                    value = m.group("udq") or m.group("usq") or m.group("uq") or ""
            attrs[key.lower()] = value
        elif m.group("comma") is not None:
            return attrs, pos, junk
        elif junk < 0:
            junk = m.start("junk")
    return attrs, -1, junk


def _parse_extinf_slow(s: str) -> tuple[float | None, dict[str, str], str]:
    body = s[7:]  # after "#EXTINF", whatever its case
    if body[:1] == ":":
        body = body[1:]
    m = _DURATION.match(body)
    duration: float | None = None
    pos = 0
    if m is not None:
        duration = float(m.group(1))
        pos = m.end()
    attrs, comma, junk = _parse_attrs(body, pos)
    if comma >= 0:
        name = body[comma:]
    elif junk >= 0:
        # No comma at all: `#EXTINF:-1 Channel Name` still names the channel.
        name = body[junk:]
    else:
        name = ""
    return duration, attrs, name.strip()


def _parse_kodi_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for part in text.split("&"):
        key, sep, value = part.partition("=")
        key = unquote(key).strip()
        if sep and key:
            headers[_HEADER_NAMES.get(key.lower(), key)] = unquote(value).strip()
    return headers


def _derive_headers(
    attrs: Mapping[str, str],
    options: Mapping[str, str] | None,
    kodiprops: Mapping[str, str] | None,
    pipe: Mapping[str, str] | None,
) -> Mapping[str, str]:
    headers: dict[str, str] = {}
    if attrs:
        for key, name in _ATTR_HEADERS:
            value = attrs.get(key)
            if value:
                headers[name] = value
    if kodiprops:
        for key in _KODI_HEADER_PROPS:
            value = kodiprops.get(key)
            if value:
                headers.update(_parse_kodi_headers(value))
    if options:
        for key, name in _OPTION_HEADERS:
            value = options.get(key)
            if value:
                headers[name] = value
    if pipe:
        headers.update(pipe)
    return headers or _EMPTY


def _epg_urls(attrs: Mapping[str, str]) -> tuple[str, ...]:
    urls: dict[str, None] = {}
    for key in _EPG_KEYS:
        value = attrs.get(key)
        if value:
            for url in value.split(","):
                url = url.strip()
                if url:
                    urls[url] = None
    return tuple(urls)


def _snippet(text: str) -> str:
    return repr(text[:80] + ("…" if len(text) > 80 else ""))


def _describe(first: str, length: int | None = None) -> str:
    """What the first line is, never what it says: the input may be a file that was never
    meant to be shown (a key, a database) or an error page repeating the request's password,
    and the message lands in job records every user can read."""
    size = length if length is not None else len(first)
    if _is_binary(first):
        kind = "binary data"
    elif first.isascii():
        kind = "text"
    else:
        kind = "non-ASCII text"
    return f"its first line is {size:,} characters of {kind}"


def _looks_like(first: str) -> str | None:
    """What the first non-blank line says the input is, when that is clearly not a playlist."""
    c = first[0]
    if c in "{[":
        return "a JSON document"
    if c == "<":
        low = first[:512].lower()
        if low.startswith("<!doctype html") or "<html" in low or "<head" in low or "<body" in low:
            return "an HTML page"
        if "<tv" in low:
            return "an XMLTV guide"
        if low.startswith("<?xml"):
            return "an XML document"
        return "HTML or XML markup"
    return None


def _is_binary(line: str) -> bool:
    head = line[:4096]
    if "\x00" in head:
        return True
    # Text lines hold no control characters at all; random bytes give ~20% of them.
    return len(_CONTROL.findall(head)) * 20 > len(head)


# --- the parser --------------------------------------------------------------------------------


class M3UParser:
    """Incremental parser: feed text lines (str, with or without line endings), get entries.

    ``feed`` returns an entry when a line completes one. ``close`` must be called at the end of
    input: it reports a dangling ``#EXTINF`` and raises :class:`NotAPlaylistError` when nothing
    playlist-like was seen. Entries are yielded in file order; nothing is kept after it is
    returned except :attr:`skips` (capped at :data:`MAX_SKIPS`; :attr:`skipped` keeps counting).
    """

    __slots__ = (
        "_decided",
        "_first",
        "_first_len",
        "_group",
        "_kodi",
        "_lineno",
        "_nonblank",
        "_options",
        "_pending",
        "_sniff_chars",
        "base_url",
        "entries_seen",
        "header",
        "skipped",
        "skips",
        "source",
    )

    def __init__(self, *, source: str = "<playlist>", base_url: str | None = None) -> None:
        self.source = source
        self.base_url = base_url
        self.header = M3UHeader()
        self.skips: list[Skip] = []
        self.skipped = 0
        self.entries_seen = 0
        self._lineno = 0
        self._decided = False
        self._nonblank = 0
        self._sniff_chars = 0
        self._first = ""
        self._first_len = 0
        # (line, duration, attrs, name) of the #EXTINF waiting for its URL.
        self._pending: tuple[int, float | None, dict[str, str], str] | None = None
        self._options: dict[str, str] | None = None
        self._kodi: dict[str, str] | None = None
        self._group: str | None = None

    @property
    def line(self) -> int:
        """Number of lines fed so far."""
        return self._lineno

    def feed(self, line: str) -> M3UEntry | None:
        self._lineno = lineno = self._lineno + 1
        s = line.strip()
        if not s:
            return None
        if not self._decided:
            s = self._sniff(s)
            if not s:
                return None
        if s[0] == "#":
            if s.startswith("#EXTINF:"):
                m = _EXTINF_FAST.match(s)
                if m is not None:
                    d = m.group(1)
                    duration = _DURATIONS.get(d)
                    if duration is None:
                        duration = float(d)
                    a, b = m.span(2)
                    attrs = dict(_ATTR_FAST.findall(s, a, b)) if a != b else {}
                    name = s[m.end() :].strip()
                else:
                    duration, attrs, name = _parse_extinf_slow(s)
                if self._pending is not None:
                    self._drop_pending(lineno)
                self._pending = (lineno, duration, attrs, name)
            else:
                self._directive(s, lineno)
            return None

        pending = self._pending
        if pending is None:
            self._stray(s, lineno)
            return None
        self._pending = None
        options = self._options
        kodi = self._kodi
        group = self._group
        if options is not None or kodi is not None or group is not None:
            self._options = self._kodi = self._group = None

        pipe: dict[str, str] | None = None
        if s.startswith(("http://", "https://")) and "|" not in s:
            url = s
        else:
            checked = self._check_url(s, lineno, pending[0])
            if checked is None:
                return None
            url, pipe = checked

        attrs = pending[2]
        if options or kodi or pipe or (attrs and not _ATTR_HEADER_KEYS.isdisjoint(attrs)):
            headers = _derive_headers(attrs, options, kodi, pipe)
        else:
            headers = _EMPTY
        self.entries_seen += 1
        return _new_entry(
            pending[3],
            url,
            pending[1],
            pending[0],
            attrs,
            group,
            options or _EMPTY,
            kodi or _EMPTY,
            headers,
        )

    def close(self) -> None:
        """End of input: report a dangling ``#EXTINF``; refuse input that was never a playlist."""
        if self._pending is not None:
            self._skip(self._pending[0], "#EXTINF without a URL (end of input)")
            self._pending = None
        if not self._decided:
            if not self._nonblank:
                raise NotAPlaylistError("is empty, not a playlist", source=self.source)
            raise NotAPlaylistError(
                f"has no #EXTM3U or #EXTINF line, not a playlist ({_describe(self._first, self._first_len)})",
                source=self.source,
            )

    # -- rare paths, kept out of feed() so the common lines stay short ---------------------------

    def _sniff(self, s: str) -> str:
        if not self._nonblank:
            if s[0] == "\ufeff":
                s = s.lstrip("\ufeff").strip()
                if not s:
                    return s
            self._first = s[:200]
            self._first_len = len(s)
            what = _looks_like(s)
            if what is not None:
                self._refuse(f"looks like {what}, not a playlist ({_describe(s)})")
        self._nonblank += 1
        self._sniff_chars += len(s)
        if _is_binary(s):
            self._refuse("looks like binary data, not a playlist")
        head = s[:7].upper()
        if head == "#EXTM3U" or head == "#EXTINF":
            self._decided = True
        elif self._nonblank >= SNIFF_LINES or self._sniff_chars >= SNIFF_CHARS:
            self._refuse(
                f"has no #EXTM3U or #EXTINF line in its first {self._nonblank} lines, "
                f"not a playlist ({_describe(self._first, self._first_len)})"
            )
        return s

    def _refuse(self, message: str) -> None:
        raise NotAPlaylistError(message, source=self.source)

    def _skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.skips) < MAX_SKIPS:
            self.skips.append(Skip(line, reason))

    def _reset_directives(self) -> None:
        self._options = self._kodi = self._group = None

    def _drop_pending(self, lineno: int) -> None:
        assert self._pending is not None
        self._skip(self._pending[0], f"#EXTINF without a URL (next #EXTINF at line {lineno})")
        self._pending = None
        # Directives seen since belonged to the entry that is being dropped.
        self._reset_directives()

    def _directive(self, s: str, lineno: int) -> None:
        head = s[:11].upper()
        if head.startswith("#EXTVLCOPT:"):
            key, sep, value = s[11:].partition("=")
            key = key.strip().lower()
            if sep and key:
                if self._options is None:
                    self._options = {}
                self._options[key] = value.strip()
        elif head.startswith("#KODIPROP:"):
            key, sep, value = s[10:].partition("=")
            key = key.strip()
            if sep and key:
                if self._kodi is None:
                    self._kodi = {}
                self._kodi[key] = value.strip()
        elif head.startswith("#EXTGRP:"):
            self._group = s[8:].strip() or None
        elif head.startswith("#EXTINF"):
            # Lower-case tag or odd spacing: same meaning, general tokenizer.
            duration, attrs, name = _parse_extinf_slow(s)
            if self._pending is not None:
                self._drop_pending(lineno)
            self._pending = (lineno, duration, attrs, name)
        elif head.startswith("#EXTM3U"):
            self._header(s)
        # Anything else (#EXT-X-* HLS tags, #PLAYLIST, plain comments) carries nothing we use.

    def _header(self, s: str) -> None:
        attrs, _, _ = _parse_attrs(s, 7)
        if not attrs:
            return
        # A second #EXTM3U (concatenated playlists) may only add what the first did not say.
        merged = {**attrs, **self.header.attrs}
        self.header = M3UHeader(merged, _epg_urls(merged))

    def _stray(self, s: str, lineno: int) -> None:
        m = _SCHEME.match(s)
        if m is not None and s[m.end() : m.end() + 2] == "//":
            self._skip(lineno, f"URL without #EXTINF: {_snippet(s)}")
            self._reset_directives()
        # Other text outside a URL slot is junk some generators leave behind; ignore it.

    def _check_url(
        self, s: str, lineno: int, extinf_line: int
    ) -> tuple[str, dict[str, str] | None] | None:
        url, pipe = s, None
        bar = s.find("|")
        if bar >= 0 and "=" in s[bar:]:
            url = s[:bar].strip()
            pipe = _parse_kodi_headers(s[bar + 1 :]) or None
        m = _SCHEME.match(url)
        # One letter before ":" is a Windows drive, not a scheme.
        if m is not None and len(m.group(1)) > 1:
            scheme = m.group(1).lower()
            if scheme in URL_SCHEMES:
                return url, pipe
            if url[m.end() : m.end() + 2] == "//":
                why = f"unsupported URL scheme {scheme!r}"
            else:  # "Note: ..." is text with a colon, not a URL with an odd scheme
                why = "not a URL"
            self._skip(lineno, f"{why}: {_snippet(s)} (#EXTINF at line {extinf_line})")
            return None
        if self.base_url is not None and url and not any(c.isspace() for c in url):
            try:
                return urljoin(self.base_url, url), pipe
            except ValueError as exc:  # "//cdn]/x.ts": an invalid host, one entry's problem
                why = f"invalid URL ({exc})"
        else:
            why = "not a URL"
        self._skip(lineno, f"{why}: {_snippet(s)} (#EXTINF at line {extinf_line})")
        return None


# --- drivers -----------------------------------------------------------------------------------


def parse_lines(
    lines: Iterable[str],
    *,
    source: str = "<playlist>",
    base_url: str | None = None,
    parser: M3UParser | None = None,
) -> Iterator[M3UEntry]:
    """Parse text lines lazily. Pass ``parser`` to read its ``header``/``skips`` afterwards
    (its own ``source``/``base_url`` then apply)."""
    p = parser if parser is not None else M3UParser(source=source, base_url=base_url)
    feed = p.feed
    for line in lines:
        entry = feed(line)
        if entry is not None:
            yield entry
    p.close()


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", "replace")
    if _REAL_NON_ASCII.search(text):
        # Valid multi-byte sequences around the bad bytes: UTF-8 text with a few broken bytes.
        return text
    # No valid UTF-8 sequence at all: a legacy 8-bit playlist (Windows tools write cp1252).
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _decode_block(block: bytes) -> list[str]:
    """Decode bytes that end with a line break into lines without their line ends."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        # bytes.splitlines breaks on \n, \r\n and \r only, unlike str.splitlines.
        return [_decode_line(raw) for raw in block.splitlines()]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    lines.pop()
    return lines


class _LineSplitter:
    """Bytes chunks in, text lines out.

    Splitting happens on bytes before decoding: 0x0A/0x0D never occur inside a UTF-8 sequence,
    so a chunk boundary inside a multi-byte character cannot corrupt it, and each line can fall
    back to another encoding on its own.
    """

    __slots__ = ("_bom_done", "_buf", "_max", "_skip_lf", "_source", "unterminated")

    def __init__(self, source: str | None, max_line_bytes: int) -> None:
        self._buf = b""
        self.unterminated = False  # the input ended inside a line (no line end after it)
        self._skip_lf = False
        self._bom_done = False
        self._max = max_line_bytes
        self._source = source

    def feed(self, chunk: bytes) -> list[str]:
        if not chunk:
            return []
        if self._skip_lf:
            # The previous chunk ended with \r; a \n opening this one belongs to that line end.
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        data = self._buf + chunk if self._buf else chunk
        if not self._bom_done:
            if len(data) < 3 and b"\xef\xbb\xbf".startswith(data):
                self._buf = data
                return []
            self._bom_done = True
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            elif data.startswith(b"\x1f\x8b"):
                # A server that ignored Accept-Encoding, or a .m3u.gz saved as .m3u.
                raise NotAPlaylistError(
                    "looks like gzip-compressed data, not a playlist", source=self._source
                )
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if cut < 0:
            self._buf = data
            self._check_length()
            return []
        self._buf = data[cut + 1 :]
        self._skip_lf = data[cut] == 0x0D and not self._buf
        self._check_length()
        return _decode_block(data[: cut + 1])

    def close(self) -> list[str]:
        buf, self._buf = self._buf, b""
        if not buf:
            return []
        if not self._bom_done and b"\xef\xbb\xbf".startswith(buf):
            return []
        self.unterminated = True
        return [_decode_line(buf)]

    def _check_length(self) -> None:
        if len(self._buf) > self._max:
            raise NotAPlaylistError(
                f"has a line longer than {self._max} bytes, not a playlist", source=self._source
            )


class ChunkParser:
    """Bytes chunks in, entries out, one chunk at a time (a caller can hand each chunk to a
    worker thread, or yield to its event loop between them).

    After :meth:`close`, ``cut_entry`` is the line of an entry completed by a last line that had
    no line end: a download that stopped there may have cut its URL short. That entry is not
    returned; the caller decides whether the input can be trusted (a body of known length can).
    """

    __slots__ = ("_splitter", "cut_entry", "parser")

    def __init__(self, parser: M3UParser, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.parser = parser
        self._splitter = _LineSplitter(parser.source, max_line_bytes)
        self.cut_entry: M3UEntry | None = None

    @property
    def lines(self) -> int:
        return self.parser.line

    def feed(self, chunk: bytes) -> list[M3UEntry]:
        feed = self.parser.feed
        out: list[M3UEntry] = []
        for line in self._splitter.feed(chunk):
            entry = feed(line)
            if entry is not None:
                out.append(entry)
        return out

    def close(self) -> list[M3UEntry]:
        out: list[M3UEntry] = []
        for line in self._splitter.close():
            entry = self.parser.feed(line)
            if entry is not None:
                out.append(entry)
        if out and self._splitter.unterminated:
            self.cut_entry = out.pop()
        self.parser.close()
        return out


def iter_text_lines(
    chunks: Iterable[bytes], *, source: str | None = None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[str]:
    """Decode a byte stream into lines without line ends (\\n, \\r\\n and \\r all end a line)."""
    splitter = _LineSplitter(source, max_line_bytes)
    feed = splitter.feed
    for chunk in chunks:
        yield from feed(chunk)
    yield from splitter.close()


async def aiter_text_lines(
    chunks: AsyncIterable[bytes],
    *,
    source: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> AsyncIterator[str]:
    """:func:`iter_text_lines` for an async byte stream (e.g. ``response.aiter_bytes()``)."""
    splitter = _LineSplitter(source, max_line_bytes)
    feed = splitter.feed
    async for chunk in chunks:
        for line in feed(chunk):
            yield line
    for line in splitter.close():
        yield line


def parse_bytes(
    chunks: Iterable[bytes],
    *,
    source: str = "<playlist>",
    base_url: str | None = None,
    parser: M3UParser | None = None,
) -> Iterator[M3UEntry]:
    p = parser if parser is not None else M3UParser(source=source, base_url=base_url)
    return parse_lines(iter_text_lines(chunks, source=p.source), parser=p)


async def aparse_bytes(
    chunks: AsyncIterable[bytes],
    *,
    source: str = "<playlist>",
    base_url: str | None = None,
    parser: M3UParser | None = None,
) -> AsyncIterator[M3UEntry]:
    p = parser if parser is not None else M3UParser(source=source, base_url=base_url)
    feed = p.feed
    async for line in aiter_text_lines(chunks, source=p.source):
        entry = feed(line)
        if entry is not None:
            yield entry
    p.close()


def parse_file(
    path: str | os.PathLike[str], *, parser: M3UParser | None = None
) -> Iterator[M3UEntry]:
    """Stream a playlist file in 64 KiB reads; the file is opened on first iteration."""
    p = parser if parser is not None else M3UParser(source=os.fspath(path))
    with open(path, "rb") as fh:
        yield from parse_bytes(iter(partial(fh.read, 64 * 1024), b""), parser=p)


# --- writer ------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text) if ("\n" in text or "\r" in text) else text


def _quote_value(value: str) -> str:
    value = _one_line(value)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    # Both quote kinds: M3U has no escape, so the double quotes have to give way.
    return '"' + value.replace('"', "'") + '"'


def _attr_text(attrs: Mapping[str, str]) -> str:
    return "".join(f" {k}={_quote_value(v)}" for k, v in attrs.items() if _SAFE_KEY.fullmatch(k))


def _format_duration(duration: float | None) -> str:
    if duration is None:
        return "-1"
    if duration.is_integer():
        return str(int(duration))
    return repr(duration)


def _directive_line(tag: str, key: str, value: str) -> str | None:
    key = _one_line(key).strip()
    if not key or "=" in key:
        return None
    return f"{tag}:{key}={_one_line(value).strip()}\n"


def _url_text(entry: M3UEntry) -> str:
    # A literal "|" would read back as the start of Kodi headers.
    url = _LINE_BREAKS.sub("", entry.url).strip().replace("|", "%7C")
    if not entry.headers:
        return url
    implied = _derive_headers(entry.attrs, entry.options, entry.kodiprops, None)
    extra = [(k, v) for k, v in entry.headers.items() if implied.get(k) != v]
    if not extra:
        return url
    suffix = "&".join(f"{quote(k, safe='-')}={quote(v, safe='/:;,()')}" for k, v in extra)
    return f"{url}|{suffix}"


def write_m3u(entries: Iterable[M3UEntry], *, header: M3UHeader | None = None) -> Iterator[str]:
    """Yield playlist lines (each ending in ``\\n``) that this parser reads back unchanged."""
    head = "#EXTM3U"
    if header is not None:
        attrs: Mapping[str, str] = header.attrs
        if header.epg_urls and not any(attrs.get(k) for k in _EPG_KEYS):
            attrs = {**attrs, "x-tvg-url": ",".join(header.epg_urls)}
        head += _attr_text(attrs)
    yield head + "\n"
    for e in entries:
        url = _url_text(e)
        if not url:
            continue
        yield f"#EXTINF:{_format_duration(e.duration)}{_attr_text(e.attrs)},{_one_line(e.name).strip()}\n"
        if e.group is not None:
            yield f"#EXTGRP:{_one_line(e.group).strip()}\n"
        for tag, mapping in (("#EXTVLCOPT", e.options), ("#KODIPROP", e.kodiprops)):
            for k, v in mapping.items():
                line = _directive_line(tag, k, v)
                if line is not None:
                    yield line
        yield url + "\n"
