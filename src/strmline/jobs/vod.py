"""VOD job kinds that need the job machinery: a VOD sync that queues the library after itself.

Pipelines do not import ``strmline.jobs``, so the follow-up lives here: when
``vod.strm_after_sync`` is on and the sync changed something, a ``strm_generate`` job is
recorded; Celery deployments queue it, the in-process backend runs it right after the sync.
"""

from __future__ import annotations

import logging
from typing import Any

from strmline.errors import Conflict
from strmline.jobs.runtime import JobRuntime
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
    runtime = JobRuntime(ctx.settings, session_factory=ctx.session_factory, http=ctx.http)
    args = {"base_url": base_url} if base_url else {}
    try:
        if runtime.backend == "celery":
            job = await runtime.submit("strm_generate", args, trigger="vod_sync")
        else:
            job = await runtime.run_inline("strm_generate", args, trigger="vod_sync")
        result["strm_job_id"] = job.id
    except Conflict:
        log.info("a strm_generate job is already running; it will pick up this sync")
    finally:
        await runtime.close()
    return result
