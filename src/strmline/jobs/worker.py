"""The state a Celery worker process keeps for its whole life: one event loop, one context.

A new event loop (and with it a new connection pool and HTTP pool) per task is what the earlier
system paid 50–100 ms a task for. Here the prefork child creates both once, right after the fork
(``worker_process_init``); the solo pool has no child, so the first task creates them instead.
Every task then runs on that same loop with ``run_until_complete``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown, worker_shutdown

from strmline.config import Settings
from strmline.jobs.context import Context, open_context
from strmline.jobs.runtime import JobRuntime

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    loop: asyncio.AbstractEventLoop
    context: Context
    # Held open across tasks: entered on the loop once, closed by stop().
    resources: AsyncExitStack

    @property
    def runtime(self) -> JobRuntime:
        return self.context.runtime


_state: WorkerState | None = None
# A threads pool would call in from several threads; one loop can only run one of them at a time.
_lock = threading.Lock()


def start(settings: Settings | None = None) -> WorkerState:
    global _state
    with _lock:
        if _state is None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            resources = AsyncExitStack()
            context = loop.run_until_complete(
                resources.enter_async_context(open_context(settings, role="worker"))
            )
            _state = WorkerState(loop=loop, context=context, resources=resources)
            log.info("job runtime ready (worker %s)", _state.runtime.worker_name)
        return _state


def stop() -> None:
    global _state
    with _lock:
        state, _state = _state, None
    if state is None:
        return
    try:
        state.loop.run_until_complete(state.resources.aclose())
        state.loop.run_until_complete(state.loop.shutdown_asyncgens())
    finally:
        state.loop.close()


def run_job(job_id: int) -> dict[str, Any]:
    state = start()
    with _lock:
        job = state.loop.run_until_complete(state.runtime.execute(job_id))
    return {"job_id": job.id, "state": job.state}


def _on_process_init(**_: Any) -> None:
    start()


def _on_process_shutdown(**_: Any) -> None:
    stop()


def _on_worker_shutdown(**_: Any) -> None:
    stop()


worker_process_init.connect(_on_process_init, weak=False)
worker_process_shutdown.connect(_on_process_shutdown, weak=False)
worker_shutdown.connect(_on_worker_shutdown, weak=False)
