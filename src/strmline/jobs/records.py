"""Job rows: create (one active job per resource), claim, progress, finish, list, cancel.

Query functions only execute and flush; the caller's unit of work commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import CursorResult, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.models.system import Job
from strmline.errors import Conflict, NotFound

# (worker, started_at) of one run of a job: a takeover writes both anew.
Owner = tuple[str, datetime]
AliveFn = Callable[[int, str | None], Awaitable[bool]]

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
INTERRUPTED = "interrupted (worker stopped)"
STALE_AFTER = timedelta(seconds=120)
QUEUED_TIMEOUT = timedelta(hours=1)


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # A job may return dates or paths; the row must still be storable, so they become strings.
    if value is None:
        return None
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))  # type: ignore[no-any-return]


async def create(
    *,
    session: AsyncSession,
    kind: str,
    args: dict[str, Any],
    resource: str | None,
    trigger: str,
    stale_after: timedelta = STALE_AFTER,
    queued_timeout: timedelta = QUEUED_TIMEOUT,
    alive: AliveFn | None = None,
) -> Job:
    """A queued job; ``Conflict`` (details ``{"job_id": …}``) when its resource has an active job.

    The resource's job is swept first when it is stale (see :func:`fail_interrupted`): a job
    whose runner is alive keeps its resource however long it has been silent.
    """
    if resource is not None:
        # A crashed process leaves its job running or queued forever.
        await fail_interrupted(
            session=session,
            older_than=stale_after,
            queued_older_than=queued_timeout,
            resource=resource,
            alive=alive,
        )
    stmt = _insert(session)(Job).values(
        kind=kind,
        args=_json(args),
        resource=resource,
        trigger=trigger,
        state="queued",
        created_at=utcnow(),
    )
    if resource is not None:
        # ON CONFLICT on the partial unique index instead of catching IntegrityError: on
        # PostgreSQL a failed INSERT would abort the caller's whole transaction.
        stmt = stmt.on_conflict_do_nothing(
            # Literal, not bound: PostgreSQL matches the predicate to the index's text.
            index_elements=[Job.resource],
            index_where=text("state IN ('queued', 'running')"),
        )
    job_id = (await session.execute(stmt.returning(Job.id))).scalar_one_or_none()
    if job_id is None:
        existing = await session.scalar(
            select(Job.id).where(Job.resource == resource, Job.state.in_(ACTIVE))
        )
        raise Conflict("already running", source=resource, details={"job_id": existing})
    return await get(session=session, job_id=job_id)


async def get(*, session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


async def list_recent(
    *,
    session: AsyncSession,
    limit: int = 50,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    before_id: int | None = None,
) -> list[Job]:
    """Newest first; ``before_id`` is the keyset cursor for the next page."""
    stmt = select(Job).order_by(Job.id.desc()).limit(max(1, min(limit, 500)))
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    if states:
        stmt = stmt.where(Job.state.in_(states))
    if before_id is not None:
        stmt = stmt.where(Job.id < before_id)
    return list((await session.scalars(stmt)).all())


async def mark_running(
    *,
    session: AsyncSession,
    job_id: int,
    worker: str,
    stale_after: timedelta = STALE_AFTER,
    alive: AliveFn | None = None,
) -> Job | None:
    """Claim a queued job (or a running one whose worker died); None when it is not ours to run.

    The conditional UPDATE is the claim: of two workers handed the same job (a redelivered Celery
    message), only one matches the row. A running job is taken over only when it is stale by the
    one rule (silent, and ``alive`` says its runner is gone), and only from that runner.
    """
    now = utcnow()
    claimable = or_(
        Job.state == "queued",
        and_(Job.state == "running", Job.heartbeat_at < now - stale_after),
    )
    if alive is not None:
        row = (
            await session.execute(select(Job.state, Job.worker).where(Job.id == job_id))
        ).one_or_none()
        if row is not None and row.state == "running":
            if await alive(job_id, row.worker):
                return None
            claimable = and_(claimable, _same_worker(row.worker))
    res = await session.execute(
        update(Job)
        .where(Job.id == job_id, claimable)
        .values(state="running", worker=worker[:100], started_at=now, heartbeat_at=now, error=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(res) == 0:
        return None
    return await get(session=session, job_id=job_id)


async def update_progress(
    *,
    session: AsyncSession,
    job_id: int,
    progress: int | None = None,
    total: int | None = None,
    message: str | None = None,
    owner: Owner | None = None,
) -> bool:
    """Progress and heartbeat in one UPDATE; callers throttle (the runtime writes at most ~2×/s).

    False when the job is no longer running (by ``owner``, when given): it was declared
    interrupted, or taken over, while its runner was stalled.
    """
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values.update(progress=progress, total=total, message=message)
    res = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running", *_owned(owner))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(res) > 0


async def still_owner(session: AsyncSession, job_id: int, owner: Owner) -> bool:
    """Whether the job is still running and still this runner's; on PostgreSQL the row stays
    locked until the caller's transaction ends, so no sweep can fail it before that commits (on
    SQLite the caller's write transaction already keeps every other writer out)."""
    stmt = select(Job.id).where(Job.id == job_id, Job.state == "running", *_owned(owner))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalar(stmt)) is not None


