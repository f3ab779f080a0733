"""Stream health: start a check (admin), the summary by status and provider, live proxy sessions
and stopping one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.errors import ApiError
from strmline.api.outputs import proxy
from strmline.api.schemas import JobAccepted
from strmline.errors import StrmlineError
from strmline.services import health as health_service

router = APIRouter(tags=["health"])


class HealthCheckRequest(BaseModel):
    provider_id: int | None = None
    channel_id: int | None = None


class HealthCounts(BaseModel):
    ok: int = 0
    slow: int = 0
    failed: int = 0
    unknown: int = 0
    inactive: int = 0
    checked_at_last: datetime | None = None


class ProviderHealth(HealthCounts):
    provider_id: int
    name: str


class HealthSummary(HealthCounts):
    by_provider: list[ProviderHealth]


class ActiveSession(BaseModel):
    id: str = Field(description="the viewer, to stop it: DELETE /api/streams/active/{id}")
    channel_id: int
    stream_id: int | None
    provider_id: int | None
    user_id: int | None
    user_agent: str | None
    address: str | None
    session_id: int | None
    started_at: datetime
    bytes_sent: int
    switches: int
    viewers_on_channel: int


class ActiveSessions(BaseModel):
    items: list[ActiveSession]


@router.post(
    "/api/health/check", status_code=202, summary="Check streams now (all, a provider, a channel)"
)
async def start_check(
    body: HealthCheckRequest, session: SessionDep, runtime: RuntimeDep, _: AdminUser
) -> JobAccepted:
    await health_service.check_target(session=session, provider_id=body.provider_id)
    args = {k: v for k, v in body.model_dump().items() if v is not None}
    job = await runtime.submit("health", args, trigger="api")
    return JobAccepted(job_id=job.id)


@router.get("/api/health/summary", summary="Stream health counts, overall and per provider")
async def summary(session: SessionDep, _: CurrentUser) -> HealthSummary:
    found = await health_service.summary(session=session)
    return HealthSummary(
        **HealthCounts.model_validate(found.total, from_attributes=True).model_dump(),
        by_provider=[
            ProviderHealth.model_validate(p, from_attributes=True) for p in found.by_provider
        ],
    )


@router.get("/api/streams/active", summary="Live proxied viewing sessions (every API process)")
async def active_streams(request: Request, _: AdminUser) -> ActiveSessions:
    return ActiveSessions.model_validate({"items": await proxy.all_active_sessions(request.app)})


ViewerId = Annotated[str, Path(min_length=1, max_length=300, pattern=r"^[\w.:-]+$")]


@router.delete(
    "/api/streams/active/{viewer_id}",
    status_code=204,
    summary="Stop one viewer's stream (whichever API process serves it)",
)
async def stop_stream(viewer_id: ViewerId, request: Request, _: AdminUser) -> Response:
    try:
        stopped = await proxy.stop_viewer(request.app, viewer_id)
    except StrmlineError as exc:
        raise proxy.api_error(exc) from None
    if not stopped:
        raise ApiError(404, "not_found", f"no viewer {viewer_id} (the stream may have just ended)")
    return Response(status_code=204)
