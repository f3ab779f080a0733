"""XMLTV: a streaming, hostile-input-safe parser and the small writer helpers the outputs share.

Pure: takes a binary file-like object, yields frozen dataclasses, never touches the network or
the file system. Real guides are often not well-formed (raw ``&``, unclosed HTML inside titles,
``stop="null"``, invalid bytes), so the parser recovers what it can and counts what it could not,
but a document that stops half way is an error: importing it would look like a guide that ends
early, so the caller must keep the previous one.

Safety: entities are never resolved (no XXE, no "billion laughs"), no network, no DTD loading,
libxml2's huge-tree limits stay on, and elements are cleared as soon as they are read, so memory
is bounded by one programme, not by the document.
"""

from __future__ import annotations

import codecs
import html
import html.entities
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import IO, Protocol
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from strmline.errors import FormatError

__all__ = [
    "ParseStats",
    "XmltvChannel",
    "XmltvParser",
    "XmltvProgramme",
    "channel_element",
    "clean_text",
    "format_time",
    "parse_time",
    "programme_element",
]

CHUNK = 256 * 1024
MAX_TEXT = 8000  # stored per text field; a 10 MB description helps nobody's guide grid
MAX_SHORT = 100
MAX_ERROR_SAMPLES = 5

# Abbreviations seen in real guides; anything else is tried as an IANA name ("Europe/Paris").
_ABBREVIATIONS = {
    "Z": 0,
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "WET": 0,
    "BST": 60,
    "IST": 60,
    "WEST": 60,
    "CET": 60,
    "MET": 60,
    "CEST": 120,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}
_TIME_RE = re.compile(
    r"\s*(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:[.,]\d+)?\s*"
    r"(?:([+-])(\d{2}):?(\d{2})?|([A-Za-z][A-Za-z0-9/_+-]*))?\s*$"
)
# A bare "&" that does not start an entity or character reference.
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_:][\w.:-]{0,40}|#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,8});)")
# HTML named entities (&eacute;, &nbsp;) that XML does not define. libxml2 reports each as an
# error and, once it has, silently drops even &amp; for the rest of the document.
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
# Character references; one naming a character XML forbids (&#xD800;, &#1;) made lxml hand back
# text Python cannot decode, which failed the whole guide.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,8}));")
# HTML void elements some scrapers leave inside <title>; unclosed, they swallow the programme.
_VOID_TAG = re.compile(rb"<(img|br|hr)\b([^<>]*?)/?>", re.IGNORECASE)
# Bytes that may never appear in XML 1.0 (C0 controls except tab, newline, carriage return).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))
_ENCODING_RE = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Errors that mean the document ended before its end, whatever recover mode made of it.
_FATAL_ERRORS = frozenset({"ERR_DOCUMENT_END", "ERR_TAG_NOT_FINISHED", "ERR_DOCUMENT_EMPTY"})

MAX_DURATION = timedelta(hours=24)  # longer is a missing stop followed by a gap, not a show


@dataclass(frozen=True, slots=True)
class XmltvChannel:
    id: str
    display_names: tuple[str, ...]
    icon: str | None
    line: int


@dataclass(frozen=True, slots=True)
class XmltvProgramme:
    channel: str
    start: datetime
    stop: datetime | None  # None: missing, "null" or unreadable; the importer decides
    title: str
    sub_title: str | None
    desc: str | None
    categories: tuple[str, ...]
    episode_num: str | None  # xmltv_ns
    episode_onscreen: str | None
    icon: str | None
    rating: str | None
    line: int
    stop_unreadable: bool = False  # a stop was given but could not be read (not "null")


