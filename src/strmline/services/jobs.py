"""Job records as the API and the CLI read them: one job, and pages newest first.

Creating, running and cancelling jobs is :mod:`strmline.jobs`' business; this only reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Job
from strmline.errors import NotFound
from strmline.formats import cursor as cursor_codec


def _newest_first(kinds: Sequence[str] | None, states: Sequence[str] | None) -> Select[Job]:
    query = select(Job).order_by(Job.id.desc())
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    if states:
        query = query.where(Job.state.in_(states))
    return query


async def get(*, session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


async def list_page(
    *,
    session: AsyncSession,
    limit: int,
    cursor: str | None,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> tuple[list[Job], str | None]:
    """One page of jobs, newest first (the cursor is the last id), and the next page's cursor."""
    after = cursor_codec.decode(cursor, int)
    query = _newest_first(kinds, states).limit(limit + 1)
    if after is not None:
        query = query.where(Job.id < after[0])
    jobs, more = cursor_codec.split_page(list((await session.scalars(query)).all()), limit)
    return jobs, cursor_codec.encode(jobs[-1].id) if more else None


async def list_recent(
    *,
    session: AsyncSession,
    limit: int,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> list[Job]:
    """The newest ``limit`` jobs (1-500)."""
    query = _newest_first(kinds, states).limit(max(1, min(limit, 500)))
    return list((await session.scalars(query)).all())


async def count_by_state(*, session: AsyncSession, states: Sequence[str]) -> dict[str, int]:
    """How many jobs are in each of ``states`` (one GROUP BY), for the queue-depth gauge."""
    rows = await session.execute(
        select(Job.state, func.count()).where(Job.state.in_(states)).group_by(Job.state)
    )
    return {state: int(n) for state, n in rows}
