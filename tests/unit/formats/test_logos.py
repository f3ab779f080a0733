"""Logo keys and the generated fallback (formats/logos.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from strmline.formats.logos import (
    KEY_LENGTH,
    fallback_svg,
    hue,
    initials,
    logo_key,
    proxy_url,
    valid_key,
)

# Values the UI's own initials()/hue() (frontend/src/lib/format.ts) give, run in Node: the
# fallback tile a player sees matches the placeholder the web UI draws.
UI_VALUES = [
    ("BBC One HD", "BO", 243),
    ("US: CNN", "C", 151),
    ("Ελληνικά Κανάλι", "ΕΚ", 116),
    ("😀 Emoji TV", "😀E", 273),
    ("|UK| Sky (Sports)", "SS", 135),
    ("HD", "H", 140),
]


@pytest.mark.parametrize("name,letters,colour", UI_VALUES)
def test_initials_and_hue_match_the_ui(name: str, letters: str, colour: int) -> None:
    assert initials(name) == letters
    assert hue(name) == colour


def test_keys_are_fixed_length_hex_and_bound_to_the_secret_and_url() -> None:
    key = logo_key("secret", "http://a.test/x.png")
    assert len(key) == KEY_LENGTH and int(key, 16) >= 0
    assert valid_key("secret", key, "http://a.test/x.png")
    assert not valid_key("other", key, "http://a.test/x.png")
    assert not valid_key("secret", key, "http://a.test/y.png")
    assert not valid_key("secret", key.upper(), "http://a.test/x.png")
    assert not valid_key("secret", "../" + key[3:], "http://a.test/x.png")


def test_proxy_urls_only_for_http_sources() -> None:
    url = proxy_url("secret", "https://a.test/x.png?s=1&t=2", "A & B")
    assert url is not None
    parts = urlsplit(url)
    assert parts.path == "/logo/" + logo_key("secret", "https://a.test/x.png?s=1&t=2")
    assert parse_qs(parts.query) == {"src": ["https://a.test/x.png?s=1&t=2"], "name": ["A & B"]}
    for src in (
        None,
        "",
        "file:///etc/passwd",
        "data:image/png;base64,AA==",
        "ftp://a/x",
        "http://",
    ):
        assert proxy_url("secret", src, "A") is None


def test_fallback_svg_escapes_the_name() -> None:
    svg = fallback_svg('<script>"x" & y')
    assert "<script>" not in svg
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "&lt;" in svg
    assert f"hsl({hue('Sky News')}, 45%, 40%)" in fallback_svg("Sky News")
