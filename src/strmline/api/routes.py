"""Every router of the app, in one list; each feature adds its own line here.

Client outputs also answer ``HEAD`` (Jellyfin, Kodi and Plex probe URLs with it before a GET):
each GET route of an output router gets a HEAD twin, left out of the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.routing import APIRoute

from strmline.api.outputs import catchup, hdhr, hlsout, logos, m3u, play, vodplay
from strmline.api.outputs import xmltv as xmltv_output
from strmline.api.outputs import xtream as xtream_output
from strmline.api.routers import (
    auth,
    channel_bulk,
    channels,
    dashboard,
    epg,
    events,
    favorites,
    health,
    jobs,
    lineups,
    provider_groups,
    providers,
    rules,
    settings,
    stream_profiles,
    system,
    users,
    viewing,
    vod,
)

log = logging.getLogger(__name__)

# A streamed body whose handler holds something (a proxy slot, an upstream connection) is run to
# its first chunk so its cleanup runs; this bounds how long a HEAD may wait for that chunk.
RELEASE_SECONDS = 5.0


async def _release(response: StreamingResponse) -> None:
    # Closing a generator that never started skips its ``finally``, and that is where handlers
    # that acquire before returning (the /play proxy) give back what they took.
    body: Any = response.body_iterator
    try:
        async with asyncio.timeout(RELEASE_SECONDS):
            await anext(aiter(body))
    except (StopAsyncIteration, TimeoutError):
        pass
    except Exception as exc:
        log.debug("a HEAD request's unsent body failed: %s", exc)
    finally:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            await aclose()
    if response.background is not None:
        await response.background()


def _headers_only(response: Response) -> Response:
    out = Response(status_code=response.status_code)
    out.raw_headers = list(response.raw_headers)
    out.background = response.background
    return out


class HeadRoute(APIRoute):
    """A GET route's endpoint answering HEAD: the GET's status and headers, never a body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def head(request: Request) -> Response:
            response = await handler(request)
            if isinstance(response, FileResponse):
                return response  # answers HEAD by itself, with the file's length
            if isinstance(response, StreamingResponse):
                await _release(response)
                response.background = None
            return _headers_only(response)

        return head


def head_twins(*routers: APIRouter) -> APIRouter:
    """A router with a HEAD route for every GET route of ``routers`` (same path, endpoint and
    dependencies, so the same checks and headers)."""
    twins = APIRouter()
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
                continue
            twins.add_api_route(
                route.path,
                route.endpoint,
                methods=["HEAD"],
                name=f"{route.name}_head",
                include_in_schema=False,
                response_class=route.response_class,
                response_model=route.response_model,
                status_code=route.status_code,
                dependencies=route.dependencies,
                route_class_override=HeadRoute,
            )
    return twins


OUTPUT_ROUTERS: list[APIRouter] = [
    m3u.router,
    play.router,
    hlsout.router,
    catchup.router,
    vodplay.router,
    hdhr.router,
    xmltv_output.router,
    xtream_output.router,
    logos.router,
]

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
    providers.router,
    provider_groups.router,
    lineups.router,
    jobs.router,
    events.router,
    settings.router,
    stream_profiles.router,
    dashboard.router,
    favorites.router,
    viewing.router,
    users.router,
    rules.router,
    channel_bulk.router,
    channels.router,
    m3u.router,
    play.router,
    hlsout.router,
    catchup.router,
    health.router,
    vodplay.router,
    vod.router,
    hdhr.router,
    epg.router,
    xmltv_output.router,
    logos.router,
    # Last of the routers: its short stream path /{user}/{password}/{id} is a catch-all.
    xtream_output.router,
    head_twins(*OUTPUT_ROUTERS),
]
