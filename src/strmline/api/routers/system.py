"""Health (unauthenticated): is the database reachable and the job runner alive."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from strmline import __version__
from strmline.api.deps import SessionDep
from strmline.services import system as system_service

router = APIRouter(tags=["system"])


class JobsHealth(BaseModel):
    backend: str
    alive: bool


class HealthRead(BaseModel):
    status: str
    version: str
    database: str
    jobs: JobsHealth


@router.get("/api/health", summary="Liveness and readiness")
async def health(request: Request, session: SessionDep) -> HealthRead:
    database = await system_service.database_status(session=session)
    runtime = request.app.state.runtime
    scheduler = getattr(request.app.state, "scheduler", None)
    return HealthRead(
        status="ok" if database == "ok" else "degraded",
        version=__version__,
        database=database,
        jobs=JobsHealth(
            backend=runtime.backend, alive=scheduler is None or bool(scheduler.running)
        ),
    )
