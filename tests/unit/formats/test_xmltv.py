"""The XMLTV parser on real guides and on a hand-written nasty one."""

from __future__ import annotations

import io
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from strmline.errors import FormatError
from strmline.formats.xmltv import XmltvChannel, XmltvParser, XmltvProgramme, parse_time


def _parse(data: bytes) -> tuple[XmltvParser, list[XmltvChannel], list[XmltvProgramme]]:
    parser = XmltvParser(io.BytesIO(data), source="test")
    items = list(parser)
    return (
        parser,
        [i for i in items if isinstance(i, XmltvChannel)],
        [i for i in items if isinstance(i, XmltvProgramme)],
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20210328003000 +0000", utc(2021, 3, 28, 0, 30)),
        ("20210328020000 +0100", utc(2021, 3, 28, 1, 0)),
        ("20210328020000 +01:00", utc(2021, 3, 28, 1, 0)),
        ("20210328020000 -0500", utc(2021, 3, 28, 7, 0)),
        ("202103280200", utc(2021, 3, 28, 2, 0)),
        ("2021032802", utc(2021, 3, 28, 2, 0)),
        ("20210328", utc(2021, 3, 28)),
        ("20210328020000 GMT", utc(2021, 3, 28, 2, 0)),
        ("20210328020000 BST", utc(2021, 3, 28, 1, 0)),
        # Europe/London is GMT before 01:00 UTC on 28 March 2021 and BST after.
        ("20210328003000 Europe/London", utc(2021, 3, 28, 0, 30)),
        ("20210328030000 Europe/London", utc(2021, 3, 28, 2, 0)),
        ("20211031120000 Europe/London", utc(2021, 10, 31, 12, 0)),
        ("null", None),
        ("", None),
        ("20211331000000 +0000", None),
        ("20210328020000 Nowhere/Atlantis", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_nasty_guide(fixtures_dir: Path) -> None:
    parser, channels, programmes = _parse((fixtures_dir / "xmltv" / "nasty.xml").read_bytes())
    assert [c.id for c in channels] == ["dst.test", "News & Weather", "overlap.test", "named.zone"]
    assert channels[0].icon == "http://example.com/dst.png"
    first = programmes[0]
    assert (first.start, first.stop) == (utc(2021, 3, 28, 0, 30), utc(2021, 3, 28, 1, 0))
    assert first.categories == ("News", "Weather")
    assert (first.episode_num, first.episode_onscreen, first.rating) == ("0.4.", "S01E05", "PG")
    assert programmes[1].stop is None
    titles = {p.title for p in programmes}
    assert "Café & croissants é" in titles and "Raw & escaped" in titles
    weather = [p for p in programmes if p.channel == "News & Weather"]
    assert weather[0].desc is not None and weather[0].desc.startswith("Tom & Jerry")
    assert weather[1].stop is None  # stop="null"
    named = [p for p in programmes if p.channel == "named.zone"]
    assert (named[0].start, named[0].stop) == (utc(2021, 3, 28, 0, 0), utc(2021, 3, 28, 2, 0))
    assert parser.stats.skipped == 1  # the unreadable start


def test_xxe_is_not_resolved(fixtures_dir: Path) -> None:
    _, channels, programmes = _parse((fixtures_dir / "xmltv" / "xxe.xml").read_bytes())
    text = " ".join([*channels[0].display_names, programmes[0].title, programmes[0].desc or ""])
    assert "root:" not in text


def test_entity_bomb_finishes_fast_in_bounded_memory(fixtures_dir: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    _, _, programmes = _parse((fixtures_dir / "xmltv" / "bomb.xml").read_bytes())
    assert time.monotonic() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    assert all(len(p.title) < 10_000 for p in programmes)


def test_truncated_fails_naming_the_line(fixtures_dir: Path) -> None:
    with pytest.raises(FormatError, match=r"line \d+: .*truncated") as info:
        _parse((fixtures_dir / "xmltv" / "truncated.xml").read_bytes())
    assert "test" in str(info.value)


def test_invalid_bytes_are_replaced_not_fatal(fixtures_dir: Path) -> None:
    _, channels, programmes = _parse((fixtures_dir / "xmltv" / "invalid-bytes.xml").read_bytes())
    assert channels[0].display_names == ("Inv\ufffdalid",)
    assert [p.title for p in programmes] == ["caf\ufffd été", "after the bad bytes"]


def test_huge_description_is_cut() -> None:
    desc = "x" * 5_000_000
    data = (
        '<tv><channel id="h"><display-name>H</display-name></channel>'
        f'<programme start="20210101000000" stop="20210101010000" channel="h"><title>t</title>'
        f"<desc>{desc}</desc></programme></tv>"
    ).encode()
    _, _, programmes = _parse(data)
    assert len(programmes) == 1 and programmes[0].desc is not None
    assert len(programmes[0].desc) <= 8000


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><body>Not found</body></html>", b"\x00\x01binary junk", b'{"error": 1}'],
)
def test_garbage_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FormatError):
        _parse(data)


# name: (channels, programmes, programmes without stop, programmes without title)
REAL = {
    "tvguide.co.uk.xml": (538, 9482, 9482, 0),
    "programme-tv.net.xml": (273, 9204, 0, 0),
    "tv.yandex.ru.xml": (14, 516, 0, 0),
    "ontvtonight.com.xml": (98, 2691, 98, 0),
    "tvplus.com.tr.xml": (144, 4525, 0, 10),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_guides(shared_data: Path, name: str) -> None:
    parser, channels, programmes = _parse((shared_data / "iptv-org/epg/guides" / name).read_bytes())
    expected = REAL[name]
    no_stop = sum(1 for p in programmes if p.stop is None)
    assert (len(channels), len(programmes), no_stop, parser.stats.untitled) == expected
    if name == "tvguide.co.uk.xml":
        # raw & in ids, <img> inside titles: recovered, not lost
        assert any(c.id == "Discovery Home & Health" for c in channels)
        assert any("Dirty Dancing 2" in p.title for p in programmes)