async def finish(
    *,
    session: AsyncSession,
    job_id: int,
    state: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    progress: int | None = None,
    total: int | None = None,
    message: str | None = None,
    owner: Owner | None = None,
) -> Job:
    """The job's final state; with ``owner``, only while that runner still holds it."""
    if state not in FINISHED:
        raise ValueError(f"not a final state: {state}")
    now = utcnow()
    values: dict[str, Any] = {
        "state": state,
        "result": _json(result),
        "error": error,
        "finished_at": now,
        "heartbeat_at": now,
    }
    if progress is not None:
        values.update(progress=progress, total=total, message=message)
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_(ACTIVE), *_owned(owner))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return await get(session=session, job_id=job_id)


async def request_cancel(*, session: AsyncSession, job_id: int) -> Job:
    """A queued job is cancelled at once; a running one is returned for the caller to flag.

    Cancelling a finished job is a ``Conflict``.
    """
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued")
        .values(state="cancelled", error="cancelled on request", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    job = await get(session=session, job_id=job_id)
    if job.state in FINISHED and job.error != "cancelled on request":
        raise Conflict(f"job {job_id} is already {job.state}", details={"job_id": job_id})
    return job


async def fail_interrupted(
    *,
    session: AsyncSession,
    older_than: timedelta = STALE_AFTER,
    queued_older_than: timedelta | None = QUEUED_TIMEOUT,
    resource: str | None = None,
    alive: AliveFn | None = None,
) -> list[int]:
    """Fail stale running jobs and queued ones older than ``queued_older_than``.

    The one stale rule: a running job is stale when silent for ``older_than`` and ``alive``
    (:class:`strmline.jobs.liveness.Liveness`) says its runner is gone; without ``alive``
    (tests, tools) silence alone decides. The UPDATE repeats the silence test, so a job that
    beat while its runner was being looked at is left alone.
    """
    now = utcnow()
    beat = now - older_than
    silent = and_(
        Job.state == "running",
        or_(Job.heartbeat_at < beat, and_(Job.heartbeat_at.is_(None), Job.created_at < beat)),
    )
    if alive is not None:
        query = select(Job.id, Job.worker).where(silent)
        if resource is not None:
            query = query.where(Job.resource == resource)
        dead = [r.id for r in (await session.execute(query)).all() if not await alive(*r)]
        silent = and_(silent, Job.id.in_(dead))
    stale = [silent]
    if queued_older_than is not None:
        stale.append(and_(Job.state == "queued", Job.created_at < now - queued_older_than))
    stmt = (
        update(Job)
        .where(or_(*stale))
        .values(state="failed", error=INTERRUPTED, finished_at=now)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    if resource is not None:
        stmt = stmt.where(Job.resource == resource)
    return list((await session.scalars(stmt)).all())


def _same_worker(worker: str | None) -> Any:
    return Job.worker.is_(None) if worker is None else Job.worker == worker


def _owned(owner: Owner | None) -> list[Any]:
    if owner is None:
        return []
    worker, started_at = owner
    return [Job.worker == worker[:100], Job.started_at == started_at]


def _rowcount(res: Any) -> int:
    return res.rowcount if isinstance(res, CursorResult) else 0
