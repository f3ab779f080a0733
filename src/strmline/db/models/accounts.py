"""People and the things they own: users, favourites, viewing sessions."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strmline.db.base import Base, BigId, Timestamps, UTCDateTime, utcnow

XTREAM_SAFE = re.compile(r"[^A-Za-z0-9._-]")
XTREAM_ALPHABET = string.ascii_letters + string.digits


def new_xtream_password() -> str:
    """Letters and digits only: players put it in URL paths without quoting."""
    return "".join(secrets.choice(XTREAM_ALPHABET) for _ in range(16))


def xtream_username_for(username: str) -> str:
    """The login name when it is safe in a URL path, else a cleaned name with a random tail."""
    cleaned = XTREAM_SAFE.sub("", username)[:80]
    if cleaned == username and cleaned:
        return cleaned
    return f"{cleaned or 'user'}-{secrets.token_hex(3)}"


def default_xtream_username(context: Any) -> str:
    return xtream_username_for(str(context.get_current_parameters()["username"]))


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(8), default="user", index=True)  # admin | user
    api_token: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(
        Integer, default=0
    )  # bumped on logout/password change
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Xtream Codes API credentials (players send them in every URL): not the login password,
    # rotatable on their own. Defaults derive from the username (see xtream_defaults).
    xtream_username: Mapped[str] = mapped_column(
        String(100), unique=True, default=lambda ctx: default_xtream_username(ctx)
    )
    xtream_password: Mapped[str] = mapped_column(String(64), default=lambda: new_xtream_password())
    # The lineup the Xtream credentials show (None: the user's default lineup).
    xtream_lineup_id: Mapped[int | None] = mapped_column(
        ForeignKey("lineups.id", ondelete="SET NULL"), index=True
    )


class Favorite(Base):
    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("user_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ViewingSession(Base):
    __tablename__ = "viewing_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), index=True
    )
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8), default="live")  # live | movie | episode
    client: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    switches: Mapped[int] = mapped_column(Integer, default=0)
