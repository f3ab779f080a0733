"""Job rows: create (one active job per resource), claim, progress, finish, list, cancel.

Query functions only execute and flush; the caller's unit of work commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import CursorResult, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.models.system import Job
from strmline.errors import Conflict, NotFound

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
) -> Job:
    """A queued job; ``Conflict`` (details ``{"job_id": …}``) when its resource has an active job."""
    if resource is not None:
        # A crashed process leaves its job running or queued forever; only the heartbeat tells.
        await fail_interrupted(
            session=session,
            older_than=stale_after,
            queued_older_than=queued_timeout,
            resource=resource,
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
    *, session: AsyncSession, job_id: int, worker: str, stale_after: timedelta = STALE_AFTER
) -> Job | None:
    """Claim a queued job (or a running one whose worker died); None when it is not ours to run.

    The conditional UPDATE is the claim: of two workers handed the same job (a redelivered Celery
    message), only one matches the row.
    """
    now = utcnow()
    claimable = or_(
        Job.state == "queued",
        and_(Job.state == "running", Job.heartbeat_at < now - stale_after),
    )
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
) -> None:
    """Progress and heartbeat in one UPDATE; callers throttle (the runtime writes at most ~2×/s)."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values.update(progress=progress, total=total, message=message)
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )


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
) -> Job:
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
        .where(Job.id == job_id, Job.state.in_(ACTIVE))
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
) -> list[int]:
    """Fail running jobs silent for ``older_than`` and queued ones older than ``queued_older_than``."""
    now = utcnow()
    beat = now - older_than
    stale = [
        and_(
            Job.state == "running",
            or_(Job.heartbeat_at < beat, and_(Job.heartbeat_at.is_(None), Job.created_at < beat)),
        )
    ]
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


def _rowcount(res: Any) -> int:
    return res.rowcount if isinstance(res, CursorResult) else 0
