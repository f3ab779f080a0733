"""Viewing sessions: one row per proxied viewer, opened when the first packet is ready and
closed when the viewer leaves. Both never raise: a row that cannot be written is logged."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import ViewingSession

__all__ = ["SessionFactory", "end_session", "start_session"]

log = logging.getLogger(__name__)

_SESSIONS = cast(Table, ViewingSession.__table__)

# What playback opens its own sessions with (never a request's session: a stream outlives it).
SessionFactory = async_sessionmaker[AsyncSession]


async def start_session(
    factory: SessionFactory,
    *,
    user_id: int | None,
    channel_id: int,
    stream_id: int | None,
    started_at: datetime,
) -> int | None:
    """The new session's id, or None when it could not be recorded."""
    try:
        async with session_scope(factory) as session:
            session_id: int = (
                await session.execute(
                    insert(_SESSIONS)
                    .values(
                        user_id=user_id,
                        channel_id=channel_id,
                        stream_id=stream_id,
                        kind="live",
                        client="proxy",
                        started_at=started_at,
                        bytes_sent=0,
                        switches=0,
                    )
                    .returning(_SESSIONS.c.id)
                )
            ).scalar_one()
    except Exception:
        log.exception("could not record a viewing session")
        return None
    return session_id


async def end_session(
    factory: SessionFactory,
    session_id: int | None,
    *,
    stream_id: int | None,
    bytes_sent: int,
    switches: int,
) -> None:
    if session_id is None:
        return
    try:
        async with session_scope(factory) as session:
            await session.execute(
                update(_SESSIONS)
                .where(_SESSIONS.c.id == session_id)
                .values(
                    ended_at=utcnow(),
                    bytes_sent=bytes_sent,
                    switches=switches,
                    stream_id=stream_id,
                )
            )
    except Exception:
        log.exception("could not close viewing session %s", session_id)
