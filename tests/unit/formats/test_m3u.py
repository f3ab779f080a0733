"""M3U parser and writer: one fixture per real-world quirk, chunked/async input, round trips."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from strmline.errors import NotAPlaylistError
from strmline.formats.m3u import (
    MAX_SKIPS,
    M3UEntry,
    M3UHeader,
    M3UParser,
    Skip,
    aiter_text_lines,
    aparse_bytes,
    iter_text_lines,
    parse_bytes,
    parse_file,
    parse_lines,
    write_m3u,
)


@pytest.fixture(scope="module")
def m3u_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "m3u"


def parse(path: Path, **kwargs: object) -> tuple[list[M3UEntry], M3UParser]:
    parser = M3UParser(source=str(path), **kwargs)  # type: ignore[arg-type]
    return list(parse_file(path, parser=parser)), parser


def by_name(entries: list[M3UEntry]) -> dict[str, M3UEntry]:
    return {e.name: e for e in entries}


def comparable(entries: list[M3UEntry]) -> list[tuple[object, ...]]:
    """Everything but the line number, which a rewritten file is free to change.

    An unknown duration is written as the conventional -1 (players choke on `#EXTINF:,Name`),
    so None and -1 count as the same.
    """
    return [
        (
            e.name,
            e.url,
            -1.0 if e.duration is None else e.duration,
            dict(e.attrs),
            e.group,
            dict(e.options),
            dict(e.kodiprops),
            dict(e.headers),
        )
        for e in entries
    ]


# --- layout quirks -----------------------------------------------------------------------------


def test_indentation_blank_and_comment_lines(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "indented.m3u")
    assert [(e.name, e.url, e.line, e.tvg_id) for e in entries] == [
        ("One", "http://example.com/one.m3u8", 3, "one.us"),
        ("Two", "http://example.com/two.m3u8", 7, "two.us"),
    ]
    assert parser.skips == []
    assert parser.entries_seen == 2


def test_bom_and_crlf(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "bom_crlf.m3u")
    assert [(e.name, e.url, e.line) for e in entries] == [
        ("Bömisch TV", "http://example.com/bom.m3u8", 2),
        ("Zweiter", "http://example.com/2.m3u8", 4),  # last line has no line end
    ]
    assert parser.skips == []


def test_lone_cr_line_ends(m3u_dir: Path) -> None:
    entries, _ = parse(m3u_dir / "lone_cr.m3u")
    assert [(e.name, e.url, e.line) for e in entries] == [
        ("Mac Classic", "http://example.com/cr.m3u8", 2),
        ("Deux", "http://example.com/2", 5),
    ]


def test_durations(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "durations.m3u")
    assert [(e.name, e.duration) for e in entries] == [
        ("Spaced", -1.0),
        ("No Attrs", -1.0),
        ("Zero", 0.0),
        ("Decimal", -1.0),
        ("Ten And A Half", 10.5),
        ("No Duration", None),
        ("Lower Case Tag", -1.0),
    ]
    assert entries[0].tvg_id == "a"
    assert entries[1].attrs == {}
    assert entries[-1].tvg_id == "g"
    assert parser.skips == []


def test_attribute_quoting(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "quoted.m3u")
    e = by_name(entries)
    assert e["Single"].attrs == {"tvg-id": "single.us", "tvg-name": "Single Quoted"}
    assert e["Bare Values"].attrs == {"tvg-id": "bare.us", "tvg-chno": "7", "group-title": "News"}
    assert e["Bare Values"].tvg_chno == "7"
    assert e["Mixed Case Keys"].attrs == {"tvg-id": "Upper.us", "group-title": "Mixed"}
    smith = e["Smith, John Show"]
    assert smith.tvg_name == "Smith, John"
    assert smith.group_title == "News, Weather"
    assert e["A = B"].tvg_logo == "http://img.example.com/l.png?a=1&b=2"
    assert e["Glued Attrs"].attrs == {"tvg-id": "nospace.us", "tvg-name": "Glued"}
    assert e["Quotes Inside"].attrs == {"tvg-name": "It's here", "tvg-id": 'say "hi"'}
    assert e["Channel Without Comma"].tvg_id == "x"
    # An unterminated quote stops at the comma instead of swallowing the name.
    assert e["Name After"].tvg_name == "Unterminated"
    assert e["Catchup"].attrs == {
        "tvg-id": "cu.us",
        "catchup": "default",
        "catchup-days": "7",
        "catchup-source": "?utc={utc}&lutc={lutc}",
        "tvg-shift": "-2",
        "radio": "false",
    }
    assert len(entries) == 10
    assert parser.skips == []


def test_headers_from_every_source(m3u_dir: Path) -> None:
    entries, _ = parse(m3u_dir / "kodi_headers.m3u")
    e = by_name(entries)
    pipe = e["Pipe Headers"]
    assert pipe.url == "http://example.com/pipe.m3u8"
    assert pipe.headers == {"User-Agent": "Mozilla/5.0 (Kodi)", "Referer": "http://example.org/"}
    assert pipe.user_agent == "Mozilla/5.0 (Kodi)"
    vlc = e["VLC Options"]
    assert vlc.options == {
        "http-user-agent": "VLC/3.0 LibVLC",
        "http-referrer": "http://ref.example.org/",
        "network-caching": "1000",
    }
    assert vlc.headers == {"User-Agent": "VLC/3.0 LibVLC", "Referer": "http://ref.example.org/"}
    assert e["Attribute Agent"].headers == {"User-Agent": "AttrAgent/1.0"}
    kodi = e["Kodi Props"]
    assert kodi.kodiprops == {
        "inputstream.adaptive.license_type": "com.widevine.alpha",
        "inputstream.adaptive.manifest_type": "mpd",
    }
    assert kodi.options == {} and kodi.headers == {}
    # The URL suffix is the most specific, then #EXTVLCOPT, then the attribute.
    assert e["Precedence"].headers == {"User-Agent": "PipeAgent/3.0"}
    assert e["Precedence"].url == "http://example.com/all.m3u8"
    plain = e["No Headers After Reset"]
    assert (plain.options, plain.kodiprops, plain.headers, plain.user_agent) == ({}, {}, {}, None)


def test_extgrp_applies_to_one_entry(m3u_dir: Path) -> None:
    entries, _ = parse(m3u_dir / "extgrp.m3u")
    assert [(e.name, e.group, e.group_title) for e in entries] == [
        ("News One", "News", "News"),
        ("No Group", None, None),
        ("Attr Wins", "Sports", "Sport Attr"),
    ]


def test_extinf_without_url(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "missing_url.m3u")
    assert [e.name for e in entries] == ["Found"]
    # The dropped entry's #EXTVLCOPT must not leak into the next one.
    assert entries[0].headers == {}
    assert [s.line for s in parser.skips] == [2, 6]
    assert all(s.reason.startswith("#EXTINF without a URL") for s in parser.skips)
    assert "line 4" in parser.skips[0].reason
    assert "end of input" in parser.skips[1].reason


def test_url_slot_validation(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "bad_urls.m3u")
    assert [(e.name, e.url) for e in entries] == [
        ("Good One", "rtmp://example.com/live/stream"),
        ("UDP", "udp://@239.0.0.1:1234"),
    ]
    skips = [(s.line, s.reason.split(":")[0]) for s in parser.skips]
    assert skips == [
        (4, "not a URL"),
        (6, "unsupported URL scheme 'ftp'"),
        (8, "not a URL"),
        (11, "URL without #EXTINF"),
        (15, "not a URL"),
    ]
    assert "'foo bar'" in parser.skips[0].reason
    assert "#EXTINF at line 3" in parser.skips[0].reason


def test_skips_are_capped_but_counted() -> None:
    lines = ["#EXTM3U", "#EXTINF:-1,Note", "Note: back soon"]
    lines += [f"http://example.com/{i}" for i in range(MAX_SKIPS + 5)]
    parser = M3UParser()
    assert list(parse_lines(lines, parser=parser)) == []
    assert parser.skips[0] == Skip(3, "not a URL: 'Note: back soon' (#EXTINF at line 2)")
    assert len(parser.skips) == MAX_SKIPS
    assert parser.skipped == MAX_SKIPS + 6


def test_relative_urls_need_a_base(m3u_dir: Path) -> None:
    entries, _ = parse(m3u_dir / "relative.m3u", base_url="http://host.example/lists/main.m3u")
    assert [e.url for e in entries] == [
        "http://host.example/lists/live/one.m3u8",
        "http://host.example/other/two.m3u8",
        "https://cdn.example.net/three.m3u8",
    ]
    entries, parser = parse(m3u_dir / "relative.m3u")
    assert [e.name for e in entries] == ["Absolute"]
    assert len(parser.skips) == 2


def test_hls_tags_ignored_and_second_header_merged(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "hls_tags.m3u")
    assert [(e.name, e.url) for e in entries] == [
        ("HLS One", "http://example.com/h1.m3u8"),
        ("HLS Two", "http://example.com/h2.m3u8"),
    ]
    assert parser.skips == []
    # The first header's url-tvg wins; the second only adds x-tvg-url.
    assert parser.header.attrs["url-tvg"] == "http://epg.example.com/a.xml"
    assert set(parser.header.epg_urls) == {
        "http://epg.example.com/a.xml",
        "http://epg.example.com/b.xml",
    }


def test_header_and_convenience_properties(m3u_dir: Path) -> None:
    entries, parser = parse(m3u_dir / "header.m3u")
    assert parser.header.epg_urls == (
        "http://epg.example.com/a.xml.gz",
        "http://epg.example.com/b.xml",
    )
    assert parser.header.attrs["tvg-shift"] == "1"
    (e,) = entries
    assert (e.tvg_id, e.tvg_name, e.tvg_logo, e.group_title, e.tvg_chno) == (
        "c1",
        "Chan 1",
        "http://logo/1.png",
        "G",
        "101",
    )


def test_legacy_and_broken_encodings(m3u_dir: Path) -> None:
    (e,), _ = parse(m3u_dir / "cp1252.m3u")
    assert e.name == "Télé Café – Info"
    (e,), _ = parse(m3u_dir / "broken_utf8.m3u")
    assert e.name == "Punktum S\ufffddharz 東京"


# --- not a playlist ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("not_playlist.html", "looks like an HTML page, not a playlist"),
        ("error.json", "looks like a JSON document, not a playlist"),
        ("binary.bin", "looks like binary data, not a playlist"),
        ("plain.txt", "has no #EXTM3U or #EXTINF line"),
        ("empty.m3u", "is empty"),
    ],
)
def test_not_a_playlist(m3u_dir: Path, filename: str, expected: str) -> None:
    path = m3u_dir / filename
    seen: list[M3UEntry] = []
    with pytest.raises(NotAPlaylistError) as info:
        seen.extend(parse_file(path))
    assert seen == []
    assert expected in info.value.message
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_json_error_body_is_described_not_quoted() -> None:
    # An error body may repeat the request's password; the message goes into job records.
    with pytest.raises(NotAPlaylistError, match=r"a JSON document.*24 characters") as info:
        list(parse_bytes([b'  \n{"user_info":{"auth":0}}'], source="provider 3"))
    assert "user_info" not in str(info.value)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"key=Zm9vYmFyc2VjcmV0a2V5\n", "text"),
        (b"SQLite format 3\x00\x10\x00\x02\x02\x00@  \x00\x00", "binary data"),
        ("Schlüssel=geheim\n".encode(), "non-ASCII text"),
    ],
)
def test_not_a_playlist_never_quotes_the_input(body: bytes, kind: str) -> None:
    with pytest.raises(NotAPlaylistError) as info:
        list(parse_bytes([body], source="/data/secret.key"))
    message = str(info.value)
    assert kind in message
    for secret in ("Zm9vYmFy", "SQLite", "geheim"):
        assert secret not in message


def test_gzip_body() -> None:
    data = gzip.compress(b"#EXTM3U\n#EXTINF:-1,A\nhttp://a\n")
    with pytest.raises(NotAPlaylistError, match="gzip"):
        list(parse_bytes([data]))


def test_text_without_playlist_tags_is_refused_early() -> None:
    seen: list[M3UEntry] = []

    def endless() -> Iterator[str]:
        while True:
            yield "just some text"

    with pytest.raises(NotAPlaylistError, match="first 100 lines"):
        seen.extend(parse_lines(endless()))
    assert seen == []


def test_huge_line_is_refused() -> None:
    with pytest.raises(NotAPlaylistError, match="longer than"):
        list(iter_text_lines([b"x" * 600, b"y" * 600], source="big", max_line_bytes=1000))


def test_header_only_playlist_is_valid() -> None:
    parser = M3UParser()
    assert list(parse_lines(["#EXTM3U"], parser=parser)) == []
    assert parser.header == M3UHeader()


# --- incremental input -------------------------------------------------------------------------


NASTY_BYTES = (
    '\ufeff#EXTM3U\r\n#EXTINF:-1 tvg-id="a",東京 Ⅰ Café\r\nhttp://example.com/a\r'
    "#EXTINF:-1,Zwei\n\r\nhttp://example.com/b|User-Agent=Ü%20A\r\n"
).encode() + b"#EXTINF:-1,S\xf6dharz \xe2\x82\xac\nhttp://example.com/c"


def test_text_lines_across_chunk_boundaries() -> None:
    expected = list(iter_text_lines([NASTY_BYTES]))
    assert expected == [
        "#EXTM3U",
        '#EXTINF:-1 tvg-id="a",東京 Ⅰ Café',
        "http://example.com/a",
        "#EXTINF:-1,Zwei",
        "",
        "http://example.com/b|User-Agent=Ü%20A",
        "#EXTINF:-1,S\ufffddharz €",
        "http://example.com/c",
    ]
    # Every two-way split: inside the BOM, inside multi-byte characters, between \r and \n.
    for cut in range(len(NASTY_BYTES) + 1):
        assert list(iter_text_lines([NASTY_BYTES[:cut], NASTY_BYTES[cut:]])) == expected, cut
    for size in (1, 2, 3, 5, 7):
        chunks = [NASTY_BYTES[i : i + size] for i in range(0, len(NASTY_BYTES), size)]
        assert list(iter_text_lines(chunks)) == expected, size


def test_cr_at_chunk_end_followed_by_text() -> None:
    assert list(iter_text_lines([b"a\r", b"b\r", b"\nc", b"", b"\r"])) == ["a", "b", "c"]


def test_parse_bytes_matches_file(m3u_dir: Path) -> None:
    whole = list(parse_bytes([NASTY_BYTES]))
    assert [(e.name, e.line) for e in whole] == [
        ("東京 Ⅰ Café", 2),
        ("Zwei", 4),
        ("S\ufffddharz €", 7),
    ]
    assert whole[1].headers == {"User-Agent": "Ü A"}
    one_byte = list(parse_bytes(NASTY_BYTES[i : i + 1] for i in range(len(NASTY_BYTES))))
    assert comparable(one_byte) == comparable(whole)
    assert [e.line for e in one_byte] == [e.line for e in whole]


async def _achunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_async_byte_stream() -> None:
    lines = [line async for line in aiter_text_lines(_achunks(NASTY_BYTES, 3))]
    assert lines == list(iter_text_lines([NASTY_BYTES]))
    parser = M3UParser(source="async")
    entries = [e async for e in aparse_bytes(_achunks(NASTY_BYTES, 4), parser=parser)]
    assert comparable(entries) == comparable(list(parse_bytes([NASTY_BYTES])))
    assert parser.entries_seen == 3


async def test_async_not_a_playlist() -> None:
    with pytest.raises(NotAPlaylistError, match="HTML page") as info:
        async for _ in aparse_bytes(_achunks(b"<html><body>502</body></html>", 5), source="p"):
            pass
    assert info.value.source == "p"


def test_feed_and_close_by_hand() -> None:
    parser = M3UParser(source="manual")
    assert parser.feed("#EXTM3U\n") is None
    assert parser.feed('#EXTINF:-1 tvg-id="x",X\r\n') is None
    entry = parser.feed("http://example.com/x\n")
    assert entry is not None and (entry.name, entry.line) == ("X", 2)
    assert parser.feed("#EXTINF:-1,Dangling") is None
    parser.close()
    assert [s.line for s in parser.skips] == [4]
    assert parser.entries_seen == 1


def test_close_on_empty_input_raises() -> None:
    with pytest.raises(NotAPlaylistError, match="empty"):
        M3UParser(source="nothing").close()


def test_parsing_streams() -> None:
    """Entries come out while the input is still being produced: nothing is read ahead."""

    def endless() -> Iterator[str]:
        yield "#EXTM3U"
        for i in itertools.count():
            yield f'#EXTINF:-1 tvg-id="c{i}",Channel {i}'
            yield f"http://example.com/{i}.ts"

    first = list(itertools.islice(parse_lines(endless()), 3))
    assert [e.name for e in first] == ["Channel 0", "Channel 1", "Channel 2"]


# --- writer ------------------------------------------------------------------------------------


def reparse(entries: list[M3UEntry], header: M3UHeader | None = None) -> list[M3UEntry]:
    lines = list(write_m3u(entries, header=header))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert "\r" not in "".join(lines)
    return list(parse_lines(lines))


@pytest.mark.parametrize(
    "filename",
    [
        "indented.m3u",
        "bom_crlf.m3u",
        "durations.m3u",
        "quoted.m3u",
        "kodi_headers.m3u",
        "extgrp.m3u",
        "header.m3u",
        "cp1252.m3u",
        "broken_utf8.m3u",
    ],
)
def test_round_trip_fixtures(m3u_dir: Path, filename: str) -> None:
    entries, parser = parse(m3u_dir / filename)
    again = reparse(entries, parser.header)
    assert comparable(again) == comparable(entries)


NASTY_NAMES = [
    "Plain",
    "Comma, in the name",
    'Quote " in name',
    "Both ' and \" quotes",
    'key="value" looks like an attribute',
    ",Leading comma",
    "Trailing comma,",
    "#EXTINF:-1,Nested tag",
    "Pipe | and = and &",
    "Tabs\tinside",
    "東京 Ⅰ 連雲港",
    "Emoji 📺 TV",
    "U+FFFD \ufffd name",
    "Back\\slash",
    "http://looks.like/a/url",
    "",
]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_round_trip_nasty_names(name: str) -> None:
    entry = M3UEntry(
        name=name,
        url="http://example.com/s.m3u8",
        duration=-1.0,
        attrs={"tvg-id": "x.us", "tvg-name": name, "group-title": name},
    )
    (again,) = reparse([entry])
    assert again.name == name
    if not ('"' in name and "'" in name):
        assert again.attrs == entry.attrs
    else:
        # M3U has no escape for a value holding both quote kinds: the double quotes give way.
        assert again.attrs["tvg-name"] == name.replace('"', "'")


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Line\nbreak", "Line break"),
        ("Windows\r\nbreak", "Windows break"),
        ("  padded  ", "padded"),
    ],
)
def test_writer_flattens_line_breaks(name: str, written: str) -> None:
    entry = M3UEntry(name=name, url="http://example.com/s\n", attrs={"tvg-name": name})
    (again,) = reparse([entry])
    assert again.name == written
    assert again.url == "http://example.com/s"
    assert "\n" not in again.attrs["tvg-name"]


def test_writer_keeps_headers_options_and_group() -> None:
    entry = M3UEntry(
        name="H",
        url="http://example.com/h|x",
        duration=12.5,
        group="News & Weather",
        options={"http-user-agent": "VLC/3", "network-caching": "500"},
        kodiprops={"inputstream.adaptive.license_type": "clearkey"},
        headers={"User-Agent": "Other Agent/1 (x&y)", "Referer": "http://r.example/?a=1&b=2"},
    )
    lines = list(write_m3u([entry]))
    assert lines[0] == "#EXTM3U\n"
    assert "#EXTGRP:News & Weather\n" in lines
    assert "#EXTVLCOPT:http-user-agent=VLC/3\n" in lines
    (again,) = list(parse_lines(lines))
    assert again.url == "http://example.com/h%7Cx"
    assert again.duration == 12.5
    assert again.group == "News & Weather"
    assert again.options == entry.options
    assert again.kodiprops == entry.kodiprops
    assert again.headers == entry.headers


def test_writer_unknown_duration_is_minus_one() -> None:
    lines = list(write_m3u([M3UEntry(name="N", url="http://n", duration=None)]))
    assert lines[1] == "#EXTINF:-1,N\n"


def test_writer_header_line() -> None:
    header = M3UHeader(attrs={"tvg-shift": "2"}, epg_urls=("http://e/a.xml", "http://e/b.xml"))
    first = next(write_m3u([], header=header))
    assert first == '#EXTM3U tvg-shift="2" x-tvg-url="http://e/a.xml,http://e/b.xml"\n'
    parser = M3UParser()
    list(parse_lines([first], parser=parser))
    assert parser.header.epg_urls == header.epg_urls


def test_writer_skips_unsafe_keys_and_empty_urls() -> None:
    entries = [
        M3UEntry(name="A", url="http://a", attrs={"ok": "1", "bad key": "2", 'q"': "3"}),
        M3UEntry(name="B", url=""),
    ]
    again = reparse(entries)
    assert [(e.name, dict(e.attrs)) for e in again] == [("A", {"ok": "1"})]


# --- real playlists ----------------------------------------------------------------------------


def test_real_iptv_org_playlists(shared_data: Path) -> None:
    files = sorted((shared_data / "iptv-org" / "streams").glob("*.m3u"))
    assert len(files) >= 12
    totals = {"http-user-agent": 0, "http-referrer": 0}
    names: dict[str, list[str]] = {}
    for path in files:
        with path.open(encoding="utf-8") as fh:
            extinf_lines = sum(1 for line in fh if line.startswith("#EXTINF"))
        entries, parser = parse(path)
        extinf_skips = [s for s in parser.skips if "EXTINF" in s.reason or "URL" in s.reason]
        assert len(entries) + len(extinf_skips) == extinf_lines, path.name
        assert all(e.url and "://" in e.url for e in entries)
        for e in entries:
            for key in totals:
                if key in e.options:
                    totals[key] += 1
            if "http-user-agent" in e.options:
                assert e.user_agent == e.options["http-user-agent"]
        names[path.stem] = [e.name for e in entries]
        assert comparable(reparse(entries)) == comparable(entries), path.name
    # Counts documented in shared/data/README.md.
    assert totals == {"http-user-agent": 80, "http-referrer": 6}
    assert "Punktum S\ufffddharz" in " ".join(names["de"])
    assert any(name.startswith("江苏 Ⅰ 连云港公共") for name in names["cn"])
    assert len(names["us"]) == 891


def test_real_us_playlist_user_agents(shared_data: Path) -> None:
    entries, _ = parse(shared_data / "iptv-org" / "streams" / "us.m3u")
    with_agent = [e for e in entries if "http-user-agent" in e.options]
    assert len(with_agent) == 8
    assert all(e.user_agent for e in with_agent)
    assert all(e.duration == -1.0 for e in entries)
    assert {k for e in entries for k in e.attrs} <= {"tvg-id", "status", "user-agent"}
