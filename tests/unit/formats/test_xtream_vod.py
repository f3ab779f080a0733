from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from strmline.formats.xtream_vod import (
    EpisodeInfo,
    MovieInfo,
    SeriesInfo,
    SeriesItem,
    VodStream,
    parse_series,
    parse_series_info,
    parse_vod_info,
    parse_vod_streams,
)


def test_vod_streams_with_numbers_as_strings() -> None:
    row = {
        "num": 1,
        "name": "EN - The Matrix (1999)",
        "stream_id": "603",
        "stream_icon": "http://img/x.jpg",
        "rating": "8.7",
        "rating_5based": 4.3,
        "added": "1700000000",
        "category_id": "5",
        "container_extension": "MKV",
        "tmdb": "603",
        "year": "1999",
    }
    assert list(parse_vod_streams([row])) == [
        VodStream(
            stream_id=603,
            name="EN - The Matrix (1999)",
            title=None,
            year=1999,
            category_id="5",
            icon="http://img/x.jpg",
            rating=8.7,
            tmdb_id="603",
            container="mkv",
            added=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        )
    ]


def test_vod_stream_empty_values_are_none_and_defaults_apply() -> None:
    row = {
        "stream_id": 7,
        "name": "No extension",
        "rating": "",
        "tmdb": "0",
        "container_extension": None,
        "category_id": None,
        "category_ids": [9, 10],
        "added": None,
        "stream_icon": "",
    }
    assert list(parse_vod_streams([row])) == [
        VodStream(7, "No extension", None, None, "9", None, None, None, "mp4", None)
    ]


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("container_extension", "../../sh", "container", "mp4"),
        ("container_extension", ".mp4", "container", "mp4"),
        ("container_extension", "matroska", "container", "mp4"),
        ("rating", "NaN", "rating", None),
        ("rating", "1e9", "rating", None),
        ("rating", True, "rating", None),
        ("rating", [], "rating", None),
        ("rating", 6, "rating", 6.0),
        ("year", "abcd", "year", None),
        ("year", "1800", "year", None),
        ("year", 2100, "year", 2100),
        ("year", "2019-05-01", "year", 2019),
        ("tmdb", -5, "tmdb_id", None),
        ("tmdb", 603.0, "tmdb_id", "603"),
        ("tmdb_id", " 603 ", "tmdb_id", "603"),
        ("stream_icon", [], "icon", None),
        ("title", "  The Matrix ", "title", "The Matrix"),
    ],
)
def test_vod_stream_field_quirks(field: str, value: Any, attribute: str, expected: Any) -> None:
    (stream,) = parse_vod_streams([{"stream_id": 1, "name": "x", field: value}])
    assert getattr(stream, attribute) == expected


def test_unusable_rows_are_skipped() -> None:
    rows: list[Any] = [
        {"stream_id": None, "name": "no id"},
        {"stream_id": "x", "name": "bad id"},
        {"stream_id": -1, "name": "negative"},
        {"stream_id": 3, "name": None},
        {"stream_id": 4, "name": ""},
        {"stream_id": 5, "name": []},
        "garbage",
        None,
        [],
        {"stream_id": 6, "name": "kept"},
    ]
    assert [s.stream_id for s in parse_vod_streams(rows)] == [6]


@pytest.mark.parametrize("payload", [None, [], {}, "", {"user_info": {"auth": 0}}])
def test_empty_or_junk_payloads_give_nothing(payload: Any) -> None:
    assert list(parse_vod_streams(payload)) == []
    assert list(parse_series(payload)) == []


def test_php_arrays_keyed_by_index_are_lists() -> None:
    payload = {"0": {"stream_id": 1, "name": "a"}, "1": {"stream_id": 2, "name": "b"}}
    assert [s.name for s in parse_vod_streams(payload)] == ["a", "b"]


def test_series() -> None:
    rows = [
        {
            "series_id": "12",
            "name": "Dark",
            "cover": "c.jpg",
            "plot": "p",
            "genre": "Drama",
            "rating": "8",
            "tmdb": "70523",
            "releaseDate": "2017-12-01",
            "last_modified": 1700000000,
            "category_id": 3,
        },
        {"series_id": "x", "name": "bad id"},
        {"series_id": 1, "name": "Y", "year": "", "release_date": "2019-01-01", "tmdb_id": 0},
    ]
    assert list(parse_series(rows)) == [
        SeriesItem(
            series_id=12,
            name="Dark",
            title=None,
            year=2017,
            category_id="3",
            cover="c.jpg",
            plot="p",
            genre="Drama",
            rating=8.0,
            tmdb_id="70523",
            last_modified="1700000000",
        ),
        SeriesItem(1, "Y", None, 2019, None, None, None, None, None, None, None),
    ]


