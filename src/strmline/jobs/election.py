"""Embedded mode with several server processes: one of them runs the jobs and the scheduler.

``strmline serve --workers N`` (and two ``strmline serve`` on one data dir) start N processes
that each build a ``JobRuntime``. Without Celery, each would run the jobs its own requests
submit and tick its own scheduler; on SQLite that is N writers fighting over one database file.
So the processes elect one **runner**:

- the election is an exclusive ``flock`` on ``<data_dir>/runner.lock``, taken without waiting.
  The kernel drops it when its holder exits, however it exits (SIGKILL included), so there is no
  lease to expire and no stale holder to detect;
- the **runner** process runs the in-process job runner and the scheduler, and every
  ``PICKUP_SECONDS`` starts the queued jobs other processes recorded (oldest first; a job is
  claimed by its conditional ``queued → running`` UPDATE, so it runs once even if two runners
  ever saw it);
- the other processes record the jobs their requests submit (the row is the hand-over) and
  retry the lock every ``RETRY_SECONDS``: when the runner dies, one of them takes over, starts
  the scheduler and picks up what is queued. A job that was running in the dead process is
  failed as interrupted by the next scheduler tick (heartbeat timeout), as after any crash;
- the processes that do not run jobs follow the job rows (``JobRowRelay``): progress and
  completion reach their event bus, so server-sent events and cache invalidation work whichever
  process a browser talks to. With Redis, the event bus is shared already and this is skipped.

With Celery (``jobs.backend=celery``) nothing here runs: API processes only send jobs to the
broker and ``strmline beat`` schedules. SQLite stays in WAL mode with a busy timeout (see
``db.engine``): the runner is its one long writer, requests' short writes wait their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models.system import Job, Setting
from strmline.jobs.events import DEFAULT_BUFFER, Event, EventBus, Subscription
from strmline.jobs.runtime import JobRuntime, LocalRunner
from strmline.jobs.schedule import Scheduler

log = logging.getLogger(__name__)

LOCK_NAME = "runner.lock"
RETRY_SECONDS = 2.0
PICKUP_SECONDS = 0.5
PICKUP_BATCH = 50
RELAY_SECONDS = 1.0
RELAY_BATCH = 500
ACTIVE = ("queued", "running")
# What ``JobRuntime.submit`` records. Jobs run inline (the CLI, a job's follow-up) are claimed by
# their caller a moment after they are recorded: picking them up would race it.
SUBMITTED_TRIGGERS = ("api", "schedule")
CANCEL_PREFIX = "system:cancel:job:"


class RunnerLock:
    """An exclusive, non-blocking ``flock`` on one file; the holder's pid is written into it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            # Closing drops the lock; the file stays (unlinking it could let two processes
            # lock two different files of the same name).
            os.close(self._fd)
            self._fd = None

    def holder(self) -> int | None:
        """The pid written by the last holder (it may have died since)."""
        try:
            return int(self.path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None


class ClaimingRunner(LocalRunner):
    """The runner's ``LocalRunner``: a job already waiting for a slot is not queued twice."""

    def __init__(self, runtime: JobRuntime, concurrency: int) -> None:
        super().__init__(runtime.execute, concurrency)
        self.pending: dict[int, asyncio.Task[Job | None]] = {}

    def submit(self, job_id: int) -> asyncio.Task[Job | None]:
        task = self.pending.get(job_id)
        if task is not None:
            return task
        task = super().submit(job_id)
        self.pending[job_id] = task
        task.add_done_callback(lambda _t: self.pending.pop(job_id, None))
        return task


class HandOverRunner(LocalRunner):
    """A non-runner process's runner: the recorded job row is the hand-over; nothing runs here."""

    def __init__(self, runtime: JobRuntime) -> None:
        super().__init__(runtime.execute, 1)

    def submit(self, job_id: int) -> asyncio.Task[Job | None]:
        log.info("job %s handed over by process %s to the elected runner", job_id, os.getpid())
        return asyncio.create_task(_nothing(), name=f"job-{job_id}-handed-over")


async def _nothing() -> Job | None:
    return None


async def queued_job_ids(runtime: JobRuntime, *, limit: int = PICKUP_BATCH) -> list[int]:
    """Submitted jobs still queued and young enough to run (older ones are failed by the
    scheduler's sweep)."""
    since = utcnow() - runtime.queued_timeout
    async with session_scope(runtime.session_factory) as session:
        rows = await session.scalars(
            select(Job.id)
            .where(
                Job.state == "queued",
                Job.created_at >= since,
                Job.trigger.in_(SUBMITTED_TRIGGERS),
            )
            .order_by(Job.id)
            .limit(limit)
        )
        return list(rows.all())


class JobRowRelay:
    """Job progress and completion from the rows, onto this process's own event bus.

    For processes that run no jobs and share no Redis bus with the one that does: one indexed
    query per ``RELAY_SECONDS`` (the jobs changed since the last look), published as the same
    ``job.progress`` / ``job.finished`` events the runner publishes in its own process.
    """

    def __init__(self, runtime: JobRuntime, *, interval: float = RELAY_SECONDS) -> None:
        self.runtime = runtime
        self.interval = interval
        self._seen: dict[int, tuple[Any, ...]] = {}
        self._since: datetime | None = None

    async def poll(self) -> int:
        """Publish what changed since the last poll; returns how many events went out."""
        now = utcnow()
        # Finished within the last look (and a margin for clocks between processes).
        since = (self._since or now) - timedelta(seconds=self.interval + 1)
        async with session_scope(self.runtime.session_factory) as session:
            rows = (
                await session.scalars(
                    select(Job)
                    .where(Job.state.in_(ACTIVE) | (Job.finished_at >= since))
                    .order_by(Job.id)
                    .limit(RELAY_BATCH)
                )
            ).all()
        first = self._since is None
        self._since = now
        sent = 0
        for job in rows:
            state = (job.state, job.progress, job.total, job.message)
            before = self._seen.get(job.id)
            self._seen[job.id] = state
            # The first look only learns what is there: nothing happened while we watched.
            if before == state or (first and before is None):
                continue
            if job.state == "running":
                await self.runtime.bus.publish(_progress_event(job))
            elif job.state not in ACTIVE:
                await self.runtime.bus.publish(_finished_event(job))
            else:
                continue
            sent += 1
        live = {job.id for job in rows}
        for job_id in [j for j in self._seen if j not in live]:
            del self._seen[job_id]
        return sent

    async def run_forever(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception as exc:  # a missed poll only delays events to the next one
                log.warning("job relay: %s", exc)
            await asyncio.sleep(self.interval)


def _progress_event(job: Job) -> dict[str, Any]:
    return {
        "type": "job.progress",
        "job_id": job.id,
        "kind": job.kind,
        "progress": job.progress,
        "total": job.total,
        "message": job.message,
    }


def _finished_event(job: Job) -> dict[str, Any]:
    return {
        "type": "job.finished",
        "job_id": job.id,
        "kind": job.kind,
        "state": job.state,
        "result": job.result,
        "error": job.error,
    }


class SharedCancelBus:
    """This process's event bus, with cancel requests kept in the ``settings`` table.

    A follower that is asked to cancel a job running in the runner process cannot reach it over
    a process-local bus; the row can. The runner's job watcher asks ``cancel_requested`` every
    ``cancel_poll`` while a job runs: one primary-key read. With Redis the bus does this itself.
    """

    def __init__(self, inner: EventBus, runtime: JobRuntime) -> None:
        self.inner = inner
        self.runtime = runtime

    async def publish(self, event: Event) -> None:
        await self.inner.publish(event)

    def subscribe(self, maxsize: int = DEFAULT_BUFFER) -> Subscription:
        return self.inner.subscribe(maxsize)

    async def request_cancel(self, job_id: int) -> None:
        await self.inner.request_cancel(job_id)
        async with session_scope(self.runtime.session_factory) as session:
            await session.merge(Setting(key=cancel_key(job_id), value={"at": utcnow().isoformat()}))

    async def cancel_requested(self, job_id: int) -> bool:
        if await self.inner.cancel_requested(job_id):
            return True
        async with session_scope(self.runtime.session_factory) as session:
            found = await session.scalar(
                select(Setting.key).where(Setting.key == cancel_key(job_id))
            )
        return found is not None

    async def clear_cancel(self, job_id: int) -> None:
        await self.inner.clear_cancel(job_id)
        async with session_scope(self.runtime.session_factory) as session:
            await session.execute(delete(Setting).where(Setting.key == cancel_key(job_id)))

    async def close(self) -> None:
        await self.inner.close()


def cancel_key(job_id: int) -> str:
    return f"{CANCEL_PREFIX}{job_id}"


class Election:
    """Where this process's jobs and schedules run; see the module docstring."""

    def __init__(
        self,
        runtime: JobRuntime,
        scheduler: Scheduler,
        lock: RunnerLock,
        *,
        retry_seconds: float = RETRY_SECONDS,
        pickup_seconds: float = PICKUP_SECONDS,
        relay: bool = True,
    ) -> None:
        self.runtime = runtime
        self.scheduler = scheduler
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.pickup_seconds = pickup_seconds
        self.relay = JobRowRelay(runtime) if relay else None
        self._own_runner = runtime.runner
        self._own_bus = runtime.bus
        if relay:  # no shared bus: cancel requests go through the database
            runtime.bus = SharedCancelBus(runtime.bus, runtime)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def is_runner(self) -> bool:
        return self.lock.held

    async def start(self) -> None:
        if not self._take():
            holder = self.lock.holder()
            log.info(
                "jobs and the scheduler run in process %s (%s held); process %s hands jobs over",
                holder,
                self.lock.path,
                os.getpid(),
            )
            self.runtime.runner = HandOverRunner(self.runtime)
            self._spawn(self._wait_for_lock(), "runner-election")
            if self.relay is not None:
                self._spawn(self.relay.run_forever(), "job-relay")

    def _take(self) -> bool:
        if not self.lock.try_acquire():
            return False
        log.info(
            "process %s elected to run jobs and the scheduler (%s)", os.getpid(), self.lock.path
        )
        self.runtime.runner = ClaimingRunner(self.runtime, self.runtime.options.concurrency)
        self.scheduler.start()
        self._spawn(self._pick_up(), "job-pickup")
        return True

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def _wait_for_lock(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            if self._take():
                for task in self._tasks:
                    if task.get_name() == "job-relay":
                        task.cancel()  # this process's own bus carries the events now
                return

    async def _pick_up(self) -> None:
        while True:
            try:
                for job_id in await queued_job_ids(self.runtime):
                    self.runtime.runner.submit(job_id)
            except Exception as exc:  # a failed look is retried at the next one
                log.warning("queued job pickup: %s", exc)
            await asyncio.sleep(self.pickup_seconds)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.scheduler.stop()
        await self.runtime.runner.close()
        self.runtime.runner = self._own_runner
        self.runtime.bus = self._own_bus
        self.lock.release()


async def elect(runtime: JobRuntime, scheduler: Scheduler, data_dir: Path) -> Election:
    """Start the election for this process (embedded backend only)."""
    election = Election(
        runtime,
        scheduler,
        RunnerLock(data_dir / LOCK_NAME),
        # A shared Redis bus already carries every process's job events.
        relay=not runtime.settings.redis_url,
    )
    await election.start()
    return election
