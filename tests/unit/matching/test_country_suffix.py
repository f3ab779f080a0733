"""A country written after the name ("ATV TR") is the country and leaves the match key."""

from __future__ import annotations

import pytest

from strmline.matching.names import ParsedName, parse_name


def _identity(p: ParsedName) -> tuple[str, str | None, str | None]:
    return (p.key, p.country, p.region)


def _merge(a: ParsedName, b: ParsedName) -> bool:
    """What the matcher's exact step does: same key and region, no two different countries."""
    return (
        a.key == b.key
        and a.region == b.region
        and (a.country is None or b.country is None or a.country == b.country)
    )


@pytest.mark.parametrize(
    ("name", "key", "country", "quality"),
    [
        ("ATV TR", "atv", "TR", ""),
        ("wedotv Auta HEVC PL", "wedotv auta", "PL", ""),
        ("Sportsnet One 720p CA", "sportsnet 1", "CA", "HD"),
        ("ATV TR HD", "atv", "TR", "HD"),
        ("Viasat Sport NO", "viasat sport", "NO", ""),
        ("SKY SPORT HD IT", "sky sport", "IT", "HD"),
        ("MTV India", "mtv", "IN", ""),
        ("Nicktoons Polska", "nicktoons", "PL", ""),
        ("CNN USA (720p)", "cnn", "US", "HD"),
        ("Discovery Channel UK", "discovery channel", "UK", ""),
        ("TSN | CA", "tsn", "CA", ""),
        # Not countries: letters of the name, words, states, places and brands.
        ("TV3", "tv 3", None, ""),
        ("BBC One", "bbc 1", None, ""),
        ("ITV", "itv", None, ""),
        ("USA Network", "usa network", None, ""),
        ("BBC America", "bbc america", None, ""),
        ("Radio Canada", "radio canada", None, ""),
        ("TV Polska", "tv polska", None, ""),
        ("SKY CINEMA IT", "sky cinema it", None, ""),
        ("TV 2 NO", "tv 2 no", None, ""),
        ("KTLA 5 Los Angeles CA (720p)", "ktla 5 los angeles ca", None, "HD"),
        ("Record TV RS (720p)", "record tv rs", None, "HD"),
        ("Rede TV! ES (720p)", "rede tv es", None, "HD"),
        ("BBC Two England", "bbc 2 england", None, ""),
        ("Alkarma TV North America & Canada", "alkarma tv north america canada", None, ""),
        ("X SD", "x", None, "SD"),
    ],
)
def test_suffix_country(name: str, key: str, country: str | None, quality: str) -> None:
    p = parse_name(name)
    assert (p.key, p.country, p.quality.label) == (key, country, quality)


def test_region_survives_country_words() -> None:
    p = parse_name("BBC One Northern Ireland HD (720p)")
    assert (p.key, p.country, p.region) == ("bbc 1", None, "Northern Ireland")
    p = parse_name("BBC One Wales UK")
    assert (p.key, p.country, p.region) == ("bbc 1", "UK", "Wales")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ATV TR", "TR: ATV"),
        ("ATV TR", "|TR| ATV HD"),
        ("wedotv Auta HEVC PL", "PL: wedotv Auta"),
        ("Sportsnet One 720p CA", "CA: Sportsnet One FHD"),
        ("Sportsnet One 720p CA", "[CA] Sportsnet 1"),
        ("MTV India", "IN: MTV"),
        ("CNN USA (720p)", "US: CNN"),
        ("Nicktoons Polska", "PL | Nicktoons"),
        ("Fox Sports Argentina", "AR: Fox Sports"),
        ("Viasat Sport NO", "NO: Viasat Sport HD"),
    ],
)
def test_must_merge(a: str, b: str) -> None:
    pa, pb = parse_name(a), parse_name(b)
    assert _identity(pa) == _identity(pb)
    assert _merge(pa, pb)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ATV TR", "DE: ATV"),
        ("wedotv Auta HEVC PL", "CZ: wedotv Auta"),
        ("Sportsnet One 720p CA", "US: Sportsnet One"),
        ("MTV India", "UK: MTV"),
        ("CNN Brasil (1080p)", "CNN USA (720p)"),
        ("Nicktoons Polska", "Nicktoons US"),
        ("TV3", "TV"),
        ("BBC One", "BBC"),
        ("ITV", "IT: V"),
        ("BBC America", "BBC"),
        ("Record TV RS (720p)", "RS: Record TV"),
        ("KTLA 5 Los Angeles CA", "CA: KTLA 5 Los Angeles"),
    ],
)
def test_must_not_merge(a: str, b: str) -> None:
    assert not _merge(parse_name(a), parse_name(b))
