"""Guide sources, their channels and programmes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from strmline.db.base import Base, BigId, JSONType, Timestamps, UTCDateTime


class EpgSource(Timestamps, Base):
    __tablename__ = "epg_sources"
    __table_args__ = (
        # One automatic source per provider, even when two schedulers add it at the same moment.
        Index(
            "uq_epg_sources_auto_provider_id",
            "provider_id",
            unique=True,
            sqlite_where=text("auto"),
            postgresql_where=text("auto"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # url | file | xtream | m3u_header
    url: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    auto: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # added from a provider, not by a person
    priority: Mapped[int] = mapped_column(Integer, default=0)
    last_import_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_message: Mapped[str | None] = mapped_column(Text)
    channel_count: Mapped[int] = mapped_column(Integer, default=0)
    programme_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Own schedule (cron wins over minutes); both empty: the epg.refresh_* settings.
    refresh_minutes: Mapped[int | None] = mapped_column(Integer)
    refresh_cron: Mapped[str | None] = mapped_column(String(100))
    # Set when the source is added or its URL changes: the scheduler imports it at its next tick.
    import_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EpgChannel(Base):
    __tablename__ = "epg_channels"
    __table_args__ = (UniqueConstraint("source_id", "xmltv_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("epg_sources.id", ondelete="CASCADE"), index=True
    )
    xmltv_id: Mapped[str] = mapped_column(String(200), index=True)
    display_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    match_key: Mapped[str | None] = mapped_column(String(300), index=True)
    icon: Mapped[str | None] = mapped_column(Text)


class EpgProgramme(Base):
    __tablename__ = "epg_programmes"
    __table_args__ = (Index("ix_epg_programmes_epg_channel_id_start", "epg_channel_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    epg_channel_id: Mapped[int] = mapped_column(ForeignKey("epg_channels.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    stop: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    title: Mapped[str] = mapped_column(Text)
    sub_title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str] | None] = mapped_column(JSONType)
    episode_num: Mapped[str | None] = mapped_column(String(100))  # xmltv_ns
    episode_onscreen: Mapped[str | None] = mapped_column(String(100))
    icon: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(50))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class EpgProgrammeStaging(Base):
    """Programmes of an import in progress, keyed by source and guide channel id (text).

    An import streams into this table in many small transactions; one short transaction then
    swaps a source's programmes from here into ``epg_programmes``, so readers never see half a
    guide and a failed import leaves the previous one in place.
    """

    __tablename__ = "epg_programme_staging"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("epg_sources.id", ondelete="CASCADE"), index=True
    )
    xmltv_id: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    stop: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    sub_title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str] | None] = mapped_column(JSONType)
    episode_num: Mapped[str | None] = mapped_column(String(100))
    episode_onscreen: Mapped[str | None] = mapped_column(String(100))
    icon: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(50))
