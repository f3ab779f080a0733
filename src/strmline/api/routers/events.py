"""Server-Sent Events: the job event bus relayed to browsers (``GET /api/events``).

Each event goes out as ``event: job.progress`` / ``job.finished`` / ``job.queued`` with the event
as JSON in ``data:``. A comment every ``KEEPALIVE_SECONDS`` keeps proxies from closing an idle
stream and lets the server notice a client that went away. Browsers' ``EventSource`` cannot send
headers, so the access token may also come as ``?access_token=``.
"""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from strmline.api.deps import (
    RuntimeDep,
    SessionFactoryDep,
    SettingsDep,
    user_for_access_token,
)
from strmline.api.errors import ApiError
from strmline.db.engine import session_scope
from strmline.db.models import User

router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000

_bearer = HTTPBearer(auto_error=False, description="access token from POST /api/auth/login")


async def get_stream_user(
    factory: SessionFactoryDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access_token: Annotated[
        str | None, Query(description="access token, for clients that cannot send headers")
    ] = None,
) -> User:
    token = credentials.credentials if credentials is not None else access_token
    if not token:
        raise ApiError(
            401,
            "unauthorized",
            "authentication required: 'Authorization: Bearer <access token>' or ?access_token=",
        )
    # A session of its own, closed at once: the stream may stay open for hours and must not
    # hold a database connection all that time.
    async with session_scope(factory) as session:
        return await user_for_access_token(session, settings, token)


StreamUser = Annotated[User, Depends(get_stream_user)]


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def format_event(event: dict[str, object]) -> str:
    data = orjson.dumps(event, default=str).decode()
    return f"event: {event.get('type') or 'message'}\ndata: {data}\n\n"


@router.get(
    "/api/events",
    summary="Job events as Server-Sent Events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(request: Request, runtime: RuntimeDep, _: StreamUser) -> StreamingResponse:
    bus = runtime.bus

    async def stream() -> AsyncIterator[str]:
        async with bus.subscribe() as subscription:
            # Watching for the disconnect ourselves ends the stream at once, not at the next
            # keep-alive (servers speaking ASGI 2.4 leave that to the application).
            gone = asyncio.create_task(_disconnected(request))
            try:
                # Sent once subscribed, so a client knows no later event can be missed.
                yield f"retry: {RETRY_MS}\n: connected\n\n"
                while True:
                    getter = asyncio.create_task(subscription.get())
                    done, _ = await asyncio.wait(
                        {getter, gone}, timeout=KEEPALIVE_SECONDS, return_when=FIRST_COMPLETED
                    )
                    if getter not in done:
                        getter.cancel()
                    if gone in done:
                        return
                    yield format_event(getter.result()) if getter in done else ": keep-alive\n\n"
            finally:
                gone.cancel()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
