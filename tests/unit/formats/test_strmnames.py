from __future__ import annotations

import pytest

from strmline.formats.names import MAX_NAME_BYTES
from strmline.formats.strmnames import (
    MOVIES_DIR,
    SHOWS_DIR,
    Flavour,
    episode_file,
    episode_nfo,
    id_tag,
    movie_nfo,
    season_dir,
    title_dir,
    tvshow_nfo,
)

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def test_library_roots() -> None:
    assert (MOVIES_DIR, SHOWS_DIR) == ("Movies", "TV Shows")


@pytest.mark.parametrize(
    ("flavour", "expected"),
    [
        ("jellyfin", "The Matrix (1999) [tmdbid-603]"),
        ("emby", "The Matrix (1999) [tmdbid=603]"),
        ("kodi", "The Matrix (1999) [tmdbid=603]"),
        ("plex", "The Matrix (1999) {tmdb-603}"),
    ],
)
def test_title_dir_tags_per_media_server(flavour: Flavour, expected: str) -> None:
    assert title_dir("The Matrix", 1999, "603", flavour) == expected


def test_title_dir_without_year_or_id() -> None:
    assert title_dir("The Matrix", None, None, "jellyfin") == "The Matrix"
    assert title_dir("The Matrix", None, "", "plex") == "The Matrix"
    assert id_tag(None, "jellyfin") == ""
    assert id_tag("", "plex") == ""


@pytest.mark.parametrize(
    ("title", "year", "tmdb_id", "expected"),
    [
        ("../../etc/passwd", None, None, "etc passwd"),
        ("AC/DC: Live", 2001, None, "AC DC Live (2001)"),
        ("C:\\Windows", None, None, "C Windows"),
        ("CON", None, None, "CON_"),
        ("", 2020, None, "Unnamed (2020)"),
        (".hidden", None, "1", "hidden [tmdbid-1]"),
        ("Tab\tand\nnewline", None, None, "Tab and newline"),
        ("Amélie", 2001, None, "Amélie (2001)"),
        ("千と千尋の神隠し", 2001, "129", "千と千尋の神隠し (2001) [tmdbid-129]"),
    ],
)
def test_title_dir_is_one_safe_component(
    title: str, year: int | None, tmdb_id: str | None, expected: str
) -> None:
    assert title_dir(title, year, tmdb_id, "jellyfin") == expected


def test_long_titles_keep_year_and_tag() -> None:
    out = title_dir("é" * 200, 2020, "12345", "jellyfin")
    # The title is cut to 120 bytes (60 two-byte characters) so the year and tag always fit.
    assert out == "é" * 60 + " (2020) [tmdbid-12345]"
    assert len(out.encode()) <= MAX_NAME_BYTES


def test_season_dir() -> None:
    assert [season_dir(n) for n in (0, 1, 12, 123)] == [
        "Season 00",
        "Season 01",
        "Season 12",
        "Season 123",
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (None, "Dark (2017) S02E03"),
        ("", "Dark (2017) S02E03"),
        ("S02E03", "Dark (2017) S02E03"),
        ("Dark S02E03 - Lost and Found", "Dark (2017) S02E03 - Lost and Found"),
        ("dark - Season 2 Episode 3 - Ghosts", "Dark (2017) S02E03 - Ghosts"),
        ("Dark: Ghosts/Spirits", "Dark (2017) S02E03 - Ghosts Spirits"),
        ("Lost and Found", "Dark (2017) S02E03 - Lost and Found"),
    ],
)
def test_episode_file(title: str | None, expected: str) -> None:
    assert episode_file("Dark (2017)", "Dark", 2, 3, title) == expected


def test_episode_file_is_safe_and_bounded() -> None:
    out = episode_file("Show", "Show", 1, 1, "../" * 100)
    assert out.startswith("Show S01E01")
    assert "/" not in out and ".." not in out
    long = episode_file("Show", "Show", 1, 1, "x" * 500)
    assert long.startswith("Show S01E01 - xxx")
    assert len(long.encode()) == MAX_NAME_BYTES


def test_movie_nfo_escapes_and_skips_empty_fields() -> None:
    assert movie_nfo("Tom & Jerry <1>", 1940, None, 7.5, "Animation", "123", "tt0001") == (
        HEAD + "<movie>\n"
        "  <title>Tom &amp; Jerry &lt;1&gt;</title>\n"
        "  <year>1940</year>\n"
        "  <rating>7.5</rating>\n"
        "  <genre>Animation</genre>\n"
        '  <uniqueid type="tmdb" default="true">123</uniqueid>\n'
        '  <uniqueid type="imdb">tt0001</uniqueid>\n'
        "</movie>\n"
    )


def test_imdb_is_the_default_id_without_tmdb() -> None:
    assert movie_nfo("X", None, "", None, None, None, "tt0001") == (
        HEAD + "<movie>\n"
        "  <title>X</title>\n"
        '  <uniqueid type="imdb" default="true">tt0001</uniqueid>\n'
        "</movie>\n"
    )


def test_tvshow_nfo() -> None:
    assert tvshow_nfo("Dark", 2017, "Time travel.", 8.7, None, "70523", None) == (
        HEAD + "<tvshow>\n"
        "  <title>Dark</title>\n"
        "  <year>2017</year>\n"
        "  <plot>Time travel.</plot>\n"
        "  <rating>8.7</rating>\n"
        '  <uniqueid type="tmdb" default="true">70523</uniqueid>\n'
        "</tvshow>\n"
    )


def test_episode_nfo_uses_the_episodes_own_title() -> None:
    assert episode_nfo("Dark", "Dark S02E03 - Lost & Found", 2, 3, "Plot", "2019-06-21", 8.0) == (
        HEAD + "<episodedetails>\n"
        "  <title>Lost &amp; Found</title>\n"
        "  <showtitle>Dark</showtitle>\n"
        "  <season>2</season>\n"
        "  <episode>3</episode>\n"
        "  <plot>Plot</plot>\n"
        "  <aired>2019-06-21</aired>\n"
        "  <rating>8.0</rating>\n"
        "</episodedetails>\n"
    )


def test_episode_nfo_falls_back_to_the_number() -> None:
    nfo = episode_nfo("Dark", "Dark S02E03", 2, 3, None, None, None)
    assert "  <title>Episode 3</title>\n" in nfo
    assert "<plot>" not in nfo and "<aired>" not in nfo and "<rating>" not in nfo
