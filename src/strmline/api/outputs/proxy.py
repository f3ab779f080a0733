"""Proxy mode of ``/play``, the HTTP side: a hub subscription becomes a streamed response.

The engine (one upstream per channel fanned out to its viewers, failover, grace period, viewing
sessions) is :mod:`strmline.playback`; this module keeps its registry in ``app.state`` and maps
what it raises to the API's error answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

from strmline.api.errors import ApiError, error_response
from strmline.config import Settings
from strmline.db.models import User
from strmline.errors import NotFound, StrmlineError
from strmline.playback.errors import ConnectionLimited, ProxyClosed
from strmline.playback.registry import ProxyRegistry
from strmline.playback.sessions import SessionFactory

__all__ = [
    "active_sessions",
    "all_active_sessions",
    "api_error",
    "player_of",
    "proxy_response",
    "registry_for",
    "stop_viewer",
]

# Nothing can play right now, but may in a moment: 503. A stream that failed: 502.
_RETRY_LATER = (ConnectionLimited, ProxyClosed)


def api_error(exc: StrmlineError) -> ApiError:
    """The HTTP answer to a channel the proxy cannot play."""
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, _RETRY_LATER):
        status = 503
    else:
        status = 502
    return ApiError(status, exc.code, exc.message)


def registry_for(
    app: FastAPI,
    settings: Settings | None = None,
    session_factory: SessionFactory | None = None,
) -> ProxyRegistry:
    """The app's registry, created on first use with the app's settings and session factory."""
    registry: ProxyRegistry | None = getattr(app.state, "proxy_registry", None)
    if registry is None:
        registry = ProxyRegistry(
            settings or app.state.settings, session_factory or app.state.session_factory
        )
        app.state.proxy_registry = registry
    return registry


def active_sessions(app: FastAPI) -> list[dict[str, Any]]:
    """Every viewer of every hub in this process (GET /api/streams/active)."""
    registry: ProxyRegistry | None = getattr(app.state, "proxy_registry", None)
    return [] if registry is None else registry.active_sessions()


async def all_active_sessions(app: FastAPI) -> list[dict[str, Any]]:
    """Every viewer of every API process sharing this one's Redis (this process's without)."""
    return await registry_for(app).all_sessions()


async def stop_viewer(app: FastAPI, viewer_id: str) -> bool:
    """End one viewer's stream, whichever API process serves it; False: no such viewer."""
    return await registry_for(app).stop(viewer_id)


def player_of(request: Request) -> dict[str, str | None]:
    """Who is asking, as the list of viewers shows it (the address is the client's own behind
    trusted proxies: the middleware has already put it in ``request.client``)."""
    agent = request.headers.get("user-agent")
    return {
        "user_agent": agent[:200] if agent else None,
        "address": request.client.host if request.client else None,
    }


async def proxy_response(
    request: Request,
    *,
    channel_id: int,
    user: User | None,
    settings: Settings,
    session_factory: SessionFactory | None = None,
) -> Response:
    """Join (or start) the channel's hub and stream its packets; 503/502 when nothing can play."""
    registry = registry_for(request.app, settings, session_factory)
    try:
        subscription = await registry.subscribe(
            channel_id, user.id if user is not None else None, **player_of(request)
        )
    except StrmlineError as exc:
        # Answered here rather than raised: the response is the whole of this adapter's job,
        # and apps that mount it need no exception handlers.
        problem = api_error(exc)
        return error_response(problem.status, problem.code, problem.message)
    return StreamingResponse(
        subscription.packets(), media_type="video/mp2t", headers={"Cache-Control": "no-store"}
    )
