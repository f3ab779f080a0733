"""What a process does when a job finishes, wherever it ran.

A job finishes in the process that ran it: this one, another ``serve --workers`` process (the
elected runner relays its events), a Celery worker or the CLI (both publish on the shared Redis
bus). ``JobWatcher`` holds one subscription to the runtime's event bus; on each ``job.finished``
it loads the job row once and hands it to every registered handler (the API bumps its caches,
metrics record the run time). A handler that fails is logged and the others still run; a lost
subscription is opened again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.engine import session_scope
from strmline.db.models.system import Job
from strmline.errors import NotFound
from strmline.jobs import records
from strmline.jobs.events import EventBus

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0

FinishedHandler = Callable[[Job], Awaitable[None]]


class JobWatcher:
    def __init__(
        self,
        bus: EventBus,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.bus = bus
        self.session_factory = session_factory
        self.retry_seconds = retry_seconds
        self._handlers: list[FinishedHandler] = []
        self._task: asyncio.Task[None] | None = None
        # Set once the subscription is open: events published before that are not seen.
        self.listening = asyncio.Event()

    def on_finished(self, handler: FinishedHandler) -> Callable[[], None]:
        """Call ``handler(job)`` after each job finishes; returns a function that unregisters it."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="strmline-job-watch")
        return self._task

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                async with self.bus.subscribe() as events:
                    self.listening.set()
                    async for event in events:
                        await self.handle(event)
            except Exception as exc:
                log.warning("job watcher lost its subscription (%s); again in a moment", exc)
            self.listening.clear()
            await asyncio.sleep(self.retry_seconds)

    async def handle(self, event: dict[str, Any]) -> None:
        """One event off the bus: for ``job.finished``, the job row to every handler."""
        if event.get("type") != "job.finished" or not self._handlers:
            return
        try:
            async with session_scope(self.session_factory) as session:
                job = await records.get(session=session, job_id=int(event["job_id"]))
        except NotFound:
            return  # deleted since (history pruned): nothing left to react to
        except Exception as exc:  # one bad event must not stop the watcher
            log.warning("job watcher: could not load job %s: %s", event.get("job_id"), exc)
            return
        for handler in list(self._handlers):
            try:
                await handler(job)
            except Exception as exc:
                log.warning("job watcher: handler %s failed on job %s: %s", handler, job.id, exc)
