"""Lineups (admin): named channel sets with their own order and numbers, the rules that fill
them, their members, and which users see which. ``GET /api/lineups/mine`` lists, for anyone
logged in, the lineups they see and the output URLs of each.

"All channels" is listed first with ``id`` null and slug ``all``; it always exists and cannot
be changed. Output URLs take ``?lineup=<slug>`` (M3U, XMLTV); each lineup is an HDHomeRun tuner
of its own at ``/hdhr/<token>/lineup/<slug>/``; Xtream credentials are bound to one with
``PUT /api/lineups/users/{user_id}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from strmline.api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from strmline.api.outputs.common import public_base, token_query
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import MAX_ID, IdPath
from strmline.services import lineups as service
from strmline.services import tuning
from strmline.services import users as user_service
from strmline.services.lineups import LineupInfo, View

router = APIRouter(prefix="/api/lineups", tags=["lineups"])

MAX_BULK = 10_000
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Rule(BaseModel):
    """Every field given must match; a lineup takes channels matching any of its rules."""

    category: str | None = Field(None, max_length=200, description="equal, ignoring case")
    country: str | None = Field(None, max_length=8, description="ISO code, e.g. US")
    quality: str | None = Field(None, max_length=8, description="at least: SD HD FHD QHD UHD 8K")
    name: str | None = Field(None, max_length=300, description="regular expression on the name")


class LineupCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    slug: str | None = Field(None, max_length=60, description="in URLs; from the name if omitted")
    position: int = Field(0, ge=-(2**31), le=2**31 - 1)
    rules: list[Rule] = Field(default_factory=list, max_length=100)


class LineupUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Field(None, max_length=60)
    position: int | None = Field(None, ge=-(2**31), le=2**31 - 1)
    rules: list[Rule] | None = Field(None, max_length=100)


class LineupRead(BaseModel):
    id: int | None  # null: "All channels"
    name: str
    slug: str
    position: int
    rules: list[Rule]
    channels: int
    rules_applied_at: datetime | None
    builtin: bool


class Members(BaseModel):
    channel_ids: list[RowId] = Field(min_length=1, max_length=MAX_BULK)


class MembersChanged(BaseModel):
    changed: int
    channels: int


class MemberRead(BaseModel):
    channel_id: int
    name: str
    number: float
    source: str  # manual | rule
    category: str | None


class NumberItem(BaseModel):
    channel_id: RowId
    number: float = Field(gt=0, lt=1e9)


class Numbers(BaseModel):
    numbers: list[NumberItem] = Field(min_length=1, max_length=MAX_BULK)


class Renumber(BaseModel):
    start: int = Field(1, ge=1, le=1_000_000)
    order: Literal["lineup", "channel", "name"] = "lineup"


class RulesApplied(BaseModel):
    added: int
    removed: int


class Assignment(BaseModel):
    lineup_ids: list[RowId] = Field(default_factory=list, max_length=1000)
    xtream_lineup_id: RowId | None = None


class AssignmentRead(BaseModel):
    user_id: int
    lineups: list[dict[str, Any]]  # id, slug, name
    xtream_lineup_id: int | None


class Outputs(BaseModel):
    id: int | None
    name: str
    slug: str
    m3u: str
    xmltv: str
    hdhomerun: str


def _read(info: LineupInfo) -> LineupRead:
    lineup = info.lineup
    return LineupRead(
        id=lineup.id,
        name=lineup.name,
        slug=lineup.slug,
        position=lineup.position,
        rules=[Rule(**r) for r in lineup.rules or []],
        channels=info.channels,
        rules_applied_at=lineup.rules_applied_at,
        builtin=False,
    )


async def _all_channels(session: SessionDep) -> LineupRead:
    state = await tuning.lineup_state(session)
    return LineupRead(
        id=None,
        name=service.ALL_NAME,
        slug=service.ALL_SLUG,
        position=-(2**31),
        rules=[],
        channels=state.channels,
        rules_applied_at=None,
        builtin=True,
    )


@router.get("", summary="Every lineup, 'All channels' first")
async def list_lineups(session: SessionDep, _: AdminUser) -> list[LineupRead]:
    infos = await service.list_lineups(session)
    return [await _all_channels(session), *(_read(i) for i in infos)]


@router.post("", status_code=201, summary="Add a lineup (its rules are applied now)")
async def create_lineup(body: LineupCreate, session: SessionDep, _: AdminUser) -> LineupRead:
    lineup = await service.create(
        session,
        name=body.name,
        slug=body.slug,
        position=body.position,
        rules=[r.model_dump() for r in body.rules],
    )
    return _read(LineupInfo(lineup, await service.member_count(session, lineup.id)))


@router.get("/mine", summary="The lineups you see, with their output URLs")
async def my_lineups(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> list[Outputs]:
    views = await service.user_lineups(session, user.id) if user.role != "admin" else []
    if not views:
        views = [
            service.ALL,
            *(
                View(i.lineup.id, i.lineup.slug, i.lineup.name)
                for i in await service.list_lineups(session)
            ),
        ]
    base = public_base(request, settings)
    token = token_query(user.api_token)
    hdhr = f"{base}/hdhr/{quote(user.api_token, safe='')}/lineup/"
    return [
        Outputs(
            id=v.id,
            name=v.name,
            slug=v.slug,
            m3u=f"{base}/output/m3u?{token}&lineup={v.slug}",
            xmltv=f"{base}/output/xmltv?{token}&lineup={v.slug}",
            hdhomerun=f"{hdhr}{v.slug}/",
        )
        for v in views
    ]


@router.get("/{lineup_id}", summary="One lineup")
async def get_lineup(lineup_id: IdPath, session: SessionDep, _: AdminUser) -> LineupRead:
    lineup = await service.get(session, lineup_id)
    return _read(LineupInfo(lineup, await service.member_count(session, lineup_id)))


@router.patch("/{lineup_id}", summary="Change a lineup (only the fields sent; new rules apply now)")
async def update_lineup(
    lineup_id: IdPath, body: LineupUpdate, session: SessionDep, _: AdminUser
) -> LineupRead:
    lineup = await service.get(session, lineup_id)
    changes = body.model_dump(exclude_unset=True)
    if body.rules is not None:
        changes["rules"] = [r.model_dump() for r in body.rules]
    lineup = await service.update(session, lineup, changes)
    return _read(LineupInfo(lineup, await service.member_count(session, lineup_id)))


@router.delete("/{lineup_id}", status_code=204, summary="Delete a lineup")
async def delete_lineup(lineup_id: IdPath, session: SessionDep, _: AdminUser) -> Response:
    await service.delete_lineup(session, await service.get(session, lineup_id))
    return Response(status_code=204)


@router.get("/{lineup_id}/channels", summary="The lineup's channels in its order")
async def list_members(
    lineup_id: IdPath,
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[MemberRead]:
    await service.get(session, lineup_id)
    members, next_cursor = await service.members_page(
        session, lineup_id, limit=limit, cursor=cursor
    )
    return Page[MemberRead](
        items=[
            MemberRead(
                channel_id=m.channel_id,
                name=m.name,
                number=m.number,
                source=m.source,
                category=m.category,
            )
            for m in members
        ],
        next_cursor=next_cursor,
    )


@router.post("/{lineup_id}/channels", summary="Add channels (numbered after the highest)")
async def add_members(
    lineup_id: IdPath, body: Members, session: SessionDep, _: AdminUser
) -> MembersChanged:
    lineup = await service.get(session, lineup_id)
    changed = await service.add_members(session, lineup, body.channel_ids)
    return MembersChanged(changed=changed, channels=await service.member_count(session, lineup_id))


@router.post(
    "/{lineup_id}/channels/remove",
    summary="Take channels out (in a lineup with rules, they stay out)",
)
async def remove_members(
    lineup_id: IdPath, body: Members, session: SessionDep, _: AdminUser
) -> MembersChanged:
    lineup = await service.get(session, lineup_id)
    changed = await service.remove_members(session, lineup, body.channel_ids)
    return MembersChanged(changed=changed, channels=await service.member_count(session, lineup_id))


@router.put("/{lineup_id}/numbers", status_code=204, summary="Set channels' numbers in the lineup")
async def set_numbers(
    lineup_id: IdPath, body: Numbers, session: SessionDep, _: AdminUser
) -> Response:
    lineup = await service.get(session, lineup_id)
    await service.set_numbers(session, lineup, {n.channel_id: n.number for n in body.numbers})
    return Response(status_code=204)


@router.post("/{lineup_id}/renumber", summary="Number every channel of the lineup from `start`")
async def renumber(
    lineup_id: IdPath, body: Renumber, session: SessionDep, _: AdminUser
) -> MembersChanged:
    lineup = await service.get(session, lineup_id)
    count = await service.renumber(session, lineup, start=body.start, order=body.order)
    return MembersChanged(changed=count, channels=count)


@router.post("/{lineup_id}/apply-rules", summary="Apply the lineup's rules now")
async def apply_rules(lineup_id: IdPath, session: SessionDep, _: AdminUser) -> RulesApplied:
    await service.get(session, lineup_id)
    return RulesApplied(**await service.apply_rules(session, [lineup_id]))


@router.get("/users/{user_id}", summary="The lineups a user is given")
async def get_assignment(user_id: IdPath, session: SessionDep, _: AdminUser) -> AssignmentRead:
    user = await user_service.get(session=session, user_id=user_id)
    views = await service.user_lineups(session, user.id)
    return AssignmentRead(
        user_id=user.id,
        lineups=[{"id": v.id, "slug": v.slug, "name": v.name} for v in views],
        xtream_lineup_id=user.xtream_lineup_id,
    )


@router.put(
    "/users/{user_id}",
    summary="Give a user these lineups (none: everything) and bind their Xtream credentials",
)
async def set_assignment(
    user_id: IdPath, body: Assignment, session: SessionDep, _: AdminUser
) -> AssignmentRead:
    user = await user_service.get(session=session, user_id=user_id)
    views = await service.set_user_lineups(session, user, body.lineup_ids, body.xtream_lineup_id)
    return AssignmentRead(
        user_id=user.id,
        lineups=[{"id": v.id, "slug": v.slug, "name": v.name} for v in views],
        xtream_lineup_id=user.xtream_lineup_id,
    )
