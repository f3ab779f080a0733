"""What runs jobs in a process: one engine, one HTTP pool and one event bus for the process's life.

The API server, the CLI, ``strmline beat`` and each Celery worker process build one ``JobRuntime``.
``submit`` records a job and hands it to the in-process runner or to Celery; ``execute`` runs a
recorded job here; ``run_inline`` does both for the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import TracebackType
from typing import Any, Literal

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings, get_settings
from strmline.db.engine import engine_from_settings, make_session_factory, session_scope
from strmline.db.errors import one_line
from strmline.db.models.system import Job
from strmline.errors import ConfigError, StrmlineError
from strmline.jobs import records, registry
from strmline.jobs.events import EventBus, make_event_bus
from strmline.jobs.liveness import Beacon, Liveness, beacon_key, worker_name
from strmline.jobs.options import job_settings
from strmline.pipelines.context import Cancelled, PipelineContext
from strmline.providers.http import make_client
from strmline.services.settings_sync import SettingsWatch

log = logging.getLogger(__name__)

ReportHook = Callable[[int, int | None, str | None], None]
Backend = Literal["local", "celery"]


class _Progress:
    """The job's ``ctx.report``: keeps the latest values; the watcher task writes them.

    Writing from a side task matters on SQLite: a pipeline that reports while its own write
    transaction is open would otherwise wait on itself for the database lock.
    """

    def __init__(self, ctx: PipelineContext, interval: float, hook: ReportHook | None) -> None:
        self.ctx = ctx
        self.interval = interval
        self.hook = hook
        self.progress = 0
        self.total: int | None = None
        self.message: str | None = None
        self.dirty = False
        self.final = False
        self.last_write = 0.0
        self.wake = asyncio.Event()
        self.stopped = False

    async def __call__(
        self, progress: int, total: int | None = None, message: str | None = None
    ) -> None:
        # Every report is a cancellation point, so jobs stop at their next step without extra code.
        self.ctx.check_cancelled()
        self.progress, self.total, self.message = progress, total, message
        self.dirty = True
        if total is not None and progress >= total:
            self.final = True
        if self.final or time.monotonic() - self.last_write >= self.interval:
            self.wake.set()
        if self.hook is not None:
            self.hook(progress, total, message)
        await asyncio.sleep(0)


class LocalRunner:
    """Runs jobs as asyncio tasks in this process, ``concurrency`` at a time."""

    def __init__(self, execute: Callable[[int], Awaitable[Job]], concurrency: int = 2) -> None:
        self._execute = execute
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[Job | None]] = set()

    def submit(self, job_id: int) -> asyncio.Task[Job | None]:
        task = asyncio.create_task(self._run(job_id), name=f"job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, job_id: int) -> Job | None:
        async with self._slots:
            try:
                return await self._execute(job_id)
            except Exception:
                log.exception("job %s could not be run", job_id)
                return None

    async def join(self) -> None:
        """Wait until every submitted job has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


