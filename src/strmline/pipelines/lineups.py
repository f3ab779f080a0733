"""Lineup rules after a sync: channels the sync created or changed join (or leave) the
lineups whose rules they now match, so rule-filled lineups stay filled.

Runs after the sync's transaction committed, in one of its own: a failure here leaves the
sync's result standing and is reported as a note on it (the next sync retries).
"""

from __future__ import annotations

import logging

from strmline.db.errors import one_line
from strmline.pipelines.context import PipelineContext
from strmline.services import lineups

__all__ = ["refill_after_sync"]

log = logging.getLogger(__name__)


async def refill_after_sync(ctx: PipelineContext) -> str:
    """Re-apply every lineup's rules; "" or a note for the sync's message."""
    try:
        async with ctx.session_factory() as session, session.begin():
            counts = await lineups.apply_rules(session)
    except Exception as exc:
        log.exception("re-applying lineup rules after the sync failed")
        return f"; lineup rules failed: {one_line(exc)}"
    if counts["added"] or counts["removed"]:
        return f"; lineups: {counts['added']:,} added, {counts['removed']:,} removed by rules"
    return ""
