"""Viewing history: what was watched, by whom, and the failovers. A user sees their own; an admin
sees everyone's, or one user's with ``user_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from strmline.api.deps import CurrentUser, SessionDep
from strmline.api.errors import ApiError
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import MAX_ID
from strmline.db.models import User
from strmline.services import viewing

router = APIRouter(prefix="/api/history", tags=["history"])

UserQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="admins: one user's (default: everyone's)")
]


class HistoryItem(BaseModel):
    id: int
    channel_id: int | None
    channel: str | None
    user_id: int | None
    username: str | None
    kind: str
    client: str | None
    started_at: datetime
    ended_at: datetime | None
    bytes_sent: int
    switches: int


class TopChannel(BaseModel):
    channel_id: int
    channel: str | None
    sessions: int
    switches: int


class HistoryStats(BaseModel):
    days: int
    sessions: int
    failovers: int
    sessions_with_failover: int
    top_channels: list[TopChannel]
    by_hour: list[int]  # 24 values, UTC


def _whose(user: User, user_id: int | None) -> int | None:
    if user.role == "admin":
        return user_id
    if user_id is not None and user_id != user.id:
        raise ApiError(403, "forbidden", "only admins see other users' history")
    return user.id


@router.get("", summary="Viewing sessions, newest first")
async def list_history(
    session: SessionDep,
    user: CurrentUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    user_id: UserQuery = None,
) -> Page[HistoryItem]:
    items, next_cursor = await viewing.history_page(
        session=session, user_id=_whose(user, user_id), limit=limit, cursor=cursor
    )
    return Page[HistoryItem](
        items=[HistoryItem.model_validate(i) for i in items], next_cursor=next_cursor
    )


@router.get("/stats", summary="Most watched channels, viewing by hour, failovers")
async def history_stats(
    session: SessionDep,
    user: CurrentUser,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    user_id: UserQuery = None,
) -> HistoryStats:
    s = await viewing.stats(session=session, user_id=_whose(user, user_id), days=days)
    return HistoryStats(
        days=days,
        sessions=s.sessions,
        failovers=s.failovers,
        sessions_with_failover=s.sessions_with_failover,
        top_channels=[TopChannel.model_validate(t) for t in s.top_channels],
        by_hour=s.by_hour,
    )
