"""Xtream Codes API payloads strmline serves (pure: values in, JSON-ready dicts out).

The other direction of :mod:`strmline.formats.xtream`. Field names and value types follow what
Xtream Codes panels send, because players parse them with fixed types: ids of categories and
most counters are strings (``"category_id": "12"``, ``"added": "1700000000"``,
``"max_connections": "4"``), while ``stream_id``, ``num``, ``series_id``, ``episode_num`` and
``parent_id`` are numbers, and an episode's ``id`` is a string again. Short-EPG titles and
descriptions are base64, as panels send them.

Category ids: strmline keeps a category as a name on each channel or title, so the id is derived
from the name (a CRC, stable across restarts and syncs); channels without one are listed under
:data:`UNCATEGORIZED`.
"""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "NEVER_EXPIRES",
    "UNCATEGORIZED",
    "auth_failed",
    "category_id",
    "category_item",
    "epg_listing",
    "live_item",
    "login",
    "series_info",
    "series_item",
    "timestamp",
    "vod_info",
    "vod_item",
    "xtream_time",
]

UNCATEGORIZED = "Uncategorized"
# strmline accounts do not expire, but players compute days left with int(exp_date) and several
# fail on the panels' null: the largest 32-bit timestamp is what they all read as "far away".
NEVER_EXPIRES = "2147483647"
ALLOWED_OUTPUT_FORMATS = ("m3u8", "ts")
# An archive whose provider did not say how long it is: clients hide the archive of a channel
# whose duration is 0, so the least one a catch-up stream can be expected to keep.
DEFAULT_ARCHIVE_DAYS = 1


def category_id(name: str | None) -> str:
    """The id a category name is listed under: the same for the same name, always."""
    key = name if name else "\x00uncategorized"
    return str(zlib.crc32(key.encode()) % 999_999_000 + 1000)


def category_item(name: str | None) -> dict[str, Any]:
    return {
        "category_id": category_id(name),
        "category_name": name or UNCATEGORIZED,
        "parent_id": 0,
    }


