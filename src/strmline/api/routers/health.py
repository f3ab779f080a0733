"""Stream health: start a check (admin), the summary by status and provider, live proxy sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.outputs import proxy
from strmline.api.responses import OrjsonResponse
from strmline.db.models import Provider, Stream
from strmline.errors import NotFound

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


@router.post(
    "/api/health/check", status_code=202, summary="Check streams now (all, a provider, a channel)"
)
async def start_check(
    body: HealthCheckRequest, session: SessionDep, runtime: RuntimeDep, _: AdminUser
) -> OrjsonResponse:
    if body.provider_id is not None and await session.get(Provider, body.provider_id) is None:
        raise NotFound(f"provider {body.provider_id} does not exist")
    args = {k: v for k, v in body.model_dump().items() if v is not None}
    job = await runtime.submit("health", args, trigger="api")
    return OrjsonResponse({"job_id": job.id}, status_code=202)


@router.get("/api/health/summary", summary="Stream health counts, overall and per provider")
async def summary(session: SessionDep, _: CurrentUser) -> HealthSummary:
    # One aggregate over (provider, status, active): a few rows per provider, never per stream.
    rows = await session.execute(
        select(
            Stream.provider_id,
            Provider.name,
            Stream.status,
            Stream.active,
            func.count(),
            func.max(Stream.checked_at),
        )
        .join(Provider, Provider.id == Stream.provider_id)
        .where(Stream.removed_at.is_(None))
        .group_by(Stream.provider_id, Provider.name, Stream.status, Stream.active)
    )
    total = HealthCounts()
    providers: dict[int, ProviderHealth] = {}
    for provider_id, name, status, active, count, checked_at in rows:
        entry = providers.setdefault(
            provider_id, ProviderHealth(provider_id=provider_id, name=name)
        )
        for target in (total, entry):
            _add(target, status, bool(active), int(count), checked_at)
    return HealthSummary(
        **total.model_dump(), by_provider=sorted(providers.values(), key=lambda p: p.provider_id)
    )


def _add(
    target: HealthCounts, status: str, active: bool, count: int, checked_at: datetime | None
) -> None:
    if status in ("ok", "slow", "failed", "unknown"):
        setattr(target, status, getattr(target, status) + count)
    if not active:
        target.inactive += count
    if checked_at is not None and (
        target.checked_at_last is None or checked_at > target.checked_at_last
    ):
        target.checked_at_last = checked_at


@router.get("/api/streams/active", summary="Live proxied viewing sessions (this process)")
async def active_streams(request: Request, _: AdminUser) -> dict[str, Any]:
    return {"items": proxy.active_sessions(request.app)}
