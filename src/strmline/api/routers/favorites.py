"""Favourites: each user's own list of channels."""

from __future__ import annotations

from fastapi import APIRouter, Response

from strmline.api.deps import CurrentUser, SessionDep
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.api.schemas import ChannelListItem
from strmline.services import favorites as favorite_service

router = APIRouter(prefix="/api/favorites", tags=["favorites"])


class FavoriteChannel(ChannelListItem):
    favorite: bool = True


@router.get("", summary="Your favourite channels, by name")
async def list_favorites(
    session: SessionDep,
    user: CurrentUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[FavoriteChannel]:
    items, next_cursor = await favorite_service.list_page(
        session=session, user_id=user.id, limit=limit, cursor=cursor
    )
    return Page[FavoriteChannel](
        items=[FavoriteChannel.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.put("/{channel_id}", status_code=204, summary="Add a channel to your favourites")
async def add_favorite(channel_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    await favorite_service.add(session=session, user_id=user.id, channel_id=channel_id)
    return Response(status_code=204)


@router.delete("/{channel_id}", status_code=204, summary="Remove a channel from your favourites")
async def remove_favorite(channel_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    await favorite_service.remove(session=session, user_id=user.id, channel_id=channel_id)
    return Response(status_code=204)
