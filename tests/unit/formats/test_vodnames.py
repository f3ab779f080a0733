from __future__ import annotations

import pytest

from strmline.formats.vodnames import ParsedTitle, looks_like_vod, parse_episode_marker, parse_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "EN - The Matrix (1999) [4K]",
            ParsedTitle("The Matrix", year=1999, language="EN", quality="4K"),
        ),
        (
            "DE: Das Boot (1981) FHD",
            ParsedTitle("Das Boot", year=1981, language="DE", quality="1080p"),
        ),
        ("[EN] Dune: Part Two 2024 HEVC", ParsedTitle("Dune: Part Two", year=2024, language="EN")),
        ("UHD: Planet Earth", ParsedTitle("Planet Earth", quality="4K")),
        ("Planet Earth II 4K HDR", ParsedTitle("Planet Earth II", quality="4K")),
        ("Se7en (1995) 720p", ParsedTitle("Se7en", year=1995, quality="720p")),
        ("Dune 2021 2160p", ParsedTitle("Dune", year=2021, quality="4K")),
        ("Amélie (2001) MULTI", ParsedTitle("Amélie", year=2001)),
        ("Alien (1979) (Director's Cut)", ParsedTitle("Alien", year=1979)),
    ],
)
def test_movie_titles_lose_language_quality_and_noise(raw: str, expected: ParsedTitle) -> None:
    assert parse_title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("The.Matrix.1999", "The Matrix", 1999),  # dots as separators
        ("Mr. Robot", "Mr. Robot", None),  # a dot inside a spaced title stays
        ("Blade Runner 2049 (2017)", "Blade Runner 2049", 2017),  # the year in brackets wins
        ("2012 (2009)", "2012", 2009),
        ("1917", "1917", None),  # a title that is only a year is not a year
    ],
)
def test_years(raw: str, title: str, year: int | None) -> None:
    parsed = parse_title(raw)
    assert (parsed.title, parsed.year) == (title, year)


def test_ids_come_from_tags_and_leave_the_title() -> None:
    assert parse_title("The Matrix (1999) [tmdbid-603]") == ParsedTitle(
        "The Matrix", year=1999, tmdb_id="603"
    )
    assert parse_title("The Matrix {tmdb-603} (1999)") == ParsedTitle(
        "The Matrix", year=1999, tmdb_id="603"
    )
    parsed = parse_title("The Matrix TT0133093 (1999)")
    assert (parsed.title, parsed.imdb_id, parsed.year) == ("The Matrix", "tt0133093", 1999)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("|FR| Dark S02E03", ParsedTitle("Dark", language="FR", season=2, episode=3)),
        ("Dark Season 2 Episode 3", ParsedTitle("Dark", season=2, episode=3)),
        (
            "Breaking Bad S05E16 - Felina",
            ParsedTitle("Breaking Bad", season=5, episode=16, episode_title="Felina"),
        ),
        ("Show - S01 E02 Pilot", ParsedTitle("Show", season=1, episode=2, episode_title="Pilot")),
        (
            "Friends 1x02 The One with the Sonogram",
            ParsedTitle("Friends", season=1, episode=2, episode_title="The One with the Sonogram"),
        ),
        ("Dark S02E03 - 1080p", ParsedTitle("Dark", quality="1080p", season=2, episode=3)),
        ("24 S01E01", ParsedTitle("24", season=1, episode=1)),
    ],
)
def test_episodes(raw: str, expected: ParsedTitle) -> None:
    assert parse_title(raw) == expected


def test_a_name_of_nothing_but_tags_keeps_something() -> None:
    assert parse_title("4K") == ParsedTitle("4K", quality="4K")
    assert parse_title("  [HD]  ").title == "[HD]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dark S02E03", (2, 3, 5, 11)),
        ("dark s2e3", (2, 3, 5, 9)),
        ("Friends 1x02", (1, 2, 8, 12)),
        ("Dark Staffel 1 Folge 4", (1, 4, 5, 22)),
        # the first marker in the text wins, whatever its style
        ("x Season 1 Episode 2 y S03E04", (1, 2, 2, 20)),
        ("The Matrix", None),
        ("1920x1080", None),
    ],
)
def test_parse_episode_marker(text: str, expected: tuple[int, int, int, int] | None) -> None:
    assert parse_episode_marker(text) == expected


@pytest.mark.parametrize(
    ("name", "group", "url", "attrs", "expected"),
    [
        ("Inception", "Live", "http://h:8080/movie/u/p/1.mkv", None, "movie"),
        ("Dark S01E01", "Movies", "http://h:8080/movie/u/p/1.mkv", None, "episode"),
        ("Anything", "Live", "http://h:8080/series/u/p/1.mkv", None, "episode"),
        # a live stream in a "Movies" group is a movie channel
        ("HBO Movies", "Movies", "http://h:8080/live/u/p/1.ts", None, None),
        ("HBO Movies", "Movies", "http://h/stream.m3u8", None, None),
        ("Inception", "VOD", "http://h/a", None, "movie"),
        ("Inception", "Sports", "http://h/a.MKV", None, "movie"),
        ("Inception", "Sports", "http://h/a.ts", {"playlist-type": "VOD"}, "movie"),
        ("Show S01E01", "Entertainment", "http://h/a", None, "episode"),
        ("Show S01E01", "Live TV", "http://h/a", None, None),
        ("Action", "Movie Channels", "http://h/a", None, None),
        ("ESPN", "Sports", "http://h/a", None, None),
        ("ESPN", None, "http://[broken", None, None),
    ],
)
def test_looks_like_vod(
    name: str, group: str | None, url: str, attrs: dict[str, str] | None, expected: str | None
) -> None:
    assert looks_like_vod(name, group, url, attrs) == expected
