"""Single bad values cost one entry (with its line), never the whole playlist or guide."""

from __future__ import annotations

import io

from strmline.formats.m3u import ChunkParser, M3UParser, parse_bytes
from strmline.formats.xmltv import XmltvParser, XmltvProgramme

GOOD = b'#EXTM3U\n#EXTINF:-1 tvg-id="a",A\nhttp://h/a.ts\n'


def test_protocol_relative_url_with_a_bracket_is_one_skipped_entry() -> None:
    data = GOOD + b"#EXTINF:-1,Broken\n//cdn]/x.ts\n#EXTINF:-1,B\nhttp://h/b.ts\n"
    parser = M3UParser(source="t.m3u", base_url="http://provider.example/get.php")
    names = [e.name for e in parse_bytes([data], parser=parser)]
    assert names == ["A", "B"]
    assert parser.skipped == 1
    skip = parser.skips[0]
    assert skip.line == 5
    assert "invalid URL" in skip.reason and "line 4" in skip.reason


def test_chunk_parser_holds_back_an_entry_whose_url_line_has_no_end() -> None:
    chunks = ChunkParser(M3UParser(source="t.m3u"))
    data = GOOD + b"#EXTINF:-1,B\nhttp://h/b.t"
    out = [e.name for e in chunks.feed(data[:30])] + [e.name for e in chunks.feed(data[30:])]
    out += [e.name for e in chunks.close()]
    assert out == ["A"]
    assert chunks.cut_entry is not None and chunks.cut_entry.url == "http://h/b.t"


def test_chunk_parser_keeps_everything_when_the_last_line_ends() -> None:
    chunks = ChunkParser(M3UParser(source="t.m3u"))
    names = [e.name for e in chunks.feed(GOOD)] + [e.name for e in chunks.close()]
    assert names == ["A"] and chunks.cut_entry is None


def test_chunk_parser_matches_parse_bytes_on_any_chunking() -> None:
    data = GOOD * 3 + b"#EXTINF:-1,\xe9t\xe9\r\nhttp://h/c.ts\r\n"
    expected = [(e.name, e.url) for e in parse_bytes([data])]
    for size in (1, 2, 7, 64):
        chunks = ChunkParser(M3UParser())
        got = []
        for i in range(0, len(data), size):
            got += [(e.name, e.url) for e in chunks.feed(data[i : i + size])]
        got += [(e.name, e.url) for e in chunks.close()]
        assert got == expected, size


def _guide(title: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><tv><channel id="a"><display-name>A</display-name></channel>'
        b'<programme channel="a" start="20260101000000 +0000" stop="20260101010000 +0000">'
        b"<title>" + title + b"</title></programme>"
        b'<programme channel="a" start="20260101010000 +0000"><title>Next</title></programme>'
        b"</tv>"
    )


def test_invalid_character_references_become_replacement_characters() -> None:
    for ref in (b"&#xD800;", b"&#55296;", b"&#x1;", b"&#xFFFE;", b"&#x110000;", b"&#0;"):
        items = list(XmltvParser(io.BytesIO(_guide(b"Bad " + ref + b" title")), source="g"))
        titles = [i.title for i in items if isinstance(i, XmltvProgramme)]
        assert titles == ["Bad \ufffd title", "Next"], ref


def test_valid_character_references_are_kept() -> None:
    items = list(XmltvParser(io.BytesIO(_guide(b"Caf&#xE9; &#233; &#x1F600;")), source="g"))
    titles = [i.title for i in items if isinstance(i, XmltvProgramme)]
    assert titles[0] == "Café é \U0001f600"
