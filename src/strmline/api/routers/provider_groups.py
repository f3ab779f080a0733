"""Group filters (admin): a provider's categories as its last sync saw them, with entry counts,
which of them the sync takes, regular expressions on category and entry names, and whether
categories first seen at a sync are taken. The next sync applies a change; one that would take
none of the entries the last sync saw is refused (422).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from strmline.api.deps import AdminUser, SessionDep
from strmline.api.params import IdPath
from strmline.services import group_filters as service
from strmline.services.group_filters import GroupsView

router = APIRouter(prefix="/api/providers", tags=["providers"])


class GroupRead(BaseModel):
    name: str  # "" for entries without a category
    entries: int
    taken: bool
    effective: bool  # taken once the category patterns are applied
    seen_at: datetime | None


class GroupsRead(BaseModel):
    provider_id: int
    take_new_groups: bool
    group_include: str | None
    group_exclude: str | None
    name_include: str | None
    name_exclude: str | None
    entries: int
    taken_entries: int
    groups: list[GroupRead]


class GroupChoice(BaseModel):
    name: str = Field(max_length=200)
    taken: bool


class GroupsUpdate(BaseModel):
    groups: list[GroupChoice] = Field(default_factory=list, max_length=100_000)
    take_new_groups: bool | None = None
    group_include: str | None = Field(None, max_length=500)
    group_exclude: str | None = Field(None, max_length=500)
    name_include: str | None = Field(None, max_length=500)
    name_exclude: str | None = Field(None, max_length=500)


def _read(view: GroupsView) -> GroupsRead:
    return GroupsRead(
        provider_id=view.provider_id,
        take_new_groups=view.take_new_groups,
        group_include=view.group_include,
        group_exclude=view.group_exclude,
        name_include=view.name_include,
        name_exclude=view.name_exclude,
        entries=view.entries,
        taken_entries=view.taken_entries,
        groups=[
            GroupRead(
                name=g.name,
                entries=g.entries,
                taken=g.taken,
                effective=g.effective,
                seen_at=g.seen_at,
            )
            for g in view.groups
        ],
    )


@router.get("/{provider_id}/groups", summary="The provider's categories and group filter")
async def get_groups(provider_id: IdPath, session: SessionDep, _: AdminUser) -> GroupsRead:
    return _read(await service.get_groups(session, provider_id))


@router.put(
    "/{provider_id}/groups",
    summary="Change the group filter (fields sent; the next sync applies it)",
)
async def put_groups(
    provider_id: IdPath, body: GroupsUpdate, session: SessionDep, _: AdminUser
) -> GroupsRead:
    changes = body.model_dump(exclude_unset=True)
    changes["groups"] = {g.name: g.taken for g in body.groups}
    return _read(await service.update_groups(session, provider_id, changes))
