"""Writing results back: batched executemany UPDATEs, so statements follow batches, not streams."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, update

from strmline.db import recompute
from strmline.db.engine import session_scope
from strmline.db.models.catalog import Stream
from strmline.pipelines.health.check import STATUS_FAILED, STATUS_OK, STATUS_SLOW
from strmline.pipelines.health.state import HealthRun
from strmline.playback.failures import backoff

# Core statements on the table: ORM "bulk update by primary key" would refuse a WHERE clause,
# and these are plain executemany UPDATEs (one round trip per batch).
_STREAMS = cast(Table, Stream.__table__)
OK_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        status=bindparam("status"),
        active=True,
        consecutive_failures=0,
        checked_at=bindparam("now"),
        ok_at=bindparam("now"),
        next_check_at=None,
        response_ms=bindparam("ms"),
        failure_reason=None,
    )
)
FAIL_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        status=STATUS_FAILED,
        active=bindparam("active"),
        consecutive_failures=bindparam("failures"),
        checked_at=bindparam("now"),
        next_check_at=bindparam("next_at"),
        failure_reason=bindparam("reason"),
    )
)
PROBE_UPDATE = (
    update(_STREAMS)
    .where(_STREAMS.c.id == bindparam("sid"))
    .values(
        height=bindparam("height"),
        codec=bindparam("codec"),
        fps=bindparam("fps"),
        bitrate=bindparam("bitrate"),
        quality=bindparam("quality"),
        quality_score=bindparam("quality_score"),
        probed_at=bindparam("now"),
    )
)


async def flush_results(run: HealthRun, *, min_rows: int = 1) -> None:
    """Write the buffered results: at most two executemany UPDATEs, whatever the batch size."""
    async with run.write_lock:
        if len(run.pending) < min_rows:
            return
        pending, run.pending = run.pending, []
        opts, res, now = run.opts, run.result, run.now
        oks: list[dict[str, Any]] = []
        fails: list[dict[str, Any]] = []
        for row, outcome in pending:
            res.checked += 1
            run.channels.add(row.channel_id)
            if outcome.ok:
                slow = (outcome.response_ms or 0) > opts.slow_ms
                res.slow += slow
                res.ok += not slow
                res.reactivated += not row.active
                oks.append(
                    {
                        "sid": row.id,
                        "status": STATUS_SLOW if slow else STATUS_OK,
                        "now": now,
                        "ms": outcome.response_ms,
                    }
                )
            else:
                res.failed += 1
                failures = row.failures + 1
                active = row.active and failures < opts.failures_to_deactivate
                res.deactivated += row.active and not active
                fails.append(
                    {
                        "sid": row.id,
                        "active": active,
                        "failures": failures,
                        "now": now,
                        "next_at": None if active else now + backoff(opts, failures),
                        "reason": outcome.reason,
                    }
                )
        async with session_scope(run.ctx.session_factory) as session:
            for stmt, params in ((OK_UPDATE, oks), (FAIL_UPDATE, fails)):
                if params:
                    await session.execute(stmt, params)


async def rerank_channels(run: HealthRun) -> None:
    """Refresh stream ranks and counts of the channels whose streams were checked (set-based)."""
    if run.channels:
        async with session_scope(run.ctx.session_factory) as session:
            await recompute.channels(session, run.channels)
