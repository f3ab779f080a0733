"""What a VOD fetch produces: one row per movie, series and episode, each with a content hash.

Both provider kinds (Xtream and the VOD entries of an M3U) end up as these rows, so the later
stages only ever diff and write. Each knows the values it sets on its title and source rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from strmline.matching.names import normalize

__all__ = ["EpisodeIn", "MovieIn", "SeriesIn", "content_hash"]


def content_hash(values: list[Any]) -> str:
    payload = orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


@dataclass(slots=True)
class MovieIn:
    key: str
    name: str
    title: str
    year: int | None
    url: str
    container: str | None
    category: str | None
    language: str | None = None
    quality: str | None = None
    tmdb_id: str | None = None
    imdb_id: str | None = None
    poster: str | None = None
    rating: float | None = None
    plot: str | None = None
    genre: str | None = None
    added: datetime | None = None
    hash: str = ""

    def seal(self) -> MovieIn:
        self.hash = content_hash(
            [
                self.name,
                self.title,
                self.year,
                self.url,
                self.container,
                self.category,
                self.tmdb_id,
                self.poster,
                self.rating,
                self.added.isoformat() if self.added else None,
            ]
        )
        return self

    def title_update(self, key: str) -> dict[str, Any]:
        return {
            "title": self.title[:400],
            "search_title": normalize(self.title)[:400],
            "match_key": key,
            "year": self.year,
            "language": self.language,
            "category": (self.category or None) and self.category[:200],
            "rating": self.rating,
            "poster": self.poster,
        }

    def title_row(self, key: str, now: datetime) -> dict[str, Any]:
        # Ids only on insert: updates must not clear them (the sync fills missing ones).
        return self.title_update(key) | {
            "tmdb_id": self.tmdb_id,
            "imdb_id": self.imdb_id,
            "genre": self.genre and self.genre[:200],
            "plot": self.plot,
            "info": None,
            "strm_path": None,
            "strm_hash": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name[:400],
            "url": self.url,
            "container": self.container,
            "quality": self.quality,
            "category": self.category and self.category[:200],
            "content_hash": self.hash,
            "added_at": self.added,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }


@dataclass(slots=True)
class SeriesIn:
    key: str
    name: str
    title: str
    year: int | None
    category: str | None
    last_modified: str | None
    tmdb_id: str | None = None
    poster: str | None = None
    plot: str | None = None
    genre: str | None = None
    rating: float | None = None
    hash: str = ""

    def seal(self) -> SeriesIn:
        self.hash = content_hash(
            [
                self.name,
                self.title,
                self.year,
                self.category,
                self.tmdb_id,
                self.poster,
                self.plot,
                self.genre,
                self.rating,
            ]
        )
        return self

    def title_update(self, key: str) -> dict[str, Any]:
        return {
            "title": self.title[:400],
            "search_title": normalize(self.title)[:400],
            "match_key": key,
            "year": self.year,
            "category": self.category and self.category[:200],
            "genre": self.genre and self.genre[:200],
            "plot": self.plot,
            "rating": self.rating,
            "poster": self.poster,
        }

    def title_row(self, key: str, now: datetime) -> dict[str, Any]:
        return self.title_update(key) | {
            "tmdb_id": self.tmdb_id,
            "imdb_id": None,
            "info": None,
            "strm_dir": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name[:400],
            "category": self.category and self.category[:200],
            "last_modified": self.last_modified and self.last_modified[:40],
            "content_hash": self.hash,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }


@dataclass(slots=True)
class EpisodeIn:
    key: str
    season: int
    episode: int
    title: str | None
    url: str
    container: str | None
    plot: str | None = None
    air_date: str | None = None
    rating: float | None = None
    hash: str = ""

    def seal(self) -> EpisodeIn:
        self.hash = content_hash(
            [
                self.season,
                self.episode,
                self.title,
                self.url,
                self.container,
                self.plot,
                self.air_date,
                self.rating,
            ]
        )
        return self

    def episode_update(self) -> dict[str, Any]:
        return {
            "title": self.title and self.title[:400],
            "plot": self.plot,
            "air_date": self.air_date and self.air_date[:20],
            "rating": self.rating,
        }

    def episode_row(self, series_id: int, now: datetime) -> dict[str, Any]:
        return self.episode_update() | {
            "series_id": series_id,
            "season": self.season,
            "episode": self.episode,
            "info": None,
            "strm_path": None,
            "strm_hash": None,
            "removed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def source_values(self, now: datetime) -> dict[str, Any]:
        return {
            "url": self.url,
            "container": self.container,
            "content_hash": self.hash,
            "last_seen_sync": now,
            "removed_at": None,
            "updated_at": now,
        }
