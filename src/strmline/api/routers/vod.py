"""Movies, series and the .strm library: browse (any user), sync and generate (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs.common import public_base
from strmline.api.pagination import DEFAULT_LIMIT, LimitQuery
from strmline.config import Settings
from strmline.errors import Conflict
from strmline.pipelines import strm
from strmline.services import vod_catalog

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


async def _library_base(
    request: Request, session: AsyncSession, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """The request's public base URL (what the M3U output would use), for the job's args, and
    the URL and warning the library will get, for the response."""
    requested = public_base(request, settings)
    base = await strm.resolve_base_url(session, settings, requested)
    warning = None if settings.strm.url_mode == "direct" else strm.loopback_warning(base)
    return requested, {"base_url": base, "warning": warning}


@router.post("/api/vod/sync", status_code=202, summary="Start a VOD sync (admin)")
async def start_vod_sync(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    body: VodSyncRequest | None = None,
) -> dict[str, Any]:
    body = body or VodSyncRequest()
    # The library written after the sync points at the address this request came in on.
    requested, library = await _library_base(request, session, settings)
    args = {"provider_id": body.provider_id, "force": body.force, "base_url": requested}
    return await _submit(runtime, "vod_sync", args) | library


@router.post("/api/strm/generate", status_code=202, summary="Write the .strm library (admin)")
async def start_strm_generate(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    body: StrmGenerateRequest | None = None,
) -> dict[str, Any]:
    """``base_url`` is where the files will point; ``warning`` says when only this machine can
    reach it."""
    body = body or StrmGenerateRequest()
    requested, library = await _library_base(request, session, settings)
    args = {"live": body.live, "base_url": requested}
    return await _submit(runtime, "strm_generate", args) | library
