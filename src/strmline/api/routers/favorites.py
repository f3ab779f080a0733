"""Favourites: each user's own list of channels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from strmline.api.deps import CurrentUser, SessionDep
from strmline.api.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
    split_page,
)
from strmline.api.params import IdPath
from strmline.services import channels as channel_service
from strmline.services import favorites as favorite_service

router = APIRouter(prefix="/api/favorites", tags=["favorites"])


@router.get("", summary="Your favourite channels, by name")
async def list_favorites(
    session: SessionDep,
    user: CurrentUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[dict[str, Any]]:
    after = decode_cursor(cursor, str, int)
    channels, more = split_page(
        await favorite_service.list_page(
            session=session,
            user_id=user.id,
            limit=limit + 1,
            after=(after[0], after[1]) if after else None,
        ),
        limit,
    )
    items = [channel_service.channel_view(c) | {"favorite": True} for c in channels]
    return Page[dict[str, Any]](
        items=await channel_service.with_health(session, items),
        next_cursor=encode_cursor(channels[-1].name, channels[-1].id) if more else None,
    )


@router.put("/{channel_id}", status_code=204, summary="Add a channel to your favourites")
async def add_favorite(channel_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    await favorite_service.add(session=session, user_id=user.id, channel_id=channel_id)
    return Response(status_code=204)


@router.delete("/{channel_id}", status_code=204, summary="Remove a channel from your favourites")
async def remove_favorite(channel_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    await favorite_service.remove(session=session, user_id=user.id, channel_id=channel_id)
    return Response(status_code=204)
