"""The TV guide: sources (admin), now/next and the guide grid (any user), matching fixes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from strmline.api.deps import AdminUser, CurrentUser, RuntimeDep, SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.pagination import CursorQuery, LimitQuery, Page
from strmline.api.schemas import JobAccepted
from strmline.db.base import utcnow
from strmline.db.models import EpgSource
from strmline.formats.logos import LogoLinks
from strmline.formats.redact import redact_text, redact_url
from strmline.providers.local import LocalFiles
from strmline.services import epg_guide, epg_match
from strmline.services import epg_sources as source_service
from strmline.services import providers as provider_service

router = APIRouter(tags=["epg"])

MAX_NOW_CHANNELS = 1000


class EpgSourceRead(BaseModel):
    id: int
    name: str
    kind: str
    url: str
    provider_id: int | None
    offset_minutes: int
    enabled: bool
    auto: bool
    priority: int
    last_import_at: datetime | None
    last_status: str | None
    last_message: str | None
    channel_count: int
    programme_count: int
    refresh_minutes: int | None = None
    refresh_cron: str | None = None
    import_requested_at: datetime | None = None


_MINUTES = Field(None, ge=15, le=60 * 24 * 31, description="own refresh interval")
_CRON = Field(None, max_length=100, description="own refresh schedule (cron, UTC)")
# Null clears these (back to the epg.refresh_* settings); other fields cannot be null.
_NULLABLE = frozenset({"refresh_minutes", "refresh_cron"})


class EpgSourceCreate(BaseModel):
    url: str = Field(min_length=1, max_length=4000, description="http(s) URL or a file path")
    name: str | None = Field(None, max_length=200)
    offset_minutes: int = Field(0, ge=-24 * 60, le=24 * 60)
    priority: int = 0
    enabled: bool = True
    refresh_minutes: int | None = _MINUTES
    refresh_cron: str | None = _CRON


class EpgSourceUpdate(BaseModel):
    url: str | None = Field(None, min_length=1, max_length=4000)
    name: str | None = Field(None, min_length=1, max_length=200)
    offset_minutes: int | None = Field(None, ge=-24 * 60, le=24 * 60)
    priority: int | None = None
    enabled: bool | None = None
    refresh_minutes: int | None = _MINUTES
    refresh_cron: str | None = _CRON


class ChannelEpgUpdate(BaseModel):
    epg_channel_id: int | None = Field(description="guide channel to pin; null: match again")


class Slot(BaseModel):
    title: str
    start: datetime
    stop: datetime


class NowNextItem(BaseModel):
    channel_id: int
    channel: str
    now: Slot | None
    next: Slot | None


class NowNextRead(BaseModel):
    at: datetime | None = Field(None, description="absent when no channel was asked for")
    items: list[NowNextItem]


class Programme(BaseModel):
    id: int
    start: datetime
    stop: datetime
    title: str
    sub_title: str | None
    description: str | None
    categories: list[str]
    episode_num: str | None
    episode_onscreen: str | None
    icon: str | None
    rating: str | None


class GuideChannel(BaseModel):
    channel_id: int
    channel: str
    logo: str | None
    logo_proxy: str | None = Field(
        default=None, description="the logo through strmline's cache (/logo/…), null: no logo"
    )
    number: float | None
    programmes: list[Programme]


class GuideRead(BaseModel):
    start: datetime
    end: datetime
    items: list[GuideChannel]
    next_cursor: str | None


class GuideSuggestion(BaseModel):
    epg_channel_id: int
    xmltv_id: str
    name: str
    score: int


class UnmatchedChannel(BaseModel):
    channel_id: int
    channel: str
    tvg_id: str | None
    suggestions: list[GuideSuggestion]


class ChannelEpgRead(BaseModel):
    channel_id: int
    epg_channel_id: int | None
    epg_match_method: str | None
    epg_match_confidence: int | None
    epg_manual: bool


def _read(source: EpgSource) -> EpgSourceRead:
    return EpgSourceRead.model_validate(source, from_attributes=True)


@router.get("/api/epg/sources", summary="Guide sources")
async def list_sources(session: SessionDep, user: CurrentUser) -> list[EpgSourceRead]:
    sources = [_read(s) for s in await source_service.list_all(session=session)]
    if user.role == "admin":
        return sources
    # A guide URL may carry an account's credentials (xmltv.php?username=…&password=…).
    secrets = await provider_service.known_secrets(session)
    return [
        s.model_copy(
            update={
                "url": redact_url(s.url, secrets),
                "last_message": redact_text(s.last_message, secrets) if s.last_message else None,
            }
        )
        for s in sources
    ]


@router.post(
    "/api/epg/sources",
    status_code=201,
    summary="Add a guide source",
    description="The scheduler imports it at its next tick (or import it now: refresh).",
)
async def create_source(
    body: EpgSourceCreate, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> EpgSourceRead:
    source = await source_service.create(
        session=session, **body.model_dump(), local_files=LocalFiles.from_settings(settings)
    )
    return _read(source)


@router.patch("/api/epg/sources/{source_id}", summary="Change a guide source")
async def update_source(
    source_id: int,
    body: EpgSourceUpdate,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
) -> EpgSourceRead:
    source = await source_service.get(session=session, source_id=source_id)
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for k, v in changes.items() if k not in _NULLABLE):
        raise ApiError(422, "validation_error", "fields cannot be set to null")
    updated = await source_service.update(
        session=session,
        source=source,
        changes=changes,
        threshold=settings.epg.fuzzy_threshold,
        local_files=LocalFiles.from_settings(settings),
    )
    return _read(updated)


@router.delete(
    "/api/epg/sources/{source_id}",
    status_code=204,
    summary="Remove a guide source",
    description="Its channels are matched to the remaining sources' guides at once.",
)
async def delete_source(
    source_id: int, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> Response:
    source = await source_service.get(session=session, source_id=source_id)
    await source_service.delete_source(
        session=session, source=source, threshold=settings.epg.fuzzy_threshold
    )
    return Response(status_code=204)


@router.post("/api/epg/sources/{source_id}/refresh", status_code=202, summary="Import a source now")
async def refresh_source(
    source_id: int, session: SessionDep, runtime: RuntimeDep, user: AdminUser
) -> JobAccepted:
    await source_service.get(session=session, source_id=source_id)
    await session.commit()  # the job reads the source in its own session
    job = await runtime.submit("epg_import", {"source_id": source_id, "force": True})
    return JobAccepted(job_id=job.id)


def _ids(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ApiError(422, "validation_error", "channels: comma-separated ids") from None
    if len(ids) > MAX_NOW_CHANNELS:
        raise ApiError(422, "validation_error", f"at most {MAX_NOW_CHANNELS} channels at once")
    return list(dict.fromkeys(ids))


@router.get("/api/epg/now", summary="What is on now and next", response_model_exclude_unset=True)
async def now_next(
    session: SessionDep,
    user: CurrentUser,
    channels: Annotated[
        str | None, Query(description="comma-separated channel ids; default: all with a guide")
    ] = None,
    at: Annotated[datetime | None, Query(description="instead of now (ISO 8601)")] = None,
) -> NowNextRead:
    ids = _ids(channels)
    if ids is not None and not ids:
        return NowNextRead(items=[])
    when = at or utcnow()
    rows = await epg_guide.now_next(session, now=when, channel_ids=ids)
    return NowNextRead(
        at=when,
        items=[NowNextItem.model_validate(r.as_dict()) for r in rows[:MAX_NOW_CHANNELS]],
    )


@router.get("/api/epg/guide", summary="Programmes of a page of channels in a time window")
async def guide(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    start: Annotated[datetime | None, Query(description="default: now")] = None,
    end: Annotated[datetime | None, Query(description="default: start + 3 h; at most 48 h")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> GuideRead:
    window = await epg_guide.list_guide(
        session=session, start=start, end=end, cursor=cursor, limit=limit
    )
    logos = LogoLinks(settings.get_secret_key())
    return GuideRead(
        start=window.start,
        end=window.end,
        items=[
            GuideChannel.model_validate(
                item | {"logo_proxy": logos.url(item["logo"], item["channel"])}
            )
            for item in window.items
        ],
        next_cursor=window.next_cursor,
    )


@router.get("/api/epg/unmatched", summary="Channels without a guide, with suggestions")
async def unmatched(
    session: SessionDep, user: CurrentUser, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[UnmatchedChannel]:
    items, next_cursor = await epg_guide.list_unmatched(session=session, cursor=cursor, limit=limit)
    return Page[UnmatchedChannel](
        items=[UnmatchedChannel.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.put("/api/channels/{channel_id}/epg", summary="Pin a channel's guide (or unpin: null)")
async def set_channel_epg(
    channel_id: int,
    body: ChannelEpgUpdate,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
) -> ChannelEpgRead:
    channel = await epg_match.assign(
        session=session,
        channel_id=channel_id,
        epg_channel_id=body.epg_channel_id,
        threshold=settings.epg.fuzzy_threshold,
    )
    return ChannelEpgRead(
        channel_id=channel.id,
        epg_channel_id=channel.epg_channel_id,
        epg_match_method=channel.epg_match_method,
        epg_match_confidence=channel.epg_match_confidence,
        epg_manual=channel.epg_manual,
    )
