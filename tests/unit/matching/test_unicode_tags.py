"""Styled letters (superscript, small capital, full-width, circled, squared, mathematical)."""

from __future__ import annotations

import unicodedata

import pytest

from strmline.matching.names import ParsedName, parse_name
from strmline.matching.unicode_tags import fold_styled


def _identity(p: ParsedName) -> tuple[str, str | None, str | None, str | None]:
    return (p.key, p.country, p.region, p.variant)


def test_superscript_sd_reads_sd_and_keeps_the_region() -> None:
    p = parse_name("BBC ONE WALES ˢᴰ")
    assert (p.key, p.region, p.quality.label) == ("bbc 1", "Wales", "SD")
    assert p.display == "BBC One Wales"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("ESPN ˢᴰ", "SD"),
        ("ESPNˢᴰ", "SD"),
        ("ESPN ʰᵈ", "HD"),
        ("ESPN ᴴᴰ", "HD"),
        ("ESPN ᶠᴴᴰ", "FHD"),
        ("ESPN ᵁᴴᴰ", "UHD"),
        ("ESPN ʜᴅ", "HD"),
        ("ESPN ꜱᴅ", "SD"),
        ("ESPN ＨＤ", "HD"),
        ("ESPN Ⓗⓓ", "HD"),
        ("ESPN 🅷🅳", "HD"),
        ("ESPN🅷🅳", "HD"),
        ("ESPN 🅗🅓", "HD"),
        ("ESPN 🄷🄳", "HD"),
        ("ESPN ⒣⒟", "HD"),
        ("ESPN 𝐇𝐃", "HD"),
        ("ESPN 𝕳𝕯", "HD"),
        ("ESPN 🆄🅷🅳", "UHD"),
        ("ESPN 🆫", "UHD"),
        ("ESPN 🆞", "UHD"),
        ("ESPN 🅌", "SD"),
    ],
)
def test_styled_quality_tags(name: str, label: str) -> None:
    p = parse_name(name)
    assert (p.key, p.quality.label) == ("espn", label)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("BBC ONE WALES ˢᴰ", "BBC One Wales SD"),
        ("ᴇsᴘɴ", "ESPN"),
        ("ＥＳＰＮ ２", "ESPN 2"),
        ("𝐄𝐒𝐏𝐍 𝐇𝐃", "ESPN HD"),
        ("ⒺⓈⓅⓃ", "ESPN"),
        ("🅴🆂🅿🅽 🅷🅳", "ESPN HD"),
        ("Sᴋʏ Sᴘᴏʀᴛs", "Sky Sports"),
        ("🇬🇧 BBC One", "UK: BBC One"),
        ("🇺🇸 ESPN ᴴᴰ", "US: ESPN"),
        ("HBO ᴱᴬˢᵀ", "HBO East"),
    ],
)
def test_must_merge(a: str, b: str) -> None:
    assert _identity(parse_name(a)) == _identity(parse_name(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("BBC ONE WALES ˢᴰ", "BBC One"),
        ("BBC ONE WALES ˢᴰ", "BBC One Scotland ˢᴰ"),
        ("ESPN ²", "ESPN"),
        ("🇬🇧 BBC One", "🇨🇦 BBC One"),
        ("ＥＳＰＮ ２", "ESPN 3"),
        ("ᴛɴᴛ", "TNT 2"),
    ],
)
def test_must_not_merge(a: str, b: str) -> None:
    assert _identity(parse_name(a)) != _identity(parse_name(b))


def test_plain_text_is_untouched() -> None:
    for text in ["Télé-Québec", "東方衛視", "Россия 24", "Hawaiʻi News", "CCTV-1综合"]:
        assert fold_styled(text) == unicodedata.normalize("NFKC", text)


def test_every_styled_latin_letter_folds() -> None:
    """Every small capital, modifier capital/small capital, circled, squared, parenthesized,
    full-width and mathematical Latin letter A-Z folds to its plain letter."""
    kinds = (
        "LATIN LETTER SMALL CAPITAL ",
        "MODIFIER LETTER SMALL CAPITAL ",
        "MODIFIER LETTER CAPITAL ",
        "CIRCLED LATIN CAPITAL LETTER ",
        "NEGATIVE CIRCLED LATIN CAPITAL LETTER ",
        "SQUARED LATIN CAPITAL LETTER ",
        "NEGATIVE SQUARED LATIN CAPITAL LETTER ",
        "PARENTHESIZED LATIN SMALL LETTER ",
        "FULLWIDTH LATIN CAPITAL LETTER ",
        "MATHEMATICAL BOLD CAPITAL ",
        "MATHEMATICAL DOUBLE-STRUCK CAPITAL ",
    )
    missing = []
    for kind in kinds:
        for letter in "ABCDEFGHIJKLMNOPRSTUVWYZ":  # no small capital X exists; Q is Latin Ext-D
            try:
                ch = unicodedata.lookup(kind + letter)
            except KeyError:
                continue
            if fold_styled(ch).strip().upper() != letter:
                missing.append(f"{ch} {kind}{letter}")
    assert not missing
