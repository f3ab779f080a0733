"""Providers (admin): CRUD, a connection test, and starting a sync.

The list is cached (namespace ``providers``): every write here bumps it, and a finished job bumps
it through the job-event watcher (``strmline.api.metrics``), so ``last_sync_*`` shows at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from strmline.api.cache import Cache, commit_catalog_change
from strmline.api.deps import AdminUser, RuntimeDep, SessionDep, SettingsDep
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.db.models import Provider
from strmline.providers.local import LocalFiles
from strmline.services import provider_check, stream_profiles
from strmline.services import providers as provider_service
from strmline.services.providers import (
    MAX_BACKUP_URLS,
    MAX_CONNECTIONS,
    MAX_PRIORITY,
    MAX_REFRESH_MINUTES,
    MAX_URL_LENGTH,
    PLAY_MODE_HELP,
    PROFILE_HELP,
    BackupUrl,
    PlayMode,
    ProviderCreate,
)

router = APIRouter(prefix="/api/providers", tags=["providers"])

LIST_TTL_SECONDS = 60.0


class ProviderUpdate(BaseModel):
    """Only the fields sent change; ``password`` changes only when a non-empty one is sent."""

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["m3u", "xtream"] | None = None
    url: str | None = Field(None, min_length=1, max_length=MAX_URL_LENGTH)
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=200)
    backup_urls: list[BackupUrl] | None = Field(None, max_length=MAX_BACKUP_URLS)
    user_agent: str | None = Field(None, max_length=300)
    priority: int | None = Field(None, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    max_connections: int | None = Field(None, ge=1, le=MAX_CONNECTIONS)
    refresh_minutes: int | None = Field(None, ge=5, le=MAX_REFRESH_MINUTES)
    refresh_cron: str | None = Field(None, max_length=100)
    output_format: Literal["ts", "m3u8"] | None = None
    epg_url: str | None = Field(None, max_length=MAX_URL_LENGTH)
    enabled: bool | None = None
    play_mode: PlayMode | None = Field(None, description=PLAY_MODE_HELP)
    stream_profile: str | None = Field(None, max_length=40, description=PROFILE_HELP)


class ProviderRead(BaseModel):
    id: int
    name: str
    kind: str
    url: str
    username: str | None
    backup_urls: list[str]
    user_agent: str | None
    enabled: bool
    priority: int
    max_connections: int | None
    refresh_minutes: int | None
    refresh_cron: str | None
    output_format: str
    epg_url: str | None
    stream_count: int
    last_sync_at: datetime | None
    last_sync_status: str | None
    last_sync_message: str | None
    last_sync_counts: dict[str, Any] | None
    account: dict[str, Any] | None
    play_mode: PlayMode = Field(description=PLAY_MODE_HELP)
    stream_profile: str | None


class AccountRead(BaseModel):
    status: str
    expires_at: datetime | None
    max_connections: int | None
    active_connections: int | None
    allowed_formats: list[str]


class ProviderTestResult(BaseModel):
    ok: bool
    message: str
    account: AccountRead | None
    entries: int | None


class SyncStarted(BaseModel):
    job_id: int


def _read(provider: Provider, stream_count: int) -> ProviderRead:
    return ProviderRead.model_validate(provider_service.public_view(provider, stream_count))


def _cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


@router.get("", summary="Providers with their stream counts and last sync")
async def list_providers(
    request: Request,
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ProviderRead]:
    async def load() -> dict[str, Any]:
        rows, next_cursor = await provider_service.list_page(
            session=session, limit=limit, cursor=cursor
        )
        items = [_read(p, n).model_dump(mode="json") for p, n in rows]
        return {"items": items, "next_cursor": next_cursor}

    page = await _cache(request).get_or_set(
        "providers", f"list:{limit}:{cursor or ''}", load, LIST_TTL_SECONDS
    )
    return Page[ProviderRead].model_validate(page)


@router.post("", status_code=201, summary="Add a provider")
async def create_provider(
    body: ProviderCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
) -> ProviderRead:
    stream_profiles.require(settings, body.stream_profile)
    provider = await provider_service.create(
        session=session, spec=body, local_files=LocalFiles.from_settings(settings)
    )
    await commit_catalog_change(request, session)
    return _read(provider, 0)


@router.get("/{provider_id}", summary="One provider")
async def get_provider(provider_id: IdPath, session: SessionDep, _: AdminUser) -> ProviderRead:
    provider = await provider_service.get(session=session, provider_id=provider_id)
    count = await provider_service.count_streams(session=session, provider_id=provider.id)
    return _read(provider, count)


@router.patch("/{provider_id}", summary="Change a provider (only the fields sent)")
async def update_provider(
    provider_id: IdPath,
    body: ProviderUpdate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
) -> ProviderRead:
    provider = await provider_service.get(session=session, provider_id=provider_id)
    stream_profiles.require(settings, body.stream_profile)
    await provider_service.update(
        session=session,
        provider=provider,
        changes=body.model_dump(exclude_unset=True),
        local_files=LocalFiles.from_settings(settings),
    )
    await commit_catalog_change(request, session)
    count = await provider_service.count_streams(session=session, provider_id=provider.id)
    return _read(provider, count)


@router.delete("/{provider_id}", status_code=204, summary="Remove a provider and its streams")
async def delete_provider(
    provider_id: IdPath, request: Request, session: SessionDep, _: AdminUser
) -> Response:
    provider = await provider_service.get(session=session, provider_id=provider_id)
    await provider_service.delete(session=session, provider=provider)
    await commit_catalog_change(request, session)
    return Response(status_code=204)


@router.post("/{provider_id}/test", summary="Check that the provider answers (no sync)")
async def test_provider(
    provider_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
    _: AdminUser,
) -> ProviderTestResult:
    provider = await provider_service.get(session=session, provider_id=provider_id)
    # Release the request's connection before waiting on a slow provider.
    await session.commit()
    result = await provider_check.check(
        provider, await runtime.http_client(), seconds=settings.http.timeout
    )
    return ProviderTestResult.model_validate(result)


@router.post("/{provider_id}/sync", status_code=202, summary="Start a sync job")
async def sync_provider(
    provider_id: IdPath,
    session: SessionDep,
    runtime: RuntimeDep,
    _: AdminUser,
    force: Annotated[
        bool, Query(description="write even when the shrink guard would refuse")
    ] = False,
) -> SyncStarted:
    provider = await provider_service.get(session=session, provider_id=provider_id)
    job = await runtime.submit("sync", {"provider_id": provider.id, "force": force}, trigger="api")
    return SyncStarted(job_id=job.id)
