"""``/play/{channel}/hls/``: a channel as live HLS for browsers (the web UI's player).

Whatever the provider serves (TS, HLS, AES-128, fMP4) and whatever its CORS rules, the browser
gets a playlist and MPEG-TS segments from strmline's own origin, cut from the channel's proxy hub
(:mod:`strmline.playback.segmenter`): one upstream connection shared with every other proxied
viewer, provider headers and credentials never leaving the server. The viewer's token travels in
the query string of the playlist and of every segment URL.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response

from strmline.api.deps import SessionDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.outputs import play, proxy
from strmline.api.outputs.common import NO_STORE
from strmline.api.params import IdPath
from strmline.errors import StrmlineError
from strmline.formats.hls_out import render_playlist
from strmline.playback.segmenter import HlsOutputs

__all__ = ["hls_outputs", "router"]

router = APIRouter(tags=["outputs"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
# How long the first playlist request waits for a first segment (upstream start + one GOP).
FIRST_SEGMENT_SECONDS = 20.0


def hls_outputs(app: FastAPI) -> HlsOutputs:
    outputs: HlsOutputs | None = getattr(app.state, "hls_outputs", None)
    if outputs is None:
        outputs = app.state.hls_outputs = HlsOutputs(proxy.registry_for(app))
    return outputs


@router.get(
    "/play/{channel_id}/hls/index.m3u8",
    summary="A channel as live HLS (for browsers): playlist",
    response_class=Response,
    responses={
        200: {"content": {PLAYLIST_TYPE: {}}, "description": "live media playlist"},
        503: {"description": "nothing playable right now"},
    },
)
async def hls_playlist(
    channel_id: IdPath, user: TokenUser, session: SessionDep, request: Request
) -> Response:
    await play.require_watchable(session, user, channel_id)
    # Nothing below needs the database; a long first wait must not hold a pooled connection.
    await session.commit()
    outputs = hls_outputs(request.app)
    try:
        seg = await outputs.get(channel_id, user.id, **proxy.player_of(request))
    except StrmlineError as exc:
        raise proxy.api_error(exc) from None
    try:
        async with asyncio.timeout(FIRST_SEGMENT_SECONDS):
            ready = await outputs.first_segment(seg)
    except TimeoutError:
        ready = False
    if not ready:
        raise ApiError(
            503,
            "no_video",
            f"channel {channel_id}: no picture to start from within "
            f"{FIRST_SEGMENT_SECONDS:.0f} s (the stream stalled or has no keyframes)",
        )
    query = request.url.query
    body = render_playlist(seg.infos(), suffix=f"?{query}" if query else "")
    return Response(body, media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get(
    "/play/{channel_id}/hls/{sequence}.ts",
    summary="A channel as live HLS (for browsers): one segment",
    response_class=Response,
    responses={
        200: {"content": {"video/mp2t": {}}, "description": "MPEG-TS segment"},
        404: {"description": "not (or no longer) there"},
    },
)
async def hls_segment(
    channel_id: IdPath,
    user: TokenUser,
    request: Request,
    sequence: int = Path(ge=0, le=2**31),
) -> Response:
    seg = hls_outputs(request.app).running(channel_id)
    data = seg.segment(sequence) if seg is not None else None
    if seg is None or data is None:
        raise ApiError(404, "not_found", f"segment {sequence} of channel {channel_id} is gone")
    seg.touch()
    return Response(data, media_type="video/mp2t", headers=NO_STORE)
