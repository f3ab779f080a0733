"""Every job kind strmline knows, registered by dotted path so no pipeline is imported until used.

``noop`` is harmless and built in: deployments use it to check that workers run jobs at all, and
the test suite uses it to prove that one worker process keeps one event loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

from strmline.jobs.registry import register
from strmline.pipelines.context import PipelineContext

MAX_NOOP_SECONDS = 60.0


def _provider_resource(args: dict[str, Any]) -> str:
    return f"provider:{int(args['provider_id'])}"


async def noop(
    ctx: PipelineContext, *, seconds: float = 0.0, steps: int = 1, resource: str | None = None
) -> dict[str, Any]:
    """Sleep ``seconds`` in ``steps`` reported steps; report where it ran."""
    seconds = min(max(float(seconds), 0.0), MAX_NOOP_SECONDS)
    steps = max(int(steps), 1)
    for step in range(1, steps + 1):
        await asyncio.sleep(seconds / steps)
        await ctx.report(step, steps, f"step {step}/{steps}")
    return {
        "pid": os.getpid(),
        "loop": id(asyncio.get_running_loop()),
        "host": socket.gethostname(),
        "seconds": seconds,
    }


register("noop", noop, resource=lambda a: f"noop:{a['resource']}" if a.get("resource") else None)
register("sync", "strmline.pipelines.sync:sync_job", resource=_provider_resource)
register("vod_sync", "strmline.jobs.vod:vod_sync_then_strm", resource=lambda a: "vod")
register("strm_generate", "strmline.pipelines.strm:strm_generate_job", resource=lambda a: "strm")
register("epg_import", "strmline.pipelines.epg:epg_import_job", resource=lambda a: "epg")
register("health", "strmline.pipelines.health:health_job", resource=lambda a: "health")
