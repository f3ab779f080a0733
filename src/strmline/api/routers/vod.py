"""Movies, series and the .strm library: browse (any user), sync and generate (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep
from strmline.api.errors import ApiError
from strmline.api.pagination import DEFAULT_LIMIT, LimitQuery
from strmline.errors import Conflict
from strmline.pipelines import vod_catalog

router = APIRouter(tags=["vod"])


class VodSyncRequest(BaseModel):
    provider_id: int | None = None
    force: bool = False


class StrmGenerateRequest(BaseModel):
    live: bool | None = None


@router.get("/api/vod/movies", summary="Movies, a keyset page")
async def list_movies(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = None,
    cursor: int | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    return await vod_catalog.list_titles(
        session=session, kind="movie", query=q, cursor=cursor, limit=limit
    )


@router.get("/api/vod/series", summary="Series, a keyset page")
async def list_series(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = None,
    cursor: int | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    return await vod_catalog.list_titles(
        session=session, kind="series", query=q, cursor=cursor, limit=limit
    )


@router.get("/api/vod/series/{series_id}", summary="One series with seasons and episodes")
async def get_series(series_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return await vod_catalog.series_detail(session=session, series_id=series_id)


async def _submit(runtime: Any, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        job = await runtime.submit(kind, args, trigger="api")
    except Conflict as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        raise ApiError(409, "already_running", f"a {kind} job is already running", details) from exc
    return {"job_id": job.id}


@router.post("/api/vod/sync", status_code=202, summary="Start a VOD sync (admin)")
async def start_vod_sync(
    runtime: RuntimeDep, admin: AdminUser, body: VodSyncRequest | None = None
) -> dict[str, Any]:
    body = body or VodSyncRequest()
    return await _submit(
        runtime, "vod_sync", {"provider_id": body.provider_id, "force": body.force}
    )


@router.post("/api/strm/generate", status_code=202, summary="Write the .strm library (admin)")
async def start_strm_generate(
    runtime: RuntimeDep, admin: AdminUser, body: StrmGenerateRequest | None = None
) -> dict[str, Any]:
    body = body or StrmGenerateRequest()
    return await _submit(runtime, "strm_generate", {"live": body.live})