def timestamp(moment: datetime | None) -> str:
    """Unix seconds as a string ("" when unknown), as ``added`` and ``last_modified`` are sent."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp()))


def xtream_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (server_info says the timezone is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _b64(text: str | None) -> str:
    return base64.b64encode((text or "").encode()).decode()


def auth_failed() -> dict[str, Any]:
    """What panels answer ``player_api.php`` with wrong credentials (HTTP 200)."""
    return {"user_info": {"auth": 0}}


def login(
    *,
    username: str,
    password: str,
    created_at: datetime | None,
    max_connections: int,
    active_connections: int,
    host: str,
    port: int,
    https_port: int | None,
    protocol: str,
    now: datetime,
) -> dict[str, Any]:
    """``player_api.php`` without an action: the account and the server."""
    return {
        "user_info": {
            "username": username,
            "password": password,
            "message": "strmline",
            "auth": 1,
            "status": "Active",
            "exp_date": NEVER_EXPIRES,
            "is_trial": "0",
            "active_cons": str(active_connections),
            "created_at": timestamp(created_at) or timestamp(now),
            "max_connections": str(max_connections),
            "allowed_output_formats": list(ALLOWED_OUTPUT_FORMATS),
        },
        "server_info": {
            "url": host,
            "port": str(port),
            "https_port": str(https_port) if https_port else "",
            "server_protocol": protocol,
            "rtmp_port": "",
            "timezone": "UTC",
            "timestamp_now": int(now.timestamp()),
            "time_now": xtream_time(now),
            "process": True,
        },
    }


def live_item(
    *,
    num: int,
    stream_id: int,
    name: str,
    logo: str | None,
    epg_channel_id: str,
    added: datetime | None,
    category: str | None,
    archive_days: int | None = None,
) -> dict[str, Any]:
    """One get_live_streams entry; ``archive_days`` is None without catch-up, else the days
    the archive reaches back (0: not said, reported as :data:`DEFAULT_ARCHIVE_DAYS`)."""
    cid = category_id(category)
    return {
        "num": num,
        "name": name,
        "stream_type": "live",
        "stream_id": stream_id,
        "stream_icon": logo or "",
        "epg_channel_id": epg_channel_id,
        "added": timestamp(added),
        "is_adult": "0",
        "category_id": cid,
        "category_ids": [int(cid)],
        "custom_sid": "",
        "tv_archive": 0 if archive_days is None else 1,
        "direct_source": "",
        "tv_archive_duration": 0 if archive_days is None else archive_days or DEFAULT_ARCHIVE_DAYS,
    }


def _rating(value: float | None) -> tuple[str, float]:
    if value is None:
        return "", 0.0
    return f"{value:g}", round(value / 2, 1)


def vod_item(
    *,
    num: int,
    stream_id: int,
    title: str,
    year: int | None,
    poster: str | None,
    rating: float | None,
    tmdb_id: str | None,
    added: datetime | None,
    category: str | None,
    container: str | None,
) -> dict[str, Any]:
    cid = category_id(category)
    rating_text, rating_5 = _rating(rating)
    return {
        "num": num,
        "name": f"{title} ({year})" if year else title,
        "title": title,
        "year": str(year) if year else "",
        "stream_type": "movie",
        "stream_id": stream_id,
        "stream_icon": poster or "",
        "rating": rating_text,
        "rating_5based": rating_5,
        "tmdb": tmdb_id or "",
        "added": timestamp(added),
        "is_adult": "0",
        "category_id": cid,
        "category_ids": [int(cid)],
        "container_extension": container or "mp4",
        "custom_sid": "",
        "direct_source": "",
    }


def _duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def vod_info(
    *,
    stream_id: int,
    title: str,
    year: int | None,
    plot: str | None,
    genre: str | None,
    poster: str | None,
    rating: float | None,
    tmdb_id: str | None,
    duration_secs: int | None,
    added: datetime | None,
    category: str | None,
    container: str | None,
) -> dict[str, Any]:
    rating_text, _ = _rating(rating)
    return {
        "info": {
            "tmdb_id": tmdb_id or "",
            "name": title,
            "o_name": title,
            "cover_big": poster or "",
            "movie_image": poster or "",
            "releasedate": f"{year}-01-01" if year else "",
            "youtube_trailer": "",
            "director": "",
            "actors": "",
            "cast": "",
            "description": plot or "",
            "plot": plot or "",
            "age": "",
            "country": "",
            "genre": genre or "",
            "backdrop_path": [poster] if poster else [],
            "duration_secs": duration_secs or 0,
            "duration": _duration(duration_secs),
            "rating": rating_text,
        },
        "movie_data": {
            "stream_id": stream_id,
            "name": f"{title} ({year})" if year else title,
            "added": timestamp(added),
            "category_id": category_id(category),
            "container_extension": container or "mp4",
            "custom_sid": "",
            "direct_source": "",
        },
    }


def _series_fields(
    *,
    title: str,
    year: int | None,
    plot: str | None,
    genre: str | None,
    poster: str | None,
    rating: float | None,
    tmdb_id: str | None,
    modified: datetime | None,
    category: str | None,
) -> dict[str, Any]:
    rating_text, rating_5 = _rating(rating)
    release = f"{year}-01-01" if year else ""
    return {
        "name": title,
        "title": title,
        "year": str(year) if year else "",
        "cover": poster or "",
        "plot": plot or "",
        "cast": "",
        "director": "",
        "genre": genre or "",
        "releaseDate": release,
        "release_date": release,
        "last_modified": timestamp(modified),
        "rating": rating_text,
        "rating_5based": rating_5,
        "backdrop_path": [poster] if poster else [],
        "youtube_trailer": "",
        "tmdb": tmdb_id or "",
        "episode_run_time": "",
        "category_id": category_id(category),
    }


def series_item(
    *,
    num: int,
    series_id: int,
    title: str,
    year: int | None,
    plot: str | None,
    genre: str | None,
    poster: str | None,
    rating: float | None,
    tmdb_id: str | None,
    modified: datetime | None,
    category: str | None,
) -> dict[str, Any]:
    fields = _series_fields(
        title=title,
        year=year,
        plot=plot,
        genre=genre,
        poster=poster,
        rating=rating,
        tmdb_id=tmdb_id,
        modified=modified,
        category=category,
    )
    return {
        "num": num,
        "series_id": series_id,
        **fields,
        "category_ids": [int(fields["category_id"])],
    }


def series_info(
    *,
    title: str,
    year: int | None,
    plot: str | None,
    genre: str | None,
    poster: str | None,
    rating: float | None,
    tmdb_id: str | None,
    modified: datetime | None,
    category: str | None,
    series_id: int,
    episodes: list[dict[str, Any]],
) -> dict[str, Any]:
    """``get_series_info``: ``episodes`` are dicts with id, season, episode, title, plot,
    air_date, rating, added and container, in season and episode order."""
    info = _series_fields(
        title=title,
        year=year,
        plot=plot,
        genre=genre,
        poster=poster,
        rating=rating,
        tmdb_id=tmdb_id,
        modified=modified,
        category=category,
    )
    by_season: dict[int, list[dict[str, Any]]] = {}
    for ep in episodes:
        rating_text, _ = _rating(ep.get("rating"))
        by_season.setdefault(int(ep["season"]), []).append(
            {
                "id": str(ep["id"]),
                "episode_num": int(ep["episode"]),
                "title": ep.get("title") or f"{title} S{ep['season']:02d}E{ep['episode']:02d}",
                "container_extension": ep.get("container") or "mp4",
                "info": {
                    "plot": ep.get("plot") or "",
                    "releasedate": ep.get("air_date") or "",
                    "rating": rating_text,
                    "movie_image": poster or "",
                    "season": int(ep["season"]),
                },
                "custom_sid": "",
                "added": timestamp(ep.get("added")),
                "season": int(ep["season"]),
                "direct_source": "",
            }
        )
    seasons = [
        {
            "air_date": "",
            "episode_count": len(eps),
            "id": series_id * 1000 + number,
            "name": f"Season {number}",
            "overview": "",
            "season_number": number,
            "cover": poster or "",
            "cover_big": poster or "",
        }
        for number, eps in sorted(by_season.items())
    ]
    return {
        "seasons": seasons,
        "info": info,
        "episodes": {str(number): eps for number, eps in sorted(by_season.items())},
    }


def epg_listing(
    *,
    programme_id: int,
    epg_id: int,
    channel: str,
    start: datetime,
    stop: datetime,
    title: str,
    description: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One ``epg_listings`` entry; with ``now`` (``get_simple_data_table``) it also says
    whether it is on now and that there is no archive."""
    item: dict[str, Any] = {
        "id": str(programme_id),
        "epg_id": str(epg_id),
        "title": _b64(title),
        "lang": "",
        "start": xtream_time(start),
        "end": xtream_time(stop),
        "description": _b64(description),
        "channel_id": channel,
        "start_timestamp": timestamp(start),
        "stop_timestamp": timestamp(stop),
    }
    if now is not None:
        item["now_playing"] = 1 if start <= now < stop else 0
        item["has_archive"] = 0
    return item
