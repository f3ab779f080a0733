"""Provider headers for players, credential exposure and catch-up archive URLs (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from strmline.formats.m3u import M3UEntry, parse_lines, write_m3u
from strmline.formats.playurls import (
    CatchupInfo,
    archive_url,
    catchup_info,
    has_credentials,
    kodi_url,
    player_headers,
    render_template,
    timezone_of,
    vlc_options,
    xtream_parts,
)

START = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_player_headers_canonical_names_over_the_provider_agent() -> None:
    headers = player_headers(
        {"user-agent": " Foo/1 ", "REFERRER": "http://a/", "x-other": "no", "Origin": ""},
        "Provider/2",
    )
    assert headers == {"User-Agent": "Foo/1", "Referer": "http://a/"}
    assert player_headers(None, "Provider/2") == {"User-Agent": "Provider/2"}
    assert player_headers("not a mapping", None) == {}


def test_vlc_options_round_trip_through_the_m3u_writer_and_parser() -> None:
    headers = {"User-Agent": "Foo/1", "Referer": "http://a/b", "Cookie": "c=1"}
    options = vlc_options(headers)
    # VLC and Kodi's IPTV Simple read these two; a cookie has no #EXTVLCOPT they honour.
    assert options == {"http-user-agent": "Foo/1", "http-referrer": "http://a/b"}
    text = "".join(write_m3u([M3UEntry(name="A", url="http://s/play/1", options=options)]))
    assert "#EXTVLCOPT:http-user-agent=Foo/1\n#EXTVLCOPT:http-referrer=http://a/b\n" in text
    (entry,) = parse_lines(text.splitlines())
    assert entry.url == "http://s/play/1"
    assert dict(entry.headers) == {"User-Agent": "Foo/1", "Referer": "http://a/b"}


def test_kodi_url_encodes_values() -> None:
    assert kodi_url("http://h/1.ts", {}) == "http://h/1.ts"
    assert (
        kodi_url("http://h/1.ts", {"User-Agent": "Foo Bar/1", "Referer": "http://a/?x=1&y=2"})
        == "http://h/1.ts|User-Agent=Foo%20Bar%2F1&Referer=http%3A%2F%2Fa%2F%3Fx%3D1%26y%3D2"
    )
    (entry,) = parse_lines(["#EXTINF:-1,A", kodi_url("http://h/1.ts", {"Referer": "http://a/"})])
    assert entry.url == "http://h/1.ts" and dict(entry.headers) == {"Referer": "http://a/"}


@pytest.mark.parametrize(
    ("url", "exposed"),
    [
        ("http://u:p@h/1.ts", True),
        ("http://u@h/1.ts", True),
        ("http://h/get.php?username=u&password=p", True),
        ("http://h/s.m3u8?user=u&pass=p", True),
        ("http://h/live/u/p/1.ts", True),
        ("http://h/timeshift/u/p/60/2026-12-01:20-30/1.ts", True),
        ("http://h/cdn/news/1.ts", False),
        ("http://h/hls/1/index.m3u8?token=abc", False),
        ("http://h/s.ts?password=", False),
    ],
)
def test_has_credentials(url: str, exposed: bool) -> None:
    assert has_credentials(url) is exposed


def test_has_credentials_finds_a_providers_own_secret() -> None:
    assert has_credentials("http://h/stream/s3cret/1.ts", ["s3cret"])
    assert not has_credentials("http://h/stream/x/1.ts", ["s3cret", None, ""])


def test_xtream_parts() -> None:
    full = xtream_parts("http://h:8080/live/us%20er/pw/42.m3u8")
    assert full is not None and full.server == "http://h:8080"
    assert (full.username, full.password, full.stream_id) == ("us%20er", "pw", "42")
    prefixed = xtream_parts("https://h/panel/live/u/p/7.ts")
    assert prefixed is not None and prefixed.server == "https://h/panel"
    short = xtream_parts("http://h/u/p/9")
    assert short is not None and short.stream_id == "9"
    # The short form is recognised by shape alone: only consulted for catchup="xc" streams.
    assert xtream_parts("http://h/cdn/news/x/1.ts") is None
    assert xtream_parts("http://h/cdn/news.ts") is None
    assert xtream_parts("/live/u/p/1.ts") is None


def test_catchup_info_from_attributes() -> None:
    assert catchup_info({"catchup": "xc", "catchup-days": "3"}) == CatchupInfo("xc", 3, None)
    assert catchup_info({"catchup": "append", "catchup-source": "?utc={utc}"}) == CatchupInfo(
        "append", None, "?utc={utc}"
    )
    # A source alone says the kind; "timeshift" is Kodi's older name for the days.
    assert catchup_info({"catchup-source": "http://a/{utc}", "timeshift": "2"}) == CatchupInfo(
        "default", 2, "http://a/{utc}"
    )
    assert catchup_info({"catchup-type": "flussonic", "tvg-rec": "7"}) == CatchupInfo(
        "flussonic", 7, None
    )
    assert catchup_info({"catchup": "default"}) is None  # nothing to fill in
    assert catchup_info({"catchup": "vod"}) is None
    assert catchup_info({}) is None and catchup_info(None) is None


def test_render_template_fills_kodi_placeholders() -> None:
    utc = int(START.timestamp())
    text = (
        "s={utc}&e={utcend}&S=${start}&E=${end}&n={lutc}&d={duration}&dm={duration:60}"
        "&o={offset:60}&t={Y}-{m}-{d}T{H}:{M}:{S}&f={utc:Y-m-d H:M}&x={unknown}"
    )
    out = render_template(text, START, 5400, NOW)
    assert out == (
        f"s={utc}&e={utc + 5400}&S={utc}&E={utc + 5400}&n={int(NOW.timestamp())}&d=5400&dm=90"
        f"&o={(int(NOW.timestamp()) - utc) // 60}&t=2026-12-01T20:30:00&f=2026-12-01 20:30"
        "&x={unknown}"
    )


def test_archive_url_xtream_uses_minutes_and_the_panel_zone() -> None:
    info = CatchupInfo("xc", 3, None)
    url = archive_url("http://h:80/live/u/p/42.ts", info, START, 3599, now=NOW)
    assert url == "http://h:80/timeshift/u/p/60/2026-12-01:20-30/42.ts"
    berlin = timezone_of("Europe/Berlin")
    assert berlin == ZoneInfo("Europe/Berlin") and timezone_of("Nowhere/Else") is UTC
    url = archive_url("http://h/u/p/42", info, START, 60, now=NOW, server_tz=berlin)
    assert url == "http://h/timeshift/u/p/1/2026-12-01:21-30/42.ts"
    assert archive_url("http://h/cdn/a/b/1.ts", info, START, 60, now=NOW) is None


def test_archive_url_playlist_kinds() -> None:
    utc = int(START.timestamp())
    default = CatchupInfo("default", None, "http://a/{utc}/{duration}.ts")
    assert archive_url("http://h/1.ts", default, START, 60, now=NOW) == f"http://a/{utc}/60.ts"
    append = CatchupInfo("append", None, "?utc={utc}")
    assert archive_url("http://h/1.ts", append, START, 60, now=NOW) == f"http://h/1.ts?utc={utc}"
    shift = CatchupInfo("shift", None, None)
    assert archive_url("http://h/1.ts?a=1", shift, START, 60, now=NOW) == (
        f"http://h/1.ts?a=1&utc={utc}&lutc={int(NOW.timestamp())}"
    )
    fs = CatchupInfo("flussonic", None, None)
    assert archive_url("http://h/ch/index.m3u8?t=1", fs, START, 60, now=NOW) == (
        f"http://h/ch/index-{utc}-60.m3u8?t=1"
    )
    assert archive_url("http://h/ch/mpegts", fs, START, 60, now=NOW) == (
        f"http://h/ch/timeshift_abs-{utc}.ts"
    )
