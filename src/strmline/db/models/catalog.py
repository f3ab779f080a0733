"""Providers, merged channels, the provider streams behind them, and merge rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from strmline.db.base import Base, JSONType, Timestamps, UTCDateTime
from strmline.db.secrets import EncryptedString


class Provider(Timestamps, Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # m3u | xtream
    url: Mapped[str] = mapped_column(Text)  # M3U URL/path, or the Xtream server URL
    username: Mapped[str | None] = mapped_column(String(200))
    # Encrypted at rest (db/secrets.py); read and written as clear text.
    password: Mapped[str | None] = mapped_column(EncryptedString(200))
    backup_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    epg_url: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    output_format: Mapped[str] = mapped_column(String(8), default="ts")  # Xtream live: ts | m3u8
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    max_connections: Mapped[int | None] = mapped_column(Integer)
    refresh_minutes: Mapped[int | None] = mapped_column(Integer)
    refresh_cron: Mapped[str | None] = mapped_column(String(100))
    vod_detect: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_epg: Mapped[bool] = mapped_column(Boolean, default=True)
    account: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_sync_status: Mapped[str | None] = mapped_column(String(16))
    last_sync_message: Mapped[str | None] = mapped_column(Text)
    last_sync_counts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    last_good_entries: Mapped[int] = mapped_column(Integer, default=0)
    last_good_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Group filters (services/group_filters.py): regular expressions on category and entry
    # names, and whether categories first seen at a sync are taken.
    group_include: Mapped[str | None] = mapped_column(String(500))
    group_exclude: Mapped[str | None] = mapped_column(String(500))
    name_include: Mapped[str | None] = mapped_column(String(500))
    name_exclude: Mapped[str | None] = mapped_column(String(500))
    take_new_groups: Mapped[bool] = mapped_column(Boolean, default=True)
    # How its streams reach players: auto (None: proxied when the URL shows the credentials,
    # else the global mode) | proxy | redirect; and the stream profile the proxy plays them with.
    play_mode: Mapped[str | None] = mapped_column(String(8))
    stream_profile: Mapped[str | None] = mapped_column(String(40))


class Channel(Timestamps, Base):
    __tablename__ = "channels"
    # The channel list is keyset-paginated on (sort column, id) for each sort it offers. The name
    # index also holds what every list asks (stream_count > 0 OR manual): a search, which no
    # b-tree can seek, and the list's count then read the index, not the table.
    __table_args__ = (
        Index("ix_channels_search_name_listed", "search_name", "id", "stream_count", "manual"),
        Index("ix_channels_number_id", "number", "id"),
        Index("ix_channels_stream_count_id", "stream_count", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    search_name: Mapped[str] = mapped_column(String(300))  # normalised, accent-free
    match_key: Mapped[str] = mapped_column(String(300), index=True)
    country: Mapped[str | None] = mapped_column(String(8), index=True)
    region: Mapped[str | None] = mapped_column(String(40), index=True)
    variant: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    # Assigned once and kept (see pipelines/numbering.py): media servers key guides by it.
    number: Mapped[float | None] = mapped_column(Float)
    number_source: Mapped[str | None] = mapped_column(String(8))  # chno | auto | manual
    logo: Mapped[str | None] = mapped_column(Text)
    tvg_id: Mapped[str | None] = mapped_column(String(200), index=True)
    epg_channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("epg_channels.id", ondelete="SET NULL"), index=True
    )
    epg_match_method: Mapped[str | None] = mapped_column(String(16))
    epg_match_confidence: Mapped[int | None] = mapped_column(SmallInteger)
    epg_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # created or edited by a person
    play_mode: Mapped[str | None] = mapped_column(
        String(16)
    )  # per-channel override: redirect | proxy
    stream_profile: Mapped[str | None] = mapped_column(String(40))  # over the provider's
    stream_count: Mapped[int] = mapped_column(Integer, default=0)
    active_stream_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    best_stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL", use_alter=True), index=True
    )
    best_quality: Mapped[str | None] = mapped_column(String(8), index=True)


class Stream(Timestamps, Base):
    __tablename__ = "streams"
    __table_args__ = (
        UniqueConstraint("provider_id", "provider_key"),
        Index("ix_streams_channel_id_rank", "channel_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    provider_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    group_title: Mapped[str | None] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text)
    tvg_id: Mapped[str | None] = mapped_column(String(200), index=True)
    tvg_name: Mapped[str | None] = mapped_column(String(300))
    logo: Mapped[str | None] = mapped_column(Text)
    chno: Mapped[str | None] = mapped_column(String(20))
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(
        String(32)
    )  # of what the provider sent; unchanged → no write
    # quality: guessed from the name, replaced by ffprobe measurements when probed
    quality: Mapped[str | None] = mapped_column(String(8), index=True)
    quality_score: Mapped[int] = mapped_column(Integer, default=0, index=True)
    height: Mapped[int | None] = mapped_column(Integer)
    codec: Mapped[str | None] = mapped_column(String(16))
    fps: Mapped[float | None] = mapped_column(Float)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # health
    status: Mapped[str] = mapped_column(
        String(8), default="unknown", index=True
    )  # unknown|ok|slow|failed
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    response_ms: Mapped[int | None] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    # ranking and merge provenance
    rank: Mapped[int] = mapped_column(Integer, default=0)
    pinned_rank: Mapped[int | None] = mapped_column(Integer)
    merge_method: Mapped[str] = mapped_column(String(16), default="new", index=True)
    merge_confidence: Mapped[int] = mapped_column(SmallInteger, default=100)
    merge_reason: Mapped[str | None] = mapped_column(String(300))
    manual_override: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    last_seen_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class MergeRule(Timestamps, Base):
    __tablename__ = "merge_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # never | always
    pattern_a: Mapped[str] = mapped_column(String(300))
    pattern_b: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)


__all__ = ["Channel", "MergeRule", "Provider", "Stream"]
