"""VOD job kinds that need the job machinery: a VOD sync that queues the library after itself.

When ``vod.strm_after_sync`` is on and the sync changed something, a ``strm_generate`` job is
started through the runner that runs the sync (``ctx.follow_up``): Celery deployments queue it,
the in-process backend runs it right after, and either way its events reach the app.
"""

from __future__ import annotations

import logging
from typing import Any

from strmline.errors import Conflict
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.vod import vod_sync_job

log = logging.getLogger(__name__)


async def vod_sync_then_strm(
    ctx: PipelineContext,
    *,
    provider_id: int | None = None,
    force: bool = False,
    base_url: str | None = None,
) -> dict[str, Any]:
    """``base_url``: the URL of the request that started the sync, passed on to the library."""
    result = await vod_sync_job(ctx, provider_id=provider_id, force=force)
    if not ctx.settings.vod.strm_after_sync or not result["changed"]:
        return result
    if ctx.follow_up is None:
        log.info("vod sync run outside a job runner: the library is not written after it")
        return result
    args = {"base_url": base_url} if base_url else {}
    try:
        result["strm_job_id"] = await ctx.follow_up("strm_generate", args, trigger="vod_sync")
    except Conflict:
        log.info("a strm_generate job is already running; it will pick up this sync")
    return result
