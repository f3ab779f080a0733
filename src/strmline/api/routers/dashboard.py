"""The home page in one request: counts, providers, jobs, stream health and VOD totals.

The catalog aggregates are cached (namespace ``dashboard``; bumped by provider writes, settings
changes and every finished job). Jobs are read fresh each time: they change by the second, and
both queries are small indexed reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from strmline.api.cache import Cache
from strmline.api.deps import CurrentUser, SessionDep
from strmline.api.routers.jobs import JobRead
from strmline.services import dashboard as dashboard_service

router = APIRouter(tags=["dashboard"])

TTL_SECONDS = 15.0


class DashboardCounts(BaseModel):
    providers: int
    channels: int
    streams: int
    active_streams: int = Field(description="not deactivated: playable, not necessarily checked")
    working_streams: int = Field(description="streams whose last check passed")
    unchecked_streams: int = Field(description="streams never checked yet")
    failed_streams: int
    categories: int


class DashboardProvider(BaseModel):
    id: int
    name: str
    kind: str
    enabled: bool
    last_sync_at: datetime | None
    last_sync_status: str | None
    last_sync_message: str | None
    stream_count: int
    entries: int | None


class DashboardJobs(BaseModel):
    running: list[JobRead]
    recent: list[JobRead]


class DashboardHealth(BaseModel):
    ok: int
    slow: int
    failed: int
    unknown: int = Field(description="never checked")
    inactive: int


class DashboardVod(BaseModel):
    movies: int
    series: int
    episodes: int


class DashboardRead(BaseModel):
    counts: DashboardCounts
    providers: list[DashboardProvider]
    jobs: DashboardJobs
    health: DashboardHealth
    vod: DashboardVod


@router.get("/api/dashboard", summary="Everything the home page shows, in one request")
async def dashboard(request: Request, session: SessionDep, _: CurrentUser) -> DashboardRead:
    cache: Cache = request.app.state.cache

    async def load() -> dict[str, Any]:
        return await dashboard_service.summary(session=session)

    summary = await cache.get_or_set("dashboard", "summary", load, TTL_SECONDS)
    running, recent = await dashboard_service.list_jobs(session=session)
    return DashboardRead.model_validate(
        summary
        | {
            "jobs": {
                "running": [JobRead.model_validate(j) for j in running],
                "recent": [JobRead.model_validate(j) for j in recent],
            }
        }
    )
