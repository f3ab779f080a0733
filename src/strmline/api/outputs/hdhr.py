"""HDHomeRun emulation under ``/hdhr/{token}/`` for Plex, Jellyfin, Emby and Channels DVR.

The token sits in the path because these clients take a device base URL and append fixed
document names to it; a query string would be lost. Channels, numbers and order are those of
``/output/m3u``; each lineup entry points at ``/play/{channel}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from strmline.api.deps import SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs.common import PlayUrls, public_base
from strmline.api.outputs.m3u import head_response
from strmline.config import Settings
from strmline.db.models import User
from strmline.formats import hdhr
from strmline.services import tuning
from strmline.services import users as user_service
from strmline.services.tuning import LineupPage

router = APIRouter(tags=["hdhomerun"])


async def get_path_token_user(
    session: SessionDep,
    token: Annotated[str, Path(max_length=200, description="the user's API token")],
) -> User:
    user = await user_service.get_by_api_token(session=session, token=token)
    if user is None:
        raise ApiError(
            401,
            "invalid_api_token",
            "the tuner URL needs a valid API token: /hdhr/<token>/ (see GET /api/auth/api-token)",
        )
    return user


PathTokenUser = Annotated[User, Depends(get_path_token_user)]


def _device_base(request: Request, settings: Settings, user: User) -> str:
    return f"{public_base(request, settings)}/hdhr/{quote(user.api_token, safe='')}"


@router.get("/hdhr/{token}/discover.json", summary="HDHomeRun device description")
async def discover(
    request: Request, user: PathTokenUser, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    return hdhr.discover(
        base=_device_base(request, settings, user),
        secret=settings.get_secret_key(),
        user_id=user.id,
        tuner_count=await tuning.tuner_count(session, settings.outputs.tuner_count),
    )


async def _lineup_body(pages: AsyncIterator[LineupPage], urls: PlayUrls) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for page in pages:
        items = b",".join(
            orjson.dumps(
                hdhr.lineup_item(
                    number=c.chno, name=c.name, url=urls.channel(c.id), quality=c.best_quality
                )
            )
            for c in page.channels
        )
        yield items if first else b"," + items
        first = False
    yield b"]"


@router.get(
    "/hdhr/{token}/lineup.json",
    summary="HDHomeRun channel lineup (same channels and order as /output/m3u)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "the lineup"}},
)
async def lineup(
    request: Request, user: PathTokenUser, session: SessionDep, settings: SettingsDep
) -> Response:
    headers = {"Cache-Control": "private, no-cache"}
    if request.method == "HEAD":
        return head_response(headers, "application/json")
    state = await tuning.lineup_state(session)
    # Read in a session of its own: the request's is closed once the handler returns.
    pages = tuning.lineup_pages(
        request.app.state.session_factory,
        first_free_number=state.first_free_number,
        page_size=settings.outputs.page_size,
    )
    return StreamingResponse(
        _lineup_body(pages, PlayUrls.of(public_base(request, settings), user.api_token)),
        media_type="application/json",
        headers=headers,
    )


@router.get("/hdhr/{token}/lineup_status.json", summary="HDHomeRun scan status (never scanning)")
async def lineup_status(user: PathTokenUser) -> dict[str, Any]:
    return hdhr.lineup_status()


@router.post(
    "/hdhr/{token}/lineup.post",
    summary="HDHomeRun scan request (accepted; the lineup is always current)",
    response_class=Response,
    responses={200: {"description": "accepted"}},
)
async def lineup_post(user: PathTokenUser) -> Response:
    return Response(status_code=200)


@router.get(
    "/hdhr/{token}/device.xml",
    summary="UPnP root device description",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "device description"}},
)
async def device_xml(request: Request, user: PathTokenUser, settings: SettingsDep) -> Response:
    body = hdhr.device_xml(
        base=_device_base(request, settings, user),
        secret=settings.get_secret_key(),
        user_id=user.id,
    )
    return Response(body, media_type="application/xml")
