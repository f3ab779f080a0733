"""tvg-ids with feeds, and the words that keep feeds of one brand apart."""

from __future__ import annotations

import pytest

from strmline.matching.names import parse_name
from strmline.matching.tvgid import (
    apply_tvg_id,
    identity_suffix,
    parse_tvg_id,
    suffix_conflict,
)


@pytest.mark.parametrize(
    ("tvg_id", "channel", "id_country", "country", "region", "variant", "quality", "tag"),
    [
        ("DogtheBountyHunter.us@UK", "dogthebountyhunter.us", "US", "UK", None, None, "", None),
        ("DogtheBountyHunter.us@US", "dogthebountyhunter.us", "US", "US", None, None, "", None),
        ("DogtheBountyHunter.us", "dogthebountyhunter.us", "US", "US", None, None, "", None),
        (
            "UniversalTVLatinAmerica.us@Brazil",
            "universaltvlatinamerica.us",
            "US",
            "BR",
            None,
            None,
            "",
            None,
        ),
        ("ABCTVPlus.au@Adelaide", "abctvplus.au", "AU", "AU", None, None, "", "adelaide"),
        ("HBO.us@West", "hbo.us", "US", "US", "West", None, "", None),
        ("HBO.us@WestHD", "hbo.us", "US", "US", "West", None, "HD", None),
        ("Dave.uk@Plus1", "dave.uk", "UK", "UK", None, "+1", "", None),
        ("Eurosport1.fr@NLHD", "eurosport1.fr", "FR", "NL", None, None, "HD", None),
        ("DW.de@Espanol", "dw.de", "DE", "DE", None, None, "", "Spanish"),
        ("DW.de@English", "dw.de", "DE", "DE", None, None, "", "English"),
        ("FoxSports.us@LatAm", "foxsports.us", "US", "US", None, None, "", "latam"),
        ("CNN.us@HD", "cnn.us", "US", "US", None, None, "HD", None),
        ("BBCOne.uk", "bbcone.uk", "UK", "UK", None, None, "", None),
        ("ESPN", "espn", None, None, None, None, "", None),
    ],
)
def test_parse_tvg_id(
    tvg_id: str,
    channel: str,
    id_country: str | None,
    country: str | None,
    region: str | None,
    variant: str | None,
    quality: str,
    tag: str | None,
) -> None:
    t = parse_tvg_id(tvg_id)
    assert t is not None
    assert (t.channel, t.id_country, t.country, t.region, t.variant, t.quality, t.tag) == (
        channel,
        id_country,
        country,
        region,
        variant,
        quality,
        tag,
    )


def test_empty_tvg_id() -> None:
    assert parse_tvg_id(None) is None
    assert parse_tvg_id("  ") is None


def test_base_key_spells_the_name() -> None:
    bbc, abc = parse_tvg_id("BBCOne.uk"), parse_tvg_id("ABCTVPlus.au")
    assert bbc is not None and abc is not None
    assert bbc.base_key == parse_name("BBC One").key
    assert abc.base_key.replace(" ", "") == "abctvplus"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("DogtheBountyHunter.us", "DogtheBountyHunter.us@US"),
        ("CNN.us", "CNN.us@HD"),
        ("CNN.us@SD", "cnn.US@HD"),
        ("HBO.us@West", "HBO.us@WestHD"),
        ("DW.de@Espanol", "DW.de@Espanol"),
    ],
)
def test_same_feed(a: str, b: str) -> None:
    ta, tb = parse_tvg_id(a), parse_tvg_id(b)
    assert ta is not None and tb is not None and ta.identity == tb.identity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("DogtheBountyHunter.us@UK", "DogtheBountyHunter.us"),
        ("DogtheBountyHunter.us@UK", "DogtheBountyHunter.us@US"),
        ("ABCTVPlus.au@Adelaide", "ABCTVPlus.au@Melbourne"),
        ("UniversalTVLatinAmerica.us@South", "UniversalTVLatinAmerica.us"),
        ("DW.de@English", "DW.de@Russian"),
        ("HBO.us@West", "HBO.us"),
        ("Dave.uk@Plus1", "Dave.uk"),
        ("ESPN.us", "ESPN2.us"),
    ],
)
def test_different_feed(a: str, b: str) -> None:
    ta, tb = parse_tvg_id(a), parse_tvg_id(b)
    assert ta is not None and tb is not None and ta.identity != tb.identity


def test_feed_country_names_the_entry() -> None:
    p = apply_tvg_id(parse_name("Dog the Bounty Hunter"), parse_tvg_id("DogtheBountyHunter.us@UK"))
    assert p.country == "UK"
    # The name's own country wins.
    p = apply_tvg_id(parse_name("US: Dog the Bounty Hunter"), parse_tvg_id("X.us@UK"))
    assert p.country == "US"
    p = apply_tvg_id(parse_name("HBO"), parse_tvg_id("HBO.us@West"))
    assert (p.key, p.region, p.country) == ("hbo", "West", "US")


