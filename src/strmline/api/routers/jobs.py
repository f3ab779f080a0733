"""Jobs: the list (newest first), one job, and cancelling (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.db.models import User
from strmline.formats.redact import redact_json, redact_text
from strmline.services import jobs as job_service
from strmline.services import providers as provider_service

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


def _read(job: object, secrets: list[str] | None) -> JobRead:
    """A job as a user may see it: for non-admins (``secrets`` given) every text in it has
    provider credentials masked, since a provider's error page may have repeated them."""
    out = JobRead.model_validate(job)
    if secrets is None:
        return out
    return out.model_copy(
        update={
            "args": redact_json(out.args, secrets),
            "message": redact_text(out.message, secrets) if out.message else out.message,
            "result": redact_json(out.result, secrets),
            "error": redact_text(out.error, secrets) if out.error else out.error,
        }
    )


async def _secrets_for(session: SessionDep, user: User) -> list[str] | None:
    return None if user.role == "admin" else await provider_service.known_secrets(session)


@router.get("", summary="Jobs, newest first")
async def list_jobs(
    session: SessionDep,
    user: CurrentUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    kind: Annotated[list[str] | None, Query(description="only these kinds (repeatable)")] = None,
    state: Annotated[list[str] | None, Query(description="only these states (repeatable)")] = None,
) -> Page[JobRead]:
    jobs, next_cursor = await job_service.list_page(
        session=session, limit=limit, cursor=cursor, kinds=kind, states=state
    )
    secrets = await _secrets_for(session, user)
    return Page[JobRead](items=[_read(j, secrets) for j in jobs], next_cursor=next_cursor)


@router.get("/{job_id}", summary="One job")
async def get_job(job_id: IdPath, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await job_service.get(session=session, job_id=job_id)
    return _read(job, await _secrets_for(session, user))


@router.post("/{job_id}/cancel", summary="Cancel a queued job, or ask a running one to stop")
async def cancel_job(job_id: IdPath, runtime: RuntimeDep, _: AdminUser) -> JobRead:
    return JobRead.model_validate(await runtime.cancel(job_id))
