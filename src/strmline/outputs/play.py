"""``/play``: where playlist entries point. Picks the stream when the client tunes in.

For now a 302 to the provider's URL. Headers the provider needs (User-Agent, Referer) cannot
travel with a redirect; the proxy mode planned on top of :func:`playback.best_stream` covers
those streams.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from strmline.api.deps import SessionDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.params import IdPath
from strmline.outputs import proxy
from strmline.outputs.common import NO_STORE
from strmline.pipelines import playback

router = APIRouter(tags=["outputs"])

_RESPONSES: dict[int | str, dict[str, str]] = {
    302: {"description": "redirect to the stream"},
    404: {"description": "unknown or disabled"},
    503: {"description": "nothing playable right now"},
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def _unavailable(exc: playback.NoPlayableStream) -> ApiError:
    return ApiError(503, exc.code, exc.message)


@router.get(
    "/play/{channel_id}",
    summary="Play a channel: redirect to its best working stream",
    response_class=RedirectResponse,
    status_code=302,
    responses=_RESPONSES,
)
async def play_channel(
    channel_id: IdPath, user: TokenUser, session: SessionDep, request: Request
) -> Response:
    settings = request.app.state.settings
    if await proxy.play_mode(session, channel_id, settings) == "proxy":
        return await proxy.proxy_response(
            request,
            channel_id=channel_id,
            user=user,
            settings=settings,
            session_factory=request.app.state.session_factory,
        )
    try:
        stream = await playback.best_stream(session, channel_id)
    except playback.NoPlayableStream as exc:
        raise _unavailable(exc) from exc
    return _redirect(stream.url)


@router.get(
    "/play/stream/{stream_id}",
    summary="Play one specific stream (the entries of ?quality=all)",
    response_class=RedirectResponse,
    status_code=302,
    responses=_RESPONSES,
)
async def play_stream(stream_id: IdPath, user: TokenUser, session: SessionDep) -> RedirectResponse:
    try:
        stream = await playback.get_stream(session, stream_id)
    except playback.NoPlayableStream as exc:
        raise _unavailable(exc) from exc
    return _redirect(stream.url)
