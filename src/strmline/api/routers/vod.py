"""Movies, series and the .strm library: browse (any user), sync and generate (admin)."""

from __future__ import annotations

from typing import Any, Self

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationInfo, model_validator

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs.common import public_base
from strmline.api.pagination import DEFAULT_LIMIT, LimitQuery
from strmline.config import Settings
from strmline.errors import Conflict
from strmline.formats.logos import proxy_url
from strmline.pipelines import strm
from strmline.services import vod_catalog

router = APIRouter(tags=["vod"])

LOGO_KEY = "logo_key"


class VodSyncRequest(BaseModel):
    provider_id: int | None = None
    force: bool = False


class StrmGenerateRequest(BaseModel):
    live: bool | None = None


class VodTitleFields(BaseModel):
    id: int
    title: str
    year: int | None
    tmdb_id: str | None
    imdb_id: str | None
    category: str | None
    genre: str | None
    rating: float | None
    poster: str | None
    poster_proxy: str | None = None  # the poster through strmline's cache (/logo/…)

    @model_validator(mode="after")
    def _proxied(self, info: ValidationInfo) -> Self:
        # The signing key comes in the validation context: only a router has it.
        key = (info.context or {}).get(LOGO_KEY)
        if key is not None:
            self.poster_proxy = proxy_url(key, self.poster, self.title)
        return self


class VodTitle(VodTitleFields):
    """A movie or a series in a list, with how many provider sources offer it."""

    sources: int


class VodTitlePage(BaseModel):
    """A keyset page; ``next_cursor`` is the last id (pass it as ``cursor``), null at the end."""

    items: list[VodTitle]
    next_cursor: int | None


class VodEpisode(BaseModel):
    id: int
    episode: int
    title: str | None
    plot: str | None
    air_date: str | None
    rating: float | None
    sources: int


class VodSeason(BaseModel):
    season: int
    episodes: list[VodEpisode]


class VodSeriesDetail(VodTitleFields):
    plot: str | None
    seasons: list[VodSeason]


class LibraryJobStarted(BaseModel):
    """A job that writes the library was queued; ``base_url`` is where its files will point and
    ``warning`` says when only this machine can reach it."""

    job_id: int
    base_url: str
    warning: str | None


@router.get("/api/vod/movies", summary="Movies, a keyset page")
async def list_movies(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    q: str | None = None,
    cursor: int | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> VodTitlePage:
    return VodTitlePage.model_validate(
        await vod_catalog.list_titles(
            session=session, kind="movie", query=q, cursor=cursor, limit=limit
        ),
        context={LOGO_KEY: settings.get_secret_key()},
    )


@router.get("/api/vod/series", summary="Series, a keyset page")
async def list_series(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    q: str | None = None,
    cursor: int | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> VodTitlePage:
    return VodTitlePage.model_validate(
        await vod_catalog.list_titles(
            session=session, kind="series", query=q, cursor=cursor, limit=limit
        ),
        context={LOGO_KEY: settings.get_secret_key()},
    )


@router.get("/api/vod/series/{series_id}", summary="One series with seasons and episodes")
async def get_series(
    series_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> VodSeriesDetail:
    return VodSeriesDetail.model_validate(
        await vod_catalog.series_detail(session=session, series_id=series_id),
        context={LOGO_KEY: settings.get_secret_key()},
    )


async def _submit(runtime: Any, kind: str, args: dict[str, Any]) -> int:
    try:
        job = await runtime.submit(kind, args, trigger="api")
    except Conflict as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        raise ApiError(409, "already_running", f"a {kind} job is already running", details) from exc
    job_id: int = job.id
    return job_id


async def _library_base(
    request: Request, session: SessionDep, settings: Settings
) -> tuple[str, str, str | None]:
    """The request's public base URL (what the M3U output would use), for the job's args, and
    the URL and warning the library will get, for the response."""
    requested = public_base(request, settings)
    base = await strm.resolve_base_url(session, settings, requested)
    warning = None if settings.strm.url_mode == "direct" else strm.loopback_warning(base)
    return requested, base, warning


@router.post("/api/vod/sync", status_code=202, summary="Start a VOD sync (admin)")
async def start_vod_sync(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    body: VodSyncRequest | None = None,
) -> LibraryJobStarted:
    body = body or VodSyncRequest()
    # The library written after the sync points at the address this request came in on.
    requested, base, warning = await _library_base(request, session, settings)
    args = {"provider_id": body.provider_id, "force": body.force, "base_url": requested}
    job_id = await _submit(runtime, "vod_sync", args)
    return LibraryJobStarted(job_id=job_id, base_url=base, warning=warning)


@router.post("/api/strm/generate", status_code=202, summary="Write the .strm library (admin)")
async def start_strm_generate(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    body: StrmGenerateRequest | None = None,
) -> LibraryJobStarted:
    """``base_url`` is where the files will point; ``warning`` says when only this machine can
    reach it."""
    body = body or StrmGenerateRequest()
    requested, base, warning = await _library_base(request, session, settings)
    args = {"live": body.live, "base_url": requested}
    job_id = await _submit(runtime, "strm_generate", args)
    return LibraryJobStarted(job_id=job_id, base_url=base, warning=warning)