@dataclass
class ParseStats:
    channels: int = 0
    programmes: int = 0
    errors: int = 0  # XML errors recovered from
    skipped: int = 0  # programmes dropped: no channel, no readable start
    untitled: int = 0  # programmes without a title (kept, titled from the channel)
    bad_stop: int = 0
    samples: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append(message)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo | None:
    minutes = _ABBREVIATIONS.get(name.upper())
    if minutes is not None:
        return timezone(timedelta(minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=65_536)
def parse_time(text: str) -> datetime | None:
    """An XMLTV time (``YYYYMMDDhhmmss ±HHMM`` and shorter forms) as an aware UTC datetime.

    No zone means UTC (the XMLTV DTD's rule). Named zones are applied with their DST rules.
    Returns None for anything unreadable, including the ``"null"`` some scrapers write.
    Cached: a programme's stop is usually the next one's start, so most strings come twice.
    """
    m = _TIME_RE.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, sign, zh, zm, name = m.groups()
    try:
        local = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return None
    zone: tzinfo | None
    if sign:
        minutes = int(zh) * 60 + int(zm or 0)
        if minutes >= 24 * 60:
            return None
        zone = timezone(timedelta(minutes=-minutes if sign == "-" else minutes))
    elif name:
        zone = _zone(name)
        if zone is None:
            return None
    else:
        zone = UTC
    return local.replace(tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=65_536)
def format_time(value: datetime) -> str:
    # Cached: a guide repeats the same few thousand slot boundaries across its channels.
    v = value.astimezone(UTC)
    return f"{v.year:04d}{v.month:02d}{v.day:02d}{v.hour:02d}{v.minute:02d}{v.second:02d} +0000"


def clean_text(text: str) -> str:
    """Text safe to put in XML 1.0: characters it forbids removed."""
    return _INVALID_XML_CHARS.sub("", text)


class _SanitisingReader:
    """A file-like filter in front of libxml2 that repairs the common garbage without buffering.

    Bare ``&`` becomes ``&amp;`` (tvguide.co.uk writes channel ids like ``Home & Health``),
    control bytes are dropped, and invalid UTF-8 becomes U+FFFD: libxml2 gives up at the first
    bad byte even in recover mode, which would lose the rest of the guide. Remembers the tail of
    the document so the parser can tell a finished document from a truncated one.
    """

    def __init__(self, raw: _Readable) -> None:
        self._raw = raw
        self._carry = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._first = True
        self._eof = False
        self.nbytes = 0
        self.tail = b""

    def read(self, size: int = CHUNK) -> bytes:
        while True:
            if self._eof:
                return b""
            data = self._raw.read(max(size, 4096))
            if not data:
                self._eof = True
                out = self._carry
                if self._decoder is not None:
                    out = self._decoder.decode(out, final=True).encode() if out else b""
                self._carry = b""
                out = self._filter(out)
                self._remember(out)
                return out
            self.nbytes += len(data)
            if self._first:
                self._first = False
                declared = _ENCODING_RE.search(data[:300])
                encoding = declared.group(1).decode().lower() if declared else "utf-8"
                if encoding.replace("_", "-") in ("utf-8", "utf8"):
                    self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
            data = self._carry + data
            self._carry = b""
            # Hold back a trailing "&…" or "<…" that the chunk boundary may have cut in two.
            amp = data.rfind(b"&", max(0, len(data) - 64))
            if amp >= 0 and b";" not in data[amp:]:
                data, self._carry = data[:amp], data[amp:]
            lt = data.rfind(b"<")
            if lt >= 0 and b">" not in data[lt:]:
                data, self._carry = data[:lt], data[lt:] + self._carry
            if self._decoder is not None:
                data = self._decoder.decode(data).encode()
            out = self._filter(data)
            if out:
                self._remember(out)
                return out

    @staticmethod
    def _filter(data: bytes) -> bytes:
        data = data.translate(None, _CONTROL)
        if b"&" in data:
            data = _BARE_AMP.sub(b"&amp;", data)
            data = _NAMED_ENTITY.sub(_numeric_entity, data)
            if b"&#" in data:
                data = _CHAR_REF.sub(_valid_char_ref, data)
        if b"<img" in data or b"<br" in data or b"<hr" in data or b"<IMG" in data:
            data = _VOID_TAG.sub(rb"<\1\2/>", data)
        return data

    def _remember(self, out: bytes) -> None:
        self.tail = (self.tail + out)[-256:]


def _valid_char_ref(m: re.Match[bytes]) -> bytes:
    hex_digits, digits = m.group(1), m.group(2)
    code = int(hex_digits, 16) if hex_digits is not None else int(digits)
    if code in (0x9, 0xA, 0xD) or (
        (0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF) and code not in (0xFFFE, 0xFFFF)
    ):
        return m.group(0)
    return b"&#xFFFD;"


def _numeric_entity(m: re.Match[bytes]) -> bytes:
    name = m.group(1)
    if name in _XML_ENTITIES:
        return m.group(0)
    chars = html.entities.html5.get(name.decode() + ";")
    if chars is None:
        return m.group(0)  # maybe declared in the document's DTD; never resolved anyway
    return "".join(f"&#{ord(c)};" for c in chars).encode()


def _text(el: etree._Element) -> str:
    # HTML inside a title (<img …>) becomes child elements; keep all the text.
    text = "".join(t for t in el.itertext() if isinstance(t, str)) if len(el) else el.text or ""
    if "&" in text:
        # Scrapers that escape twice ("&amp;amp;", "&amp;nbsp;") leave entities in the text.
        text = html.unescape(text)
    return text.replace("\xa0", " ").strip()


class XmltvParser:
    """Iterate ``XmltvChannel`` and ``XmltvProgramme`` items of one document.

    ``stats`` is filled while iterating. Raises FormatError (with the line) when the document
    is not XMLTV, or ends before ``</tv>``.
    """

    def __init__(self, stream: IO[bytes] | _Readable, *, source: str | None = None) -> None:
        self._reader = _SanitisingReader(stream)
        self.source = source
        self.stats = ParseStats()
        self.last_line = 0

    @property
    def bytes_read(self) -> int:
        return self._reader.nbytes

    def __iter__(self) -> Iterator[XmltvChannel | XmltvProgramme]:
        parser = etree.iterparse(
            self._reader,
            events=("end",),
            tag=("channel", "programme"),
            recover=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        root_checked = False
        try:
            for _event, el in parser:
                if not root_checked:
                    root_checked = True
                    root = el.getroottree().getroot()
                    if root.tag != "tv":
                        raise self._error(f"not an XMLTV document (root <{root.tag}>)", 1)
                line = el.sourceline or 0
                self.last_line = line
                item = self._item(el, line)
                # Free what was read: the element, and the siblings before it under <tv>.
                el.clear()
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
                if item is not None:
                    yield item
        except etree.XMLSyntaxError as exc:
            raise self._error(str(exc), exc.lineno or self.last_line) from None
        self._finish(parser, root_checked)

    def _item(self, el: etree._Element, line: int) -> XmltvChannel | XmltvProgramme | None:
        try:
            return self._programme(el, line) if el.tag == "programme" else self._channel(el, line)
        except ValueError as exc:
            # Text lxml cannot hand to Python (a character the sanitiser did not catch): this
            # element is lost, with its line, and the rest of the guide is read.
            self.stats.errors += 1
            if el.tag == "programme":
                self.stats.skipped += 1
            self.stats.note(f"line {line}: unreadable <{el.tag}> ({type(exc).__name__})")
            return None

    def _finish(self, parser: etree.iterparse, root_checked: bool) -> None:
        stats = self.stats
        fatal: tuple[int, str] | None = None
        for entry in parser.error_log:
            stats.errors += 1
            stats.note(f"line {entry.line}: {entry.message.strip()}")
            if entry.type_name in _FATAL_ERRORS and fatal is None:
                fatal = (entry.line, entry.message.strip())
        if not root_checked:
            root = parser.root
            if root is None or self._reader.nbytes == 0:
                raise self._error("empty document", 1)
            if root.tag != "tv":
                raise self._error(f"not an XMLTV document (root <{root.tag}>)", 1)
        if not self._reader.tail.rstrip().endswith(b"</tv>"):
            line = fatal[0] if fatal else self.last_line
            raise self._error("the document ends before </tv> (truncated download?)", line)
        if fatal is not None:
            raise self._error(f"the document is cut short: {fatal[1]}", fatal[0])

    def _error(self, message: str, line: int) -> FormatError:
        where = f"line {line}: " if line else ""
        return FormatError(f"{where}{message}", source=self.source, details={"line": line})

    def _channel(self, el: etree._Element, line: int) -> XmltvChannel | None:
        ident = (el.get("id") or "").strip()
        if not ident:
            self.stats.errors += 1
            self.stats.note(f"line {line}: <channel> without an id")
            return None
        names: list[str] = []
        icon: str | None = None
        for child in el:
            tag = child.tag
            if tag == "display-name":
                name = _text(child)
                if name and name not in names:
                    names.append(name[: MAX_SHORT * 3])
            elif tag == "icon" and icon is None:
                icon = child.get("src") or None
        self.stats.channels += 1
        return XmltvChannel(ident[:200], tuple(names), icon, line)

    def _programme(self, el: etree._Element, line: int) -> XmltvProgramme | None:
        stats = self.stats
        channel = (el.get("channel") or "").strip()
        start = parse_time(el.get("start") or "")
        if not channel or start is None:
            stats.skipped += 1
            stats.note(f"line {line}: programme without a channel or a readable start")
            return None
        stop_text = el.get("stop")
        stop = parse_time(stop_text) if stop_text else None
        unreadable = bool(stop_text) and stop is None and stop_text != "null"
        if unreadable:
            stats.bad_stop += 1
        fields = _ProgrammeFields()
        for child in el:
            read = _CHILD_READERS.get(child.tag)
            if read is not None:
                read(fields, child)
        if fields.title is None:
            stats.untitled += 1
        stats.programmes += 1
        return XmltvProgramme(
            channel=channel[:200],
            start=start,
            stop=stop,
            title=(fields.title or "")[:MAX_TEXT],
            sub_title=fields.sub_title,
            desc=fields.desc,
            categories=tuple(fields.categories),
            episode_num=fields.episode_num,
            episode_onscreen=fields.onscreen,
            icon=fields.icon,
            rating=fields.rating,
            line=line,
            stop_unreadable=unreadable,
        )


class _ProgrammeFields:
    """What a programme's child elements say; the first usable one of each kind wins."""

    __slots__ = (
        "categories",
        "desc",
        "episode_num",
        "icon",
        "onscreen",
        "rating",
        "sub_title",
        "title",
    )

    def __init__(self) -> None:
        self.title: str | None = None
        self.sub_title: str | None = None
        self.desc: str | None = None
        self.categories: list[str] = []
        self.episode_num: str | None = None
        self.onscreen: str | None = None
        self.icon: str | None = None
        self.rating: str | None = None

    def read_title(self, child: etree._Element) -> None:
        if self.title is None:
            self.title = _text(child) or None

    def read_sub_title(self, child: etree._Element) -> None:
        if self.sub_title is None:
            self.sub_title = _text(child)[:MAX_TEXT] or None

    def read_desc(self, child: etree._Element) -> None:
        if self.desc is None:
            self.desc = _text(child)[:MAX_TEXT] or None

    def read_category(self, child: etree._Element) -> None:
        text = _text(child)
        if text and text not in self.categories and len(self.categories) < 10:
            self.categories.append(text[:MAX_SHORT])

    def read_episode_num(self, child: etree._Element) -> None:
        number = _text(child)[:MAX_SHORT] or None
        system = child.get("system")
        if system == "xmltv_ns":
            self.episode_num = self.episode_num or number
        elif system == "onscreen" or system is None:
            self.onscreen = self.onscreen or number

    def read_icon(self, child: etree._Element) -> None:
        if self.icon is None:
            self.icon = child.get("src") or _text(child) or None

    def read_rating(self, child: etree._Element) -> None:
        if self.rating is None:
            value = child.find("value")
            text = _text(value) if value is not None else _text(child)
            self.rating = text[:50] or None


_CHILD_READERS: dict[object, Callable[[_ProgrammeFields, etree._Element], None]] = {
    "title": _ProgrammeFields.read_title,
    "sub-title": _ProgrammeFields.read_sub_title,
    "desc": _ProgrammeFields.read_desc,
    "category": _ProgrammeFields.read_category,
    "episode-num": _ProgrammeFields.read_episode_num,
    "icon": _ProgrammeFields.read_icon,
    "image": _ProgrammeFields.read_icon,
    "rating": _ProgrammeFields.read_rating,
}


# --- writing ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    return clean_text(text) if not text.isprintable() else text


def _el(tag: str, text: str, attrs: str = "") -> str:
    return f"<{tag}{attrs}>{_escape(text)}</{tag}>"


def _attr(value: str) -> str:
    return quoteattr(clean_text(value))


def channel_element(ident: str, display_names: list[str], icon: str | None) -> str:
    """One ``<channel>`` in DTD order: display-name+, icon*."""
    parts = [f"<channel id={_attr(ident)}>"]
    parts.extend(_el("display-name", n) for n in display_names or [ident])
    if icon:
        parts.append(f"<icon src={_attr(icon)}/>")
    parts.append("</channel>\n")
    return "".join(parts)


def programme_element(
    channel: str,
    start: datetime,
    stop: datetime,
    title: str,
    *,
    sub_title: str | None = None,
    desc: str | None = None,
    categories: list[str] | tuple[str, ...] | None = None,
    icon: str | None = None,
    episode_num: str | None = None,
    episode_onscreen: str | None = None,
    rating: str | None = None,
) -> str:
    """One ``<programme>`` with its children in the order the XMLTV DTD requires."""
    parts = [
        f'<programme start="{format_time(start)}" stop="{format_time(stop)}" '
        f"channel={_attr(channel)}>",
        _el("title", title or "?"),
    ]
    if sub_title:
        parts.append(_el("sub-title", sub_title))
    if desc:
        parts.append(_el("desc", desc))
    for category in categories or ():
        parts.append(_el("category", category))
    if icon:
        parts.append(f"<icon src={_attr(icon)}/>")
    if episode_num:
        parts.append(_el("episode-num", episode_num, ' system="xmltv_ns"'))
    if episode_onscreen:
        parts.append(_el("episode-num", episode_onscreen, ' system="onscreen"'))
    if rating:
        parts.append(f"<rating>{_el('value', rating)}</rating>")
    parts.append("</programme>\n")
    return "".join(parts)
