from __future__ import annotations

import pytest

from strmline.formats.names import MAX_NAME_BYTES, safe_name, unique_names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ESPN", "ESPN"),
        ("../../etc/passwd", "etc passwd"),
        ("..", "Unnamed"),
        ("   ", "Unnamed"),
        ("AC/DC Live", "AC DC Live"),
        ('Who? "Me": <yes>|no*', "Who Me yes no"),
        ("line\nbreak\ttab", "line break tab"),
        ("nul\x00byte", "nul byte"),
        (".hidden", "hidden"),
        ("trailing dots...", "trailing dots"),
        ("CON", "CON_"),
        ("com1.txt", "com1.txt_"),
        ("C:\\Windows\\System32", "C Windows System32"),
        ("Café Télé", "Café Télé"),
        ("江苏 Ⅰ 连云港公共", "江苏 Ⅰ 连云港公共"),
    ],
)
def test_safe_name(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_safe_name_never_escapes() -> None:
    nasty = ["/", "\\", "..", "../x", "x/../../y", "\x7f", "a\u2028b", "." * 300]
    for raw in nasty:
        out = safe_name(raw)
        assert "/" not in out and "\\" not in out
        assert out not in {".", ".."} and not out.startswith(".")


def test_long_names_are_cut_on_character_boundaries() -> None:
    out = safe_name("é" * 500)
    assert len(out.encode()) <= MAX_NAME_BYTES
    out.encode("utf-8")  # still valid


def test_unique_names_are_deterministic_and_case_insensitive() -> None:
    assert unique_names(["ESPN", "espn", "ESPN", "CNN"]) == ["ESPN", "espn (2)", "ESPN (3)", "CNN"]
    long = "x" * MAX_NAME_BYTES
    a, b = unique_names([long, long])
    assert a != b and len(b.encode()) <= MAX_NAME_BYTES