@pytest.mark.parametrize(
    ("key_of", "tvg_id", "suffix"),
    [
        ("ABC TV Plus Adelaide", "ABCTVPlus.au", "adelaide"),
        ("ABC TV Plus", "ABCTVPlus.au", ""),
        ("ABC TV Plus HD", "ABCTVPlus.au", ""),
        ("DW English", "DW.de", "English"),
        ("DW Español", "DW.de", "Spanish"),
        ("DW (Russian)", "DW.de", "Russian"),
        ("Dog the Bounty Hunter", "DogtheBountyHunter.us", ""),
        ("Fox News Channel", "FoxNews.us", ""),
        ("BBC One", "BBCOne.uk", ""),
        ("Fox Sports 2", "FS2.us", None),
    ],
)
def test_identity_suffix(key_of: str, tvg_id: str, suffix: str | None) -> None:
    tvg = parse_tvg_id(tvg_id)
    assert tvg is not None
    assert identity_suffix(parse_name(key_of).key, tvg.base_key) == suffix


# (name, name, the tvg-id both carry, no feed): different channels.
MUST_NOT_MERGE = [
    ("ABC TV Plus Adelaide", "ABC TV Plus Melbourne", "ABCTVPlus.au"),
    ("ABC TV Plus Adelaide", "ABC TV Plus", "ABCTVPlus.au"),
    ("Universal TV Latin America", "Universal TV South", "UniversalTVLatinAmerica.us"),
    ("DW English", "DW Russian", "DW.de"),
    ("DW English", "DW Espanol", "DW.de"),
    ("DW English", "DW", "DW.de"),
    ("Cartoon Network (Portuguese)", "Cartoon Network (Spanish)", "CartoonNetworkBrazil.br"),
    ("CNN International", "CNN", "CNN.us"),
    ("Wéo (Hauts-de-France)", "Wéo (Picardie)", "Weo.fr"),
]
# Same channel: spellings, decorations, word order.
MUST_MERGE = [
    ("DW English", "DW (English) HD", "DW.de"),
    ("DW Espanol", "DW Español", "DW.de"),
    ("DW Espanol", "DW Spanish", "DW.de"),
    ("ABC TV Plus Adelaide", "ABCTV Plus Adelaide ᴴᴰ", "ABCTVPlus.au"),
    ("Fox News Channel", "FOX NEWS", "FoxNews.us"),
    ("Fox Sports 2", "FS2", "FS2.us"),
    ("ABC Miami FL (WPLG-DT1)", "abc (WPLG-DT1) Miami FL", "WPLGDT1.us"),
    ("Rai 1 (Geo)", "Rai 1 [Geo-blocked]", "Rai1.it"),
    ("Dog the Bounty Hunter", "Dog The Bounty Hunter HD", "DogtheBountyHunter.us"),
]


@pytest.mark.parametrize(("a", "b", "tvg_id"), MUST_NOT_MERGE)
def test_suffix_conflict_keeps_feeds_apart(a: str, b: str, tvg_id: str) -> None:
    tvg = parse_tvg_id(tvg_id)
    assert tvg is not None
    ka, kb = parse_name(a).key, parse_name(b).key
    assert suffix_conflict(ka, kb, tvg.base_key)
    assert suffix_conflict(kb, ka, tvg.base_key)


@pytest.mark.parametrize(("a", "b", "tvg_id"), MUST_MERGE)
def test_suffix_conflict_lets_spellings_meet(a: str, b: str, tvg_id: str) -> None:
    tvg = parse_tvg_id(tvg_id)
    assert tvg is not None
    ka, kb = parse_name(a).key, parse_name(b).key
    assert not suffix_conflict(ka, kb, tvg.base_key)
    assert not suffix_conflict(ka, kb)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Universal TV Latin America", "Universal TV South"),
        ("Al Jazeera English", "Al Jazeera"),
        ("France 24 Arabic", "France 24 English"),
        ("CNN International", "CNN"),
    ],
)
def test_suffix_conflict_without_tvg_id(a: str, b: str) -> None:
    assert suffix_conflict(parse_name(a).key, parse_name(b).key)


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("DW English", "English"),
        ("DW Espanol", "Spanish"),
        ("France 24 Français", "French"),
        ("Euronews Deutsch HD", "German"),
        ("English Club TV", None),
        ("Arabic", None),
        ("ESPN", None),
    ],
)
def test_language(name: str, language: str | None) -> None:
    assert parse_name(name).language == language


def test_language_stays_in_key() -> None:
    keys = {parse_name(n).key for n in ["DW English", "DW Russian", "DW Espanol", "DW"]}
    assert len(keys) == 4
