"""Jobs: the list (newest first), one job, and cancelling (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
    split_page,
)
from strmline.api.params import IdPath
from strmline.db.models import Job
from strmline.errors import NotFound

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    args: dict[str, Any]
    state: str
    progress: int
    total: int | None
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("", summary="Jobs, newest first")
async def list_jobs(
    session: SessionDep,
    _: CurrentUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    kind: Annotated[list[str] | None, Query(description="only these kinds (repeatable)")] = None,
    state: Annotated[list[str] | None, Query(description="only these states (repeatable)")] = None,
) -> Page[JobRead]:
    after = decode_cursor(cursor, int)
    query = select(Job).order_by(Job.id.desc()).limit(limit + 1)
    if kind:
        query = query.where(Job.kind.in_(kind))
    if state:
        query = query.where(Job.state.in_(state))
    if after is not None:
        query = query.where(Job.id < after[0])
    jobs, more = split_page(list((await session.scalars(query)).all()), limit)
    return Page[JobRead](
        items=[JobRead.model_validate(j) for j in jobs],
        next_cursor=encode_cursor(jobs[-1].id) if more else None,
    )


@router.get("/{job_id}", summary="One job")
async def get_job(job_id: IdPath, session: SessionDep, _: CurrentUser) -> JobRead:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return JobRead.model_validate(job)


@router.post("/{job_id}/cancel", summary="Cancel a queued job, or ask a running one to stop")
async def cancel_job(job_id: IdPath, runtime: RuntimeDep, _: AdminUser) -> JobRead:
    return JobRead.model_validate(await runtime.cancel(job_id))
