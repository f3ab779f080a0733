"""Health (unauthenticated): is the database reachable and the job runner alive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from strmline import __version__
from strmline.api.deps import SessionDep

router = APIRouter(tags=["system"])


@router.get("/api/health", summary="Liveness and readiness")
async def health(request: Request, session: SessionDep) -> dict[str, Any]:
    try:
        await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # a health check reports, it does not raise
        database = f"error: {type(exc).__name__}"
    runtime = request.app.state.runtime
    scheduler = getattr(request.app.state, "scheduler", None)
    return {
        "status": "ok" if database == "ok" else "degraded",
        "version": __version__,
        "database": database,
        "jobs": {"backend": runtime.backend, "alive": scheduler is None or scheduler.running},
    }
