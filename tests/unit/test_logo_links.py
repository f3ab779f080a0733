"""Logo URLs the player outputs hand out (formats/logos.py ``LogoLinks``, api/outputs/logos.py):
the same keys as the API's, absolute under the public address, the provider's URL when strmline
cannot proxy it or ``outputs.proxy_logos`` is off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from strmline.api.outputs import m3u, xtream
from strmline.api.outputs.common import PlayUrls
from strmline.api.outputs.logos import logo_url, output_links
from strmline.api.outputs.xmltv import render_guide
from strmline.config import OutputSettings, Settings
from strmline.formats.logos import (
    MAX_NAME,
    MAX_SRC,
    LogoLinks,
    fetchable,
    logo_key,
    proxy_url,
    valid_key,
)
from strmline.services.guide_export import GuideChannel
from strmline.services.tuning import LineupChannel
from strmline.services.xtream import LiveRow

SECRET = "s" * 43
BASE = "http://192.168.1.10:8000"
SOURCES = [
    "http://logos.test/bbc1.png",
    "https://logos.test/x.png?s=1&t=2+3#frag",
    "http://logos.test/a b/%41é.png",
    'http://logos.test/"quoted".png',
    "HTTP://LOGOS.TEST:8080/Upper.PNG",
    "http://user@logos.test/x.png",
]


@pytest.mark.parametrize("src", SOURCES)
def test_links_sign_like_the_api_and_carry_the_source_intact(src: str) -> None:
    links = LogoLinks(SECRET, BASE)
    assert links.key(src) == logo_key(SECRET, src)
    url = links.url(src, "Sky News & Weather: HD")
    assert url is not None
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    key = parts.path.removeprefix("/logo/")
    assert parse_qs(parts.query) == {"src": [src], "name": ["Sky News & Weather: HD"]}
    assert valid_key(SECRET, key, src)
    # The API's relative URL is the same one without the address.
    assert url == BASE + (proxy_url(SECRET, src, "Sky News & Weather: HD") or "")


def test_no_link_for_what_the_route_would_refuse_or_cannot_fetch() -> None:
    links = LogoLinks(SECRET, BASE)
    long = "http://logos.test/" + "a" * MAX_SRC
    for src in (None, "", "data:image/png;base64,AA==", "file:///etc/passwd", "http://", long):
        assert links.url(src, "A") is None
    url = links.url("http://logos.test/x.png", "Ü" * (MAX_NAME + 50))
    assert url is not None
    assert parse_qs(urlsplit(url).query)["name"] == ["Ü" * MAX_NAME]


@pytest.mark.parametrize(
    "src",
    [
        "http://a",
        "http://a.b:80",
        "http://a.b:/x",
        "https://a-b.c/x?y#z",
        "http://:80/x",
        "http:///x",
        "http://user@host/x",
        "http://a b/x",
        "http://[::1]/x",
        "http://[::1/x",
        "http://host:abc/",
        " http://a/x",
        "ftp://a/x",
        "http:/a/x",
        "javascript:alert(1)",
    ],
)
def test_the_fast_check_agrees_with_parsing_the_url(src: str) -> None:
    from urllib.parse import urlsplit as split

    try:
        parts = split(src.strip())
        expected = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        expected = False
    assert fetchable(src) is expected


def test_outputs_list_the_source_itself_when_there_is_no_link() -> None:
    links = LogoLinks(SECRET, BASE)
    assert logo_url(links, None, "A") is None
    assert logo_url(links, "", "A") is None
    assert logo_url(links, "data:image/png;base64,AA==", "A") == "data:image/png;base64,AA=="
    assert logo_url(None, "http://logos.test/a.png", "A") == "http://logos.test/a.png"
    assert logo_url(links, "http://logos.test/a.png", "A") == links.url(
        "http://logos.test/a.png", "A"
    )


def test_the_setting_turns_the_links_off() -> None:
    on = Settings(secret_key=SECRET)
    links = output_links(on, BASE)
    assert links is not None
    assert (links.url("http://l/z.png", "Z") or "").startswith(f"{BASE}/logo/")
    off = Settings(secret_key=SECRET, outputs=OutputSettings(proxy_logos=False))
    assert output_links(off, BASE) is None


def _channel(logo: str | None, *, cid: int = 1, name: str = "Zulu News") -> LineupChannel:
    return LineupChannel(
        id=cid,
        name=name,
        chno="2",
        number=2.0,
        category="News",
        logo=logo,
        tvg_id="zulu.us",
        best_quality="HD",
    )


def test_m3u_entries_point_tvg_logo_at_the_cache_under_the_play_urls_address() -> None:
    urls = PlayUrls.of(BASE, "tok")
    links = LogoLinks(SECRET, BASE)
    entry = m3u.channel_entry(_channel("http://l/z.png"), urls, logos=links)
    assert entry.attrs["tvg-logo"] == links.url("http://l/z.png", "Zulu News")
    assert entry.attrs["tvg-logo"].startswith(f"{BASE}/logo/")
    assert entry.url.startswith(f"{BASE}/play/")
    assert m3u.channel_entry(_channel("http://l/z.png"), urls).attrs["tvg-logo"] == "http://l/z.png"
    assert "tvg-logo" not in m3u.channel_entry(_channel(None), urls, logos=links).attrs


def test_xtream_live_streams_carry_the_cached_logo() -> None:
    links = LogoLinks(SECRET, BASE)
    row = LiveRow(channel=_channel("http://l/z.png"), added=None)
    assert xtream._live_item(row, 1, links)["stream_icon"] == links.url(
        "http://l/z.png", "Zulu News"
    )
    assert xtream._live_item(row, 1)["stream_icon"] == "http://l/z.png"
    empty = LiveRow(channel=_channel(None), added=None)
    assert xtream._live_item(empty, 1, links)["stream_icon"] == ""


class _Guide:
    def __init__(self, channels: list[GuideChannel]) -> None:
        self._channels = channels

    async def channels(self) -> AsyncIterator[list[GuideChannel]]:
        yield self._channels

    async def programmes(self) -> AsyncIterator[tuple[list[str], Any]]:
        for _ in ():
            yield [], None


async def _render(guide: _Guide, links: LogoLinks | None) -> bytes:
    return b"".join([chunk async for chunk in render_guide(cast(Any, guide), links)])


async def test_xmltv_channel_icons_point_at_the_cache() -> None:
    links = LogoLinks(SECRET, BASE)
    guide = _Guide(
        [
            GuideChannel("zulu.us", "Zulu News", "https://l/z.png?a=1&b=2"),
            GuideChannel("strmline.2", "Data", "data:image/png;base64,AA=="),
            GuideChannel("strmline.3", "None", None),
        ]
    )
    root = etree.fromstring(await _render(guide, links))
    icons = {c.get("id"): [i.get("src") for i in c.iter("icon")] for c in root.iter("channel")}
    assert icons == {
        "zulu.us": [links.url("https://l/z.png?a=1&b=2", "Zulu News")],
        "strmline.2": ["data:image/png;base64,AA=="],
        "strmline.3": [],
    }
    raw = etree.fromstring(await _render(guide, None))
    assert [i.get("src") for i in raw.iter("icon")] == [
        "https://l/z.png?a=1&b=2",
        "data:image/png;base64,AA==",
    ]


def test_repeated_asks_in_a_row_get_the_same_answer_and_others_their_own() -> None:
    links = LogoLinks(SECRET, BASE)
    asks = [("http://l/a.png", "A"), ("http://l/a.png", "A"), ("http://l/b.png", "A"),
            ("http://l/b.png", "B"), ("data:x", "B"), ("http://l/a.png", "A")]  # fmt: skip
    assert [links.url(src, name) for src, name in asks] == [
        LogoLinks(SECRET, BASE).url(src, name) for src, name in asks
    ]
    assert len({links.url(src, name) for src, name in asks}) == 4


def test_every_stream_entry_of_a_channel_shows_its_logo() -> None:
    from strmline.services.tuning import LineupStream

    urls = PlayUrls.of(BASE, "tok")
    links = LogoLinks(SECRET, BASE)
    zulu, bravo = _channel("http://l/z.png"), _channel("http://l/b.png", cid=2, name="Bravo")
    entries = [
        m3u.stream_entry(c, LineupStream(sid, c.id, "HD", "acme"), urls, logos=links)
        for c, sid in ((zulu, 11), (zulu, 12), (bravo, 21), (zulu, 13))
    ]
    assert [e.attrs["tvg-logo"] for e in entries] == [
        links.url("http://l/z.png", "Zulu News"),
        links.url("http://l/z.png", "Zulu News"),
        links.url("http://l/b.png", "Bravo"),
        links.url("http://l/z.png", "Zulu News"),
    ]
