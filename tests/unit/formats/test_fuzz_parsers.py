"""Fuzzing the M3U and XMLTV parsers (hypothesis, a few seconds in all).

Inputs are real lines (built in, plus lines of the iptv-org playlists and guides in
../shared/data when present) mixed with arbitrary text and bytes and cut into arbitrary chunks.
The property: a parser either returns entries or refuses the whole input with its own error
(FormatError / NotAPlaylistError, one line); it never raises anything else, and chunking never
changes what it returns. Every input that ever crashed a parser is kept as an ``@example``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from strmline.errors import FormatError
from strmline.formats.m3u import ChunkParser, M3UParser, parse_bytes
from strmline.formats.xmltv import XmltvParser

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "iptv-org"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

M3U_SEEDS = [
    "#EXTM3U",
    '#EXTM3U x-tvg-url="http://epg.example/guide.xml.gz"',
    '#EXTINF:-1 tvg-id="bbc1.uk" tvg-chno="101" group-title="UK",BBC One HD',
    "#EXTINF:-1,Plain name",
    "#EXTINF:0 tvg-name='single' group-title=News,CNN, International",
    "#EXTVLCOPT:http-user-agent=VLC/3.0",
    "#KODIPROP:inputstream.adaptive.license_type=com.widevine.alpha",
    "#EXTGRP:Sports",
    "http://streams.example/live/u/p/1.ts",
    "https://cdn.example/hls/index.m3u8|User-Agent=Mozilla&Referer=http://x/",
    "//cdn]/x.ts",
    "relative/path.ts",
    "rtmp://media.example/live/stream",
    "http://[::1]:8080/x.ts",
    "<html><body>login</body></html>",
    '{"user_info":{"auth":0}}',
    "",
]

XML_SEEDS = [
    '<channel id="a.uk"><display-name>A &amp; B</display-name><icon src="http://i/a.png"/></channel>',
    '<programme channel="a.uk" start="20260101000000 +0000" stop="20260101010000 +0000">'
    "<title>News</title><desc>Today</desc></programme>",
    '<programme channel="a.uk" start="20260101010000 +0100"><title lang="en">Bad &#xD800; one</title>'
    '<episode-num system="xmltv_ns">0.1.</episode-num></programme>',
    '<programme channel="a.uk" start="null" stop="20260101010000"><title>x</title></programme>',
    "<title>Fish & Chips &eacute;<br></title>",
    "<!-- comment --><?pi x?>",
]


def _shared_lines(pattern: str, limit: int) -> list[str]:
    lines: list[str] = []
    for path in sorted(SHARED.glob(pattern))[:4]:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for _ in range(limit):
                line = fh.readline()
                if not line:
                    break
                lines.append(line.rstrip("\n"))
    return lines


def _m3u_lines(seeds: list[str]) -> st.SearchStrategy[list[str]]:
    line = st.one_of(
        st.sampled_from(seeds),
        st.text(max_size=60),
        st.sampled_from(seeds).map(lambda s: s[: len(s) // 2]),  # cut half way
    )
    return st.lists(line, max_size=40)


def _check_m3u(lines: list[str], tail: bytes, cuts: list[int], newline: bytes) -> None:
    data = newline.join(line.encode("utf-8", "surrogatepass") for line in lines) + tail
    try:
        whole = [(e.name, e.url, e.line) for e in parse_bytes([data], base_url="http://b/p.m3u")]
    except FormatError as exc:
        assert "\n" not in str(exc)
        return
    # Any chunking gives the same entries (the last one held back when its line had no end).
    chunks = ChunkParser(M3UParser(base_url="http://b/p.m3u"))
    got = []
    start = 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        got += [(e.name, e.url, e.line) for e in chunks.feed(data[start:cut])]
        start = max(start, cut)
    got += [(e.name, e.url, e.line) for e in chunks.close()]
    if chunks.cut_entry is not None:
        got.append((chunks.cut_entry.name, chunks.cut_entry.url, chunks.cut_entry.line))
    assert got == whole


@FUZZ
@given(
    lines=_m3u_lines(M3U_SEEDS),
    tail=st.binary(max_size=16),
    cuts=st.lists(st.integers(min_value=0, max_value=4096), max_size=6),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
@example(lines=["#EXTM3U", "#EXTINF:-1,Broken", "//cdn]/x.ts"], tail=b"", cuts=[], newline=b"\n")
@example(
    lines=["#EXTM3U", "#EXTINF:-1,X", "http://h/x.ts"], tail=b"\xed\xa0", cuts=[3], newline=b"\r"
)
def test_m3u_parser_never_crashes(
    lines: list[str], tail: bytes, cuts: list[int], newline: bytes
) -> None:
    _check_m3u(lines, tail, cuts, newline)


def _check_xmltv(fragments: list[str], junk: bytes, close: bool) -> None:
    body = "".join(fragments).encode("utf-8", "surrogatepass") + junk
    doc = b'<?xml version="1.0" encoding="UTF-8"?>\n<tv>' + body + (b"</tv>" if close else b"")
    try:
        list(XmltvParser(io.BytesIO(doc), source="fuzz.xml"))
    except FormatError as exc:
        assert "\n" not in str(exc).strip()


_XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40).map(
    lambda t: f"<title>{t}</title>"
)


@FUZZ
@given(
    fragments=st.lists(
        st.one_of(st.sampled_from(XML_SEEDS), _XML_TEXT, st.text(max_size=30)), max_size=12
    ),
    junk=st.binary(max_size=12),
    close=st.booleans(),
)
@example(fragments=[XML_SEEDS[2]], junk=b"", close=True)
@example(fragments=["<title>&#0;&#x110000;&#xFFFF;</title>"], junk=b"\xff", close=True)
def test_xmltv_parser_never_crashes(fragments: list[str], junk: bytes, close: bool) -> None:
    _check_xmltv(fragments, junk, close)


def _needs_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"real IPTV data not found at {SHARED} (only present beside the dev repo)")


def test_fuzz_seeded_with_real_playlists_and_guides() -> None:
    """The same properties, seeded with lines of the real iptv-org playlists and guides."""
    _needs_shared()
    m3u_seeds = M3U_SEEDS + _shared_lines("streams/*.m3u", 60)
    xml_seeds = XML_SEEDS + [
        line for line in _shared_lines("epg/guides/*.xml", 40) if "<tv" not in line
    ]

    @FUZZ
    @given(
        lines=_m3u_lines(m3u_seeds),
        cuts=st.lists(st.integers(min_value=0, max_value=8192), max_size=6),
    )
    def m3u(lines: list[str], cuts: list[int]) -> None:
        _check_m3u(lines, b"", cuts, b"\n")

    @FUZZ
    @given(
        fragments=st.lists(st.one_of(st.sampled_from(xml_seeds), _XML_TEXT), max_size=12),
        close=st.booleans(),
    )
    def xmltv(fragments: list[str], close: bool) -> None:
        _check_xmltv(fragments, b"", close)

    m3u()
    xmltv()