class JobRuntime:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: AsyncEngine | None = None,
        session_factory: async_sessionmaker[AsyncSession] | None = None,
        http: httpx.AsyncClient | None = None,
        bus: EventBus | None = None,
        backend: Backend | None = None,
        concurrency: int | None = None,
        worker: str | None = None,
        stale_after: float | None = None,
        queued_timeout: float | None = None,
        heartbeat_interval: float | None = None,
        progress_interval: float | None = None,
        cancel_poll: float = 0.5,
        settings_watch: SettingsWatch | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        opts = job_settings(self.settings)
        self.options = opts
        self.backend: Backend = backend or opts.backend
        if self.backend == "celery" and not self.settings.redis_url:
            raise ConfigError("the celery job backend needs redis_url (STRMLINE_REDIS_URL)")
        # Whatever the runtime creates it also closes; what it is given belongs to the caller.
        self._owns_engine = engine is None and session_factory is None
        if session_factory is None:
            engine = engine or engine_from_settings(self.settings)
            session_factory = make_session_factory(engine)
        self.engine = engine
        self.session_factory = session_factory
        self._http = http
        self._owns_http = http is None
        self._owns_bus = bus is None
        self.bus = bus or make_event_bus(self.settings.redis_url, prefix=opts.redis_prefix)
        self.worker_name = worker or worker_name()
        self.stale_after = timedelta(seconds=stale_after or opts.stale_after_seconds)
        self.queued_timeout = timedelta(seconds=queued_timeout or opts.queued_timeout_seconds)
        self.heartbeat_interval = heartbeat_interval or opts.heartbeat_seconds
        self.progress_interval = progress_interval or opts.progress_interval_seconds
        self.cancel_poll = cancel_poll
        self.runner = LocalRunner(self.execute, concurrency or opts.concurrency)
        # Settings saved from the UI after this process started: checked before each job (and
        # each scheduler tick), at most every few seconds.
        self._owns_watch = settings_watch is None
        self.settings_watch = settings_watch or SettingsWatch(self.settings, session_factory)
        self._active: dict[int, PipelineContext] = {}
        # The one stale-job rule (jobs/liveness.py): silent AND its runner gone.
        self.liveness = Liveness(
            worker=self.worker_name,
            active=self._active.keys,
            redis_url=self.settings.redis_url,
            prefix=opts.redis_prefix,
        )
        self._beacon: Beacon | None = None

    async def __aenter__(self) -> JobRuntime:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.runner.close()
        if self._beacon is not None:
            await asyncio.to_thread(self._beacon.close)
            self._beacon = None
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None
        if self._owns_bus:
            await self.bus.close()
        if self._owns_watch:
            await self.settings_watch.close()
        if self._owns_engine and self.engine is not None:
            await self.engine.dispose()

    async def http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = _make_http(self.settings)
        return self._http

    # -- submitting ------------------------------------------------------------------------------

    async def create(self, kind: str, args: dict[str, Any] | None = None, *, trigger: str) -> Job:
        args = dict(args or {})
        resource = registry.resource_for(kind, args)
        async with session_scope(self.session_factory) as session:
            job = await records.create(
                session=session,
                kind=kind,
                args=args,
                resource=resource,
                trigger=trigger,
                stale_after=self.stale_after,
                queued_timeout=self.queued_timeout,
                alive=self.liveness.alive,
            )
        await self._publish(
            {
                "type": "job.queued",
                "job_id": job.id,
                "kind": kind,
                "trigger": trigger,
                "resource": resource,
            }
        )
        return job

    async def submit(
        self, kind: str, args: dict[str, Any] | None = None, *, trigger: str = "api"
    ) -> Job:
        """Record a job and start it: here (local backend) or on a Celery worker."""
        job = await self.create(kind, args, trigger=trigger)
        if self.backend == "celery":
            await self._send_to_celery(job)
        else:
            self.runner.submit(job.id)
        return job

    async def run_inline(
        self,
        kind: str,
        args: dict[str, Any] | None = None,
        *,
        trigger: str = "cli",
        report_hook: ReportHook | None = None,
    ) -> Job:
        """Record a job and run it to the end in this process (the CLI's ``sync`` and friends)."""
        job = await self.create(kind, args, trigger=trigger)
        return await self.execute(job.id, report_hook=report_hook)

    async def _send_to_celery(self, job: Job) -> None:
        # Imported here: Celery is only loaded by processes that send to it (the scaled mode).
        from strmline.jobs import broker

        try:
            # Publishing to the broker is blocking network I/O; keep it off the event loop.
            await asyncio.to_thread(broker.send_execute, self.settings, job.id)
        except Exception as exc:
            log.exception("could not queue job %s", job.id)
            await self._finish(
                job, "failed", None, f"could not queue: {type(exc).__name__}: {exc}", None
            )
            raise StrmlineError(f"could not queue job {job.id}: {exc}") from exc

    # -- reading and cancelling ------------------------------------------------------------------

    async def get(self, job_id: int) -> Job:
        async with session_scope(self.session_factory) as session:
            return await records.get(session=session, job_id=job_id)

    async def list_recent(self, limit: int = 50, **filters: Any) -> list[Job]:
        async with session_scope(self.session_factory) as session:
            return await records.list_recent(session=session, limit=limit, **filters)

    async def cancel(self, job_id: int) -> Job:
        """Cancel now if queued; ask the job to stop at its next report if running."""
        async with session_scope(self.session_factory) as session:
            job = await records.request_cancel(session=session, job_id=job_id)
        if job.state == "running":
            ctx = self._active.get(job_id)
            if ctx is not None:
                ctx.cancel.set()
            else:
                await self.bus.request_cancel(job_id)
        elif job.state == "cancelled":
            await self._publish_finished(job)
        return job

    # -- executing -------------------------------------------------------------------------------

    async def execute(self, job_id: int, *, report_hook: ReportHook | None = None) -> Job:
        """Run a queued job here; a job that is not queued (done, cancelled, taken) is returned as is."""
        await self.settings_watch.refresh()
        await self._start_beacon()
        async with session_scope(self.session_factory) as session:
            job = await records.mark_running(
                session=session,
                job_id=job_id,
                worker=self.worker_name,
                stale_after=self.stale_after,
                alive=self.liveness.alive,
            )
        if job is None:
            log.info("job %s is not queued any more; not running it", job_id)
            return await self.get(job_id)
        return await self._run(job, report_hook)

    async def follow_up(self, kind: str, args: dict[str, Any], *, trigger: str) -> int:
        """A job a running job starts (a VOD sync's library run): through this runtime, so its
        progress, completion and cancel requests travel on the same bus as every other job."""
        if self.backend == "celery":
            job = await self.submit(kind, args, trigger=trigger)
        else:
            job = await self.run_inline(kind, args, trigger=trigger)
        return job.id

    async def _start_beacon(self) -> None:
        """Processes that run jobs announce themselves in Redis, for checks from other hosts."""
        if self._beacon is not None or not self.settings.redis_url:
            return
        beacon = Beacon(
            self.settings.redis_url,
            beacon_key(self.options.redis_prefix, self.worker_name),
            ttl=self.stale_after.total_seconds(),
            every=self.heartbeat_interval,
        )
        self._beacon = beacon
        await asyncio.to_thread(beacon.start)

    async def _run(self, job: Job, report_hook: ReportHook | None) -> Job:
        owner = _owner(job)

        async def still_ours(session: AsyncSession) -> bool:
            return owner is None or await records.still_owner(session, job.id, owner)

        ctx = PipelineContext(
            session_factory=self.session_factory,
            settings=self.settings,
            http=await self.http_client(),
            job_id=job.id,
            follow_up=self.follow_up,
            owner_check=still_ours,
        )
        progress = _Progress(ctx, self.progress_interval, report_hook)
        ctx.report = progress
        self._active[job.id] = ctx
        watcher = asyncio.create_task(self._watch(job, ctx, progress))
        state, result, error = "failed", None, None
        interrupted: asyncio.CancelledError | None = None
        try:
            fn = registry.get(job.kind)
            value = await fn(ctx, **(job.args or {}))
            result = value if isinstance(value, dict) else {"value": value}
            state = "succeeded"
        except Cancelled as exc:
            state, error = "cancelled", exc.message
        except StrmlineError as exc:
            error = str(exc)
            # Structured details (a refused sync's counts and reason) stay readable as the result.
            result = exc.details if isinstance(exc.details, dict) else None
        except asyncio.CancelledError as exc:
            # The process is stopping (Ctrl-C, shutdown): record it, then keep unwinding.
            state, error, interrupted = "cancelled", "interrupted", exc
        except Exception as exc:
            # The traceback and the error's full text (SQL included) go to the log; the job's
            # message stays one readable line.
            log.exception("job %s (%s) crashed", job.id, job.kind)
            error = f"internal error: {one_line(exc)}"
        finally:
            await self._stop_watcher(watcher, progress)
            self._active.pop(job.id, None)
        done = await asyncio.shield(self._finish(job, state, result, error, progress, owner))
        if interrupted is not None:
            raise interrupted
        return done

    async def _finish(
        self,
        job: Job,
        state: str,
        result: dict[str, Any] | None,
        error: str | None,
        progress: _Progress | None,
        owner: records.Owner | None = None,
    ) -> Job:
        reported: dict[str, Any] = {}
        if progress is not None and (progress.dirty or progress.last_write > 0):
            reported = {
                "progress": progress.progress,
                "total": progress.total,
                "message": progress.message,
            }
        async with session_scope(self.session_factory) as session:
            # With ``owner``: a run declared interrupted (or taken over) leaves the row as it is.
            done = await records.finish(
                session=session,
                job_id=job.id,
                state=state,
                result=result,
                error=error,
                owner=owner,
                **reported,
            )
        await self._publish_finished(done)
        with contextlib.suppress(Exception):
            await self.bus.clear_cancel(job.id)
        return done

    @staticmethod
    async def _stop_watcher(watcher: asyncio.Task[None], progress: _Progress) -> None:
        # Asked to stop rather than cancelled: the redis client can swallow a CancelledError
        # that lands inside a command, which left the watcher (and the job) running forever.
        progress.stopped = True
        progress.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(watcher), 10)
        except TimeoutError:
            watcher.cancel()

    async def _watch(self, job: Job, ctx: PipelineContext, progress: _Progress) -> None:
        """Writes progress (≤ 1 per interval, final at once), heartbeats, and polls for cancel."""
        tick = min(self.cancel_poll, self.progress_interval)
        last_beat = time.monotonic()
        while not progress.stopped:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wake.wait(), tick)
            progress.wake.clear()
            if progress.stopped:
                return  # the job's last values go into the row with its final state
            now = time.monotonic()
            try:
                if not ctx.cancel.is_set() and await self.bus.cancel_requested(job.id):
                    ctx.cancel.set()
                if progress.dirty and (
                    progress.final or now - progress.last_write >= self.progress_interval
                ):
                    progress.dirty = progress.final = False
                    progress.last_write = last_beat = now
                    held = await self._write_progress(
                        job, progress.progress, progress.total, progress.message
                    )
                elif now - last_beat >= self.heartbeat_interval:
                    last_beat = now
                    async with session_scope(self.session_factory) as session:
                        held = await records.update_progress(
                            session=session, job_id=job.id, owner=_owner(job)
                        )
                else:
                    held = True
                if not held:
                    # Declared interrupted (or taken over) while this run was stalled: stop at
                    # the next report; its final write will not touch the row.
                    log.warning("job %s is no longer this run's; stopping it", job.id)
                    ctx.cancel.set()
            except Exception as exc:  # a missed progress write must never fail the job
                log.warning("job %s: progress/heartbeat write failed: %s", job.id, exc)

    async def _write_progress(
        self, job: Job, progress: int, total: int | None, message: str | None
    ) -> bool:
        async with session_scope(self.session_factory) as session:
            held = await records.update_progress(
                session=session,
                job_id=job.id,
                progress=progress,
                total=total,
                message=message,
                owner=_owner(job),
            )
        if not held:
            return False
        await self._publish(
            {
                "type": "job.progress",
                "job_id": job.id,
                "kind": job.kind,
                "progress": progress,
                "total": total,
                "message": message,
            }
        )
        return True

    async def _publish_finished(self, job: Job) -> None:
        await self._publish(
            {
                "type": "job.finished",
                "job_id": job.id,
                "kind": job.kind,
                "state": job.state,
                "result": job.result,
                "error": job.error,
            }
        )

    async def _publish(self, event: dict[str, Any]) -> None:
        try:
            await self.bus.publish(event)
        except Exception as exc:  # events are a courtesy; the job row is the record
            log.warning("could not publish %s: %s", event.get("type"), exc)


def _owner(job: Job) -> records.Owner | None:
    """Which run of ``job`` this is: a takeover writes a new worker and start time."""
    return (job.worker, job.started_at) if job.worker and job.started_at else None


def _make_http(settings: Settings) -> httpx.AsyncClient:
    http = settings.http
    return make_client(
        timeout=http.timeout,
        connect_timeout=http.connect_timeout,
        max_connections=http.max_connections,
        user_agent=http.user_agent,
    )
