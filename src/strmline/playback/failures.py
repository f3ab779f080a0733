"""What a failed stream costs: shared by health checks and playback, which both record failures."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import HealthSettings, Settings
from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Stream

__all__ = ["backoff", "record_failures"]

log = logging.getLogger(__name__)

_STREAMS = cast(Table, Stream.__table__)


def backoff(opts: HealthSettings, failures: int) -> timedelta:
    """Delay before rechecking an inactive stream with ``failures`` failures in a row."""
    steps = opts.backoff_hours or [24.0]
    index = min(max(failures - opts.failures_to_deactivate, 0), len(steps) - 1)
    return timedelta(hours=steps[index])


async def record_failures(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: int,
    failures: list[tuple[int, str]],
) -> None:
    """One executemany UPDATE for a batch of failed upstreams, then the channel's ranks.

    Never raises: a failure that cannot be written is logged, and playback goes on."""
    opts = settings.health
    now = utcnow()
    threshold = opts.failures_to_deactivate
    failed = _STREAMS.c.consecutive_failures + 1
    stmt = (
        update(_STREAMS)
        .where(_STREAMS.c.id == bindparam("sid"))
        .values(
            status="failed",
            consecutive_failures=failed,
            failure_reason=bindparam("reason"),
            checked_at=now,
            active=case((failed >= threshold, False), else_=_STREAMS.c.active),
            next_check_at=case(
                (failed >= threshold, now + backoff(opts, threshold)),
                else_=_STREAMS.c.next_check_at,
            ),
        )
    )
    try:
        async with session_scope(factory) as session:
            await session.execute(
                stmt, [{"sid": sid, "reason": why[:300]} for sid, why in failures]
            )
            await recompute.channels(session, [channel_id])
    except Exception:
        log.exception("could not record stream failures of channel %s", channel_id)
