"""Xtream Codes VOD payloads: movies, series and series details (pure: decoded JSON in).

The same tolerance as :mod:`strmline.formats.xtream`: ids as numbers or strings, ``info: []``,
``episodes`` as an object keyed by season or as a list of lists, ``backdrop_path`` as a string
or a list, a missing ``container_extension``. A row that cannot be used is skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strmline.formats.xtream import as_dict, as_list, to_datetime, to_int, to_str

__all__ = [
    "EpisodeInfo",
    "MovieInfo",
    "SeriesInfo",
    "SeriesItem",
    "VodStream",
    "parse_series",
    "parse_series_info",
    "parse_vod_info",
    "parse_vod_streams",
]

DEFAULT_MOVIE_EXT = "mp4"
DEFAULT_EPISODE_EXT = "mkv"


@dataclass(frozen=True, slots=True)
class VodStream:
    stream_id: int
    name: str
    title: str | None
    year: int | None
    category_id: str | None
    icon: str | None
    rating: float | None
    tmdb_id: str | None
    container: str
    added: datetime | None


@dataclass(frozen=True, slots=True)
class SeriesItem:
    series_id: int
    name: str
    title: str | None
    year: int | None
    category_id: str | None
    cover: str | None
    plot: str | None
    genre: str | None
    rating: float | None
    tmdb_id: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class EpisodeInfo:
    id: int
    season: int
    episode: int
    title: str | None
    container: str
    plot: str | None
    air_date: str | None
    rating: float | None
    tmdb_id: str | None


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    plot: str | None
    genre: str | None
    rating: float | None
    tmdb_id: str | None
    cover: str | None
    backdrop: str | None
    episodes: tuple[EpisodeInfo, ...]


@dataclass(frozen=True, slots=True)
class MovieInfo:
    plot: str | None
    genre: str | None
    rating: float | None
    tmdb_id: str | None
    imdb_id: str | None
    release_date: str | None
    backdrop: str | None
    duration_secs: int | None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) < 1e6 else None


def _tmdb(value: Any) -> str | None:
    """TMDB ids arrive as 603, "603", "" or "0"; only a positive number is an id."""
    number = to_int(value)
    return str(number) if number is not None and number > 0 else None


def _year(*values: Any) -> int | None:
    for value in values:
        text = to_str(value)
        if text and len(text) >= 4 and text[:4].isdigit():
            year = int(text[:4])
            if 1870 <= year <= 2100:
                return year
    return None


def _ext(value: Any, default: str) -> str:
    text = (to_str(value) or "").lower().lstrip(".")
    return text if text.isalnum() and len(text) <= 5 else default


def _category(row: dict[str, Any]) -> str | None:
    category = to_str(row.get("category_id"))
    if category is None:
        category = next((c for c in map(to_str, as_list(row.get("category_ids"))) if c), None)
    return category


def _first_image(value: Any) -> str | None:
    if isinstance(value, str):
        return to_str(value)
    return next((u for u in map(to_str, as_list(value)) if u), None)


def parse_vod_streams(payload: Any) -> Iterator[VodStream]:
    for row in as_list(payload):
        data = as_dict(row)
        stream_id = to_int(data.get("stream_id"))
        name = to_str(data.get("name"))
        if stream_id is None or stream_id < 0 or name is None:
            continue
        yield VodStream(
            stream_id=stream_id,
            name=name,
            title=to_str(data.get("title")),
            year=_year(data.get("year")),
            category_id=_category(data),
            icon=to_str(data.get("stream_icon")),
            rating=to_float(data.get("rating")),
            tmdb_id=_tmdb(data.get("tmdb") or data.get("tmdb_id")),
            container=_ext(data.get("container_extension"), DEFAULT_MOVIE_EXT),
            added=to_datetime(data.get("added")),
        )


def parse_series(payload: Any) -> Iterator[SeriesItem]:
    for row in as_list(payload):
        data = as_dict(row)
        series_id = to_int(data.get("series_id"))
        name = to_str(data.get("name"))
        if series_id is None or series_id < 0 or name is None:
            continue
        yield SeriesItem(
            series_id=series_id,
            name=name,
            title=to_str(data.get("title")),
            year=_year(
                data.get("year"),
                data.get("release_date"),
                data.get("releaseDate"),
            ),
            category_id=_category(data),
            cover=to_str(data.get("cover")),
            plot=to_str(data.get("plot")),
            genre=to_str(data.get("genre")),
            rating=to_float(data.get("rating")),
            tmdb_id=_tmdb(data.get("tmdb") or data.get("tmdb_id")),
            last_modified=to_str(data.get("last_modified")),
        )


def _episode_rows(episodes: Any) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """(season key, row) whether episodes is {"1": [...]} or [[...], [...]] or a flat list."""
    if isinstance(episodes, dict):
        for key, rows in episodes.items():
            for row in as_list(rows):
                yield to_int(key), as_dict(row)
        return
    for entry in as_list(episodes):
        if isinstance(entry, list):
            for row in entry:
                yield None, as_dict(row)
        else:
            yield None, as_dict(entry)


def parse_series_info(payload: Any) -> SeriesInfo:
    data = as_dict(payload)
    info = as_dict(data.get("info"))
    episodes: list[EpisodeInfo] = []
    seen: set[tuple[int, int]] = set()
    for season_key, row in _episode_rows(data.get("episodes")):
        episode_id = to_int(row.get("id"))
        ep_info = as_dict(row.get("info"))
        season = to_int(row.get("season")) or to_int(ep_info.get("season")) or season_key
        number = to_int(row.get("episode_num"))
        if episode_id is None or season is None or number is None or season < 0 or number < 0:
            continue
        if (season, number) in seen:
            continue  # a panel listing one episode twice: the first one wins
        seen.add((season, number))
        episodes.append(
            EpisodeInfo(
                id=episode_id,
                season=season,
                episode=number,
                title=to_str(row.get("title")),
                container=_ext(row.get("container_extension"), DEFAULT_EPISODE_EXT),
                plot=to_str(ep_info.get("plot")),
                air_date=to_str(ep_info.get("releasedate") or ep_info.get("air_date")),
                rating=to_float(ep_info.get("rating")),
                tmdb_id=_tmdb(ep_info.get("tmdb_id")),
            )
        )
    episodes.sort(key=lambda e: (e.season, e.episode))
    return SeriesInfo(
        plot=to_str(info.get("plot")),
        genre=to_str(info.get("genre")),
        rating=to_float(info.get("rating")),
        tmdb_id=_tmdb(info.get("tmdb") or info.get("tmdb_id")),
        cover=to_str(info.get("cover")),
        backdrop=_first_image(info.get("backdrop_path")),
        episodes=tuple(episodes),
    )


def parse_vod_info(payload: Any) -> MovieInfo:
    data = as_dict(payload)
    info = as_dict(data.get("info"))
    imdb = to_str(info.get("imdb_id") or info.get("imdb"))
    return MovieInfo(
        plot=to_str(info.get("plot") or info.get("description")),
        genre=to_str(info.get("genre")),
        rating=to_float(info.get("rating")),
        tmdb_id=_tmdb(info.get("tmdb_id") or info.get("tmdb")),
        imdb_id=imdb if imdb and imdb.startswith("tt") else None,
        release_date=to_str(info.get("releasedate") or info.get("release_date")),
        backdrop=_first_image(info.get("backdrop_path")),
        duration_secs=to_int(info.get("duration_secs")),
    )
