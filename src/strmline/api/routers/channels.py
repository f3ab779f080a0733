"""Channels: the browsable list, a channel's ranked streams, and curation by admins.

Reads are open to any logged-in user, writes to admins. Every write answers with the state the
UI shows next (a ChannelDetail), so a screen needs no second request after an edit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from strmline.api.cache import commit_catalog_change
from strmline.api.deps import AdminUser, CurrentUser, SessionDep
from strmline.api.pagination import CursorQuery, LimitQuery, Page
from strmline.api.schemas import ChannelListItem
from strmline.formats.logos import LogoLinks, proxy_url
from strmline.formats.redact import redact_text
from strmline.services import curation, paging, stream_profiles
from strmline.services import providers as provider_service

router = APIRouter(tags=["channels"])

CATEGORIES_TTL = 300.0

_Item = TypeVar("_Item", bound=ChannelListItem)


class StreamRead(BaseModel):
    id: int
    provider_id: int
    provider: str
    name: str
    url: str
    quality: str | None
    score: int
    rank: int
    pinned: bool
    pinned_rank: int | None
    active: bool
    status: str
    response_ms: int | None
    failure_reason: str | None
    checked_at: datetime | None
    merge_method: str
    merge_confidence: int
    merge_reason: str | None
    manual_override: bool


class ChannelDetail(ChannelListItem):
    epg_channel_id: int | None
    manual: bool
    play_mode: str | None
    stream_profile: str | None = None  # overrides the provider's (GET /api/stream-profiles)
    streams: list[StreamRead]


class ChannelUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    # The range the sync takes from tvg-chno: 1e300 was stored, then every list failed on it.
    number: float | None = Field(default=None, ge=0, lt=1_000_000, allow_inf_nan=False)
    category: str | None = Field(default=None, max_length=200)
    logo: str | None = None
    enabled: bool | None = None
    stream_profile: str | None = Field(
        default=None, max_length=40, description="null: the provider's stream profile"
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the name cannot be blank")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _required_not_null(self) -> ChannelUpdate:
        # Absent means "leave it"; null means "clear it", which these two cannot be.
        for field in ("name", "enabled"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class MoveIn(BaseModel):
    channel_id: int


class MoveOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: ChannelDetail | None = Field(alias="from")
    to: ChannelDetail


def _unique(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("stream ids must not repeat")
    return ids


StreamIds = Annotated[list[int], Field(min_length=1, max_length=1000), AfterValidator(_unique)]


class SplitIn(BaseModel):
    stream_ids: StreamIds
    name: str | None = Field(default=None, min_length=1, max_length=300)


class MergeIn(BaseModel):
    other_id: int


class PinIn(BaseModel):
    rank: int | None = Field(ge=1, le=10_000)


class OrderIn(BaseModel):
    stream_ids: StreamIds


class Category(BaseModel):
    name: str
    count: int


def _with_logo(request: Request, item: _Item) -> _Item:
    key = request.app.state.settings.get_secret_key()
    return item.model_copy(update={"logo_proxy": proxy_url(key, item.logo, item.name)})


async def _detail(request: Request, session: SessionDep, channel_id: int) -> ChannelDetail:
    """What every write answers with: the channel as its screen shows it next."""
    detail = ChannelDetail.model_validate(
        await curation.get_detail(session=session, channel_id=channel_id)
    )
    return _with_logo(request, detail)


class ChannelPage(Page[ChannelListItem]):
    total: int = Field(description="channels matching the filters, on every page")


@router.get("/api/channels", summary="Channels, filtered and sorted, a page at a time")
async def list_channels(
    request: Request,
    session: SessionDep,
    _user: CurrentUser,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    q: Annotated[str | None, Query(description="name contains (case/accent-insensitive)")] = None,
    category: str | None = None,
    country: str | None = None,
    region: str | None = None,
    quality: Annotated[str | None, Query(description="best stream quality: SD, HD, FHD…")] = None,
    provider_id: Annotated[int | None, Query(description="has a live stream of")] = None,
    enabled: bool | None = None,
    has_active: Annotated[bool | None, Query(description="at least one working stream")] = None,
    sort: Literal["name", "number", "stream_count"] = "name",
    order: Literal["asc", "desc"] = "asc",
) -> ChannelPage:
    params = curation.ListParams(
        limit=limit,
        cursor=cursor,
        q=q,
        category=category,
        country=country,
        region=region,
        quality=quality,
        provider_id=provider_id,
        enabled=enabled,
        has_active=has_active,
        sort=sort,
        order=order,
    )
    page = await paging.channel_page(session=session, params=params)

    async def count() -> int:
        return await curation.count_channels(session=session, params=params)

    # Cached with the categories: every catalogue change and finished job invalidates both.
    key = repr((q, category, country, region, quality, provider_id, enabled, has_active))
    total = await request.app.state.cache.get_or_set(
        "categories", f"total:{key}", count, CATEGORIES_TTL
    )
    # One signer for the page and one validation of the whole answer: the per-item work is
    # what a 500-channel page pays 500 times.
    links = LogoLinks(request.app.state.settings.get_secret_key())
    for item in page.items:
        item["logo_proxy"] = links.url(item["logo"], item["name"])
    return ChannelPage.model_validate(
        {"items": page.items, "next_cursor": page.next_cursor, "total": int(total)}
    )


@router.get("/api/channels/{channel_id}", summary="A channel and its streams in rank order")
async def get_channel(
    channel_id: int, request: Request, session: SessionDep, user: CurrentUser
) -> ChannelDetail:
    detail = await _detail(request, session, channel_id)
    if user.role == "admin":
        return detail
    # Provider URLs carry the account's credentials: a viewer gets strmline's URL of each stream,
    # and failure reasons with any credential in them masked.
    secrets = await provider_service.known_secrets(session)
    streams = [
        s.model_copy(
            update={
                "url": f"/play/stream/{s.id}",
                "failure_reason": redact_text(s.failure_reason, secrets)
                if s.failure_reason
                else None,
            }
        )
        for s in detail.streams
    ]
    return detail.model_copy(update={"streams": streams})


@router.patch("/api/channels/{channel_id}", summary="Edit a channel (it then survives syncs)")
async def edit_channel(
    channel_id: int, body: ChannelUpdate, request: Request, session: SessionDep, _admin: AdminUser
) -> ChannelDetail:
    changes: dict[str, Any] = body.model_dump(include=body.model_fields_set)
    stream_profiles.require(request.app.state.settings, body.stream_profile)
    await curation.edit(
        session=session,
        channel_id=channel_id,
        changes=changes,
        number_start=request.app.state.settings.sync.auto_number_start,
    )
    detail = await _detail(request, session, channel_id)
    await commit_catalog_change(request, session)
    return detail


@router.post(
    "/api/channels/{channel_id}/streams/{stream_id}/move",
    summary="Move a stream to another channel",
)
async def move_stream(
    channel_id: int,
    stream_id: int,
    body: MoveIn,
    request: Request,
    session: SessionDep,
    admin: AdminUser,
) -> MoveOut:
    source = await curation.move_stream(
        session=session,
        channel_id=channel_id,
        stream_id=stream_id,
        to_channel_id=body.channel_id,
        username=admin.username,
    )
    out = MoveOut(
        from_=await _detail(request, session, source) if source is not None else None,
        to=await _detail(request, session, body.channel_id),
    )
    await commit_catalog_change(request, session)
    return out


@router.post(
    "/api/channels/{channel_id}/split",
    status_code=201,
    summary="Move some streams into a new channel",
)
async def split_channel(
    channel_id: int, body: SplitIn, request: Request, session: SessionDep, admin: AdminUser
) -> ChannelDetail:
    new_id = await curation.split(
        session=session,
        channel_id=channel_id,
        stream_ids=body.stream_ids,
        name=body.name,
        username=admin.username,
        number_start=request.app.state.settings.sync.auto_number_start,
    )
    detail = await _detail(request, session, new_id)
    await commit_catalog_change(request, session)
    return detail


@router.post(
    "/api/channels/{channel_id}/merge", summary="Merge another channel's streams into this one"
)
async def merge_channel(
    channel_id: int, body: MergeIn, request: Request, session: SessionDep, admin: AdminUser
) -> ChannelDetail:
    await curation.merge(
        session=session, channel_id=channel_id, other_id=body.other_id, username=admin.username
    )
    detail = await _detail(request, session, channel_id)
    await commit_catalog_change(request, session)
    return detail


@router.post("/api/streams/{stream_id}/pin", summary="Pin a stream at a rank (null unpins)")
async def pin_stream(
    stream_id: int, body: PinIn, request: Request, session: SessionDep, _admin: AdminUser
) -> ChannelDetail:
    channel_id = await curation.pin(session=session, stream_id=stream_id, rank=body.rank)
    detail = await _detail(request, session, channel_id)
    await commit_catalog_change(request, session)
    return detail


@router.post(
    "/api/channels/{channel_id}/order", summary="Pin streams in this order (others follow)"
)
async def order_streams(
    channel_id: int, body: OrderIn, request: Request, session: SessionDep, _admin: AdminUser
) -> ChannelDetail:
    await curation.order(session=session, channel_id=channel_id, stream_ids=body.stream_ids)
    detail = await _detail(request, session, channel_id)
    await commit_catalog_change(request, session)
    return detail


@router.get("/api/categories", summary="Categories of channels with streams, with counts")
async def list_categories(
    request: Request, session: SessionDep, _user: CurrentUser
) -> list[Category]:
    async def load() -> list[dict[str, Any]]:
        return await curation.categories(session=session)

    rows = await request.app.state.cache.get_or_set("categories", "all", load, CATEGORIES_TTL)
    return [Category.model_validate(row) for row in rows]
