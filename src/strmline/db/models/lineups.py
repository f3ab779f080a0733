"""Lineups (named channel sets with their own order and numbers, each its own M3U, XMLTV,
HDHomeRun device and Xtream view), who is given which, and the categories a provider offered.

"All channels" has no row: it is the absence of a lineup (``lineup_id`` None) everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strmline.db.base import Base, JSONType, Timestamps, UTCDateTime, utcnow

# A member row's source: put there by a person, by the lineup's rules, or taken out by a person
# (kept so the rules do not put it back at the next sync).
MEMBER_SOURCES = ("manual", "rule", "excluded")


class Lineup(Timestamps, Base):
    __tablename__ = "lineups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)  # in output URLs
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    # Rules that fill the lineup: a list of {category, country, quality, name} objects; a
    # channel matching any rule (every field of it) is a member.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    rules_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineupMember(Base):
    __tablename__ = "lineup_channels"
    # Outputs read a lineup in (number, channel id) order, a keyset page at a time.
    __table_args__ = (
        Index(
            "ix_lineup_channels_lineup_id_number_channel_id", "lineup_id", "number", "channel_id"
        ),
    )

    lineup_id: Mapped[int] = mapped_column(
        ForeignKey("lineups.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    number: Mapped[float] = mapped_column(Float)  # the channel's number in this lineup
    source: Mapped[str] = mapped_column(String(8), default="manual", index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserLineup(Base):
    """A user given lineups sees only those in the outputs; a user with none sees everything."""

    __tablename__ = "user_lineups"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lineup_id: Mapped[int] = mapped_column(
        ForeignKey("lineups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProviderGroup(Base):
    """A category (group-title) a provider's live list held at a sync, with its entry count,
    and whether the sync takes its entries."""

    __tablename__ = "provider_groups"
    __table_args__ = (UniqueConstraint("provider_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))  # "" for entries without a category
    entries: Mapped[int] = mapped_column(Integer, default=0)
    taken: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first seen


__all__ = ["MEMBER_SOURCES", "Lineup", "LineupMember", "ProviderGroup", "UserLineup"]
