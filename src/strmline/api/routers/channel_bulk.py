"""Bulk channel work (admin): the channel list's multi-select and category management.

A selection is ``{"ids": [...]}`` or ``{"filter": {...}}`` with the list's own filters
(``GET /api/channels``), so "select every channel matching this search" needs no id list.
Each write commits and invalidates the cached categories and totals at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from strmline.api.cache import commit_catalog_change
from strmline.api.deps import AdminUser, SessionDep
from strmline.api.params import MAX_ID
from strmline.services import channel_bulk
from strmline.services.curation import ListParams

router = APIRouter(tags=["channels"])

MAX_SELECTION = 200_000
MAX_IDS = 100_000
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class ChannelFilter(BaseModel):
    """The filters of ``GET /api/channels``."""

    q: str | None = Field(None, max_length=300)
    category: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=8)
    region: str | None = Field(None, max_length=100)
    quality: str | None = Field(None, max_length=8)
    provider_id: RowId | None = None
    enabled: bool | None = None
    has_active: bool | None = None

    def params(self) -> ListParams:
        return ListParams(**self.model_dump())


class Selection(BaseModel):
    ids: list[RowId] | None = Field(None, min_length=1, max_length=MAX_SELECTION)
    filter: ChannelFilter | None = None

    @model_validator(mode="after")
    def _one(self) -> Selection:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give either ids or filter")
        return self

    def selection(self) -> channel_bulk.Selection:
        if self.ids is not None:
            return channel_bulk.Selection(ids=self.ids)
        assert self.filter is not None
        return channel_bulk.Selection(params=self.filter.params())


class BulkChanges(BaseModel):
    enabled: bool | None = None
    category: str | None = Field(None, max_length=200, description="null clears it")

    @model_validator(mode="after")
    def _some(self) -> BulkChanges:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give enabled and/or category")
        if "enabled" in self.model_fields_set and self.enabled is None:
            raise ValueError("enabled cannot be null")
        return self


class BulkEdit(Selection):
    changes: BulkChanges


class Changed(BaseModel):
    changed: int


class MatchingIds(BaseModel):
    ids: list[int]
    truncated: bool  # more channels match than MAX_IDS


class RenumberIn(Selection):
    start: int = Field(1, ge=1, le=999_999)
    order: Literal["name", "category", "number"] = "name"
    keep_provider: bool = Field(False, description="channels numbered by tvg-chno keep theirs")


class RenumberOut(BaseModel):
    changed: int
    first: float | None
    last: float | None
    kept: int


class CategoryMerge(BaseModel):
    names: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=500)
    into: str = Field(min_length=1, max_length=200)


@router.patch("/api/channels", summary="Enable, disable or set the category of many channels")
async def bulk_edit(
    body: BulkEdit, request: Request, session: SessionDep, _admin: AdminUser
) -> Changed:
    changed = await channel_bulk.update_channels(
        session=session,
        selection=body.selection(),
        changes=body.changes.model_dump(include=body.changes.model_fields_set),
    )
    await commit_catalog_change(request, session)
    return Changed(changed=changed)


@router.post("/api/channels/select", summary="Ids of the channels a filter selects (name order)")
async def select_ids(body: ChannelFilter, session: SessionDep, _admin: AdminUser) -> MatchingIds:
    ids = await channel_bulk.matching_ids(session=session, params=body.params(), limit=MAX_IDS + 1)
    return MatchingIds(ids=ids[:MAX_IDS], truncated=len(ids) > MAX_IDS)


@router.post("/api/channels/renumber", summary="Number many channels from a start")
async def renumber(
    body: RenumberIn, request: Request, session: SessionDep, _admin: AdminUser
) -> RenumberOut:
    result = await channel_bulk.renumber(
        session=session,
        selection=body.selection(),
        start=body.start,
        order=body.order,
        keep_provider=body.keep_provider,
    )
    await commit_catalog_change(request, session)
    return RenumberOut(
        changed=result.changed, first=result.first, last=result.last, kept=result.kept
    )


@router.post(
    "/api/categories/merge",
    summary="Rename a category, or merge several spellings into one",
)
async def merge_categories(
    body: CategoryMerge, request: Request, session: SessionDep, _admin: AdminUser
) -> Changed:
    changed = await channel_bulk.merge_categories(session=session, names=body.names, into=body.into)
    await commit_catalog_change(request, session)
    return Changed(changed=changed)