def _episode(id: int, season: int, episode: int, **extra: Any) -> EpisodeInfo:
    fields: dict[str, Any] = {
        "title": None,
        "container": "mkv",
        "plot": None,
        "air_date": None,
        "rating": None,
        "tmdb_id": None,
    }
    return EpisodeInfo(id=id, season=season, episode=episode, **(fields | extra))


def test_series_info_with_episodes_keyed_by_season() -> None:
    payload = {
        "info": {
            "plot": "P",
            "backdrop_path": ["", "http://img/1.jpg"],
            "tmdb": "70523",
            "rating": "8.5",
            "cover": "c",
        },
        "episodes": {
            "2": [
                {
                    "id": "21",
                    "episode_num": "1",
                    "title": "Dark S02E01",
                    "container_extension": "mp4",
                    "info": {"plot": "x", "releasedate": "2019-06-21", "rating": 7, "tmdb_id": "1"},
                }
            ],
            "1": [
                {"id": "12", "episode_num": 2, "season": "1"},
                {"id": "11", "episode_num": "1", "info": []},
                {"id": "99", "episode_num": "1", "title": "listed twice: the first one wins"},
                {"id": None, "episode_num": 3},
                {"id": 13, "episode_num": None},
            ],
        },
    }
    assert parse_series_info(payload) == SeriesInfo(
        plot="P",
        genre=None,
        rating=8.5,
        tmdb_id="70523",
        cover="c",
        backdrop="http://img/1.jpg",
        episodes=(
            _episode(11, 1, 1),
            _episode(12, 1, 2),
            _episode(
                21,
                2,
                1,
                title="Dark S02E01",
                container="mp4",
                plot="x",
                air_date="2019-06-21",
                rating=7.0,
                tmdb_id="1",
            ),
        ),
    )


def test_series_info_with_episodes_as_lists() -> None:
    payload = {
        "info": {"backdrop_path": "http://img/x.jpg"},
        "episodes": [
            [{"id": 1, "episode_num": 1, "season": 1}],
            [{"id": 2, "episode_num": 1, "info": {"season": "2", "air_date": "2020-01-01"}}],
            {"id": 3, "episode_num": 5, "season": 3},
            {"id": 4, "episode_num": 6},  # no season anywhere: skipped
        ],
    }
    info = parse_series_info(payload)
    assert info.backdrop == "http://img/x.jpg"
    assert info.episodes == (
        _episode(1, 1, 1),
        _episode(2, 2, 1, air_date="2020-01-01"),
        _episode(3, 3, 5),
    )


def test_specials_keyed_as_season_zero_are_kept() -> None:
    info = parse_series_info({"episodes": {"0": [{"id": 5, "episode_num": 1}]}})
    assert info.episodes == (_episode(5, 0, 1),)


@pytest.mark.parametrize(
    "payload", [None, [], {"info": [], "episodes": []}, {"info": None, "episodes": None}]
)
def test_series_info_of_nothing(payload: Any) -> None:
    assert parse_series_info(payload) == SeriesInfo(None, None, None, None, None, None, ())


def test_vod_info() -> None:
    payload = {
        "info": {
            "description": "D",
            "genre": "Action",
            "rating": "7.1",
            "tmdb": "603",
            "imdb": "tt0133093",
            "release_date": "1999-03-31",
            "backdrop_path": ["http://img/1.jpg"],
            "duration_secs": "8160",
        },
        "movie_data": {},
    }
    assert parse_vod_info(payload) == MovieInfo(
        plot="D",
        genre="Action",
        rating=7.1,
        tmdb_id="603",
        imdb_id="tt0133093",
        release_date="1999-03-31",
        backdrop="http://img/1.jpg",
        duration_secs=8160,
    )


def test_vod_info_drops_ids_that_are_not_ids() -> None:
    info = parse_vod_info({"info": {"plot": "P", "imdb_id": "133093", "tmdb_id": "", "rating": []}})
    assert info == MovieInfo("P", None, None, None, None, None, None, None)


@pytest.mark.parametrize("payload", [None, [], {"info": []}, {"info": "x"}])
def test_vod_info_of_nothing(payload: Any) -> None:
    assert parse_vod_info(payload) == MovieInfo(None, None, None, None, None, None, None, None)
