"""Movies and series: one logical title, with one source row per provider that offers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strmline.db.base import Base, JSONType, Timestamps, UTCDateTime


class VodMovie(Timestamps, Base):
    __tablename__ = "vod_movies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(400), index=True)
    search_title: Mapped[str] = mapped_column(String(400), index=True)
    match_key: Mapped[str] = mapped_column(String(400), index=True)  # normalised title + year
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    tmdb_id: Mapped[str | None] = mapped_column(String(20), index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(20), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    genre: Mapped[str | None] = mapped_column(String(200))
    plot: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[float | None] = mapped_column(Float)
    poster: Mapped[str | None] = mapped_column(Text)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    strm_path: Mapped[str | None] = mapped_column(Text)
    strm_hash: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class VodMovieSource(Timestamps, Base):
    __tablename__ = "vod_movie_sources"
    __table_args__ = (UniqueConstraint("provider_id", "provider_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movie_id: Mapped[int] = mapped_column(
        ForeignKey("vod_movies.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    provider_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(Text)
    container: Mapped[str | None] = mapped_column(String(10))
    quality: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class VodSeries(Timestamps, Base):
    __tablename__ = "vod_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(400), index=True)
    search_title: Mapped[str] = mapped_column(String(400), index=True)
    match_key: Mapped[str] = mapped_column(String(400), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    tmdb_id: Mapped[str | None] = mapped_column(String(20), index=True)
    imdb_id: Mapped[str | None] = mapped_column(String(20), index=True)
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    genre: Mapped[str | None] = mapped_column(String(200))
    plot: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[float | None] = mapped_column(Float)
    poster: Mapped[str | None] = mapped_column(Text)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    strm_dir: Mapped[str | None] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class VodSeriesSource(Timestamps, Base):
    __tablename__ = "vod_series_sources"
    __table_args__ = (UniqueConstraint("provider_id", "provider_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("vod_series.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    provider_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    category: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(
        String(40)
    )  # provider's value, compared as given
    content_hash: Mapped[str] = mapped_column(String(32))
    last_seen_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class VodEpisode(Timestamps, Base):
    __tablename__ = "vod_episodes"
    __table_args__ = (UniqueConstraint("series_id", "season", "episode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("vod_series.id", ondelete="CASCADE"), index=True
    )
    season: Mapped[int] = mapped_column(Integer)
    episode: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(400))
    plot: Mapped[str | None] = mapped_column(Text)
    air_date: Mapped[str | None] = mapped_column(String(20))
    rating: Mapped[float | None] = mapped_column(Float)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    strm_path: Mapped[str | None] = mapped_column(Text)
    strm_hash: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class VodEpisodeSource(Timestamps, Base):
    __tablename__ = "vod_episode_sources"
    __table_args__ = (UniqueConstraint("provider_id", "provider_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("vod_episodes.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    provider_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    container: Mapped[str | None] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(32))
    last_seen_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
