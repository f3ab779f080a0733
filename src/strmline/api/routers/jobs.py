"""Jobs: the list (newest first), one job, and cancelling (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.services import jobs as job_service

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
    jobs, next_cursor = await job_service.list_page(
        session=session, limit=limit, cursor=cursor, kinds=kind, states=state
    )
    return Page[JobRead](items=[JobRead.model_validate(j) for j in jobs], next_cursor=next_cursor)


@router.get("/{job_id}", summary="One job")
async def get_job(job_id: IdPath, session: SessionDep, _: CurrentUser) -> JobRead:
    return JobRead.model_validate(await job_service.get(session=session, job_id=job_id))


@router.post("/{job_id}/cancel", summary="Cancel a queued job, or ask a running one to stop")
async def cancel_job(job_id: IdPath, runtime: RuntimeDep, _: AdminUser) -> JobRead:
    return JobRead.model_validate(await runtime.cancel(job_id))
