"""``/play/movie/{id}`` and ``/play/episode/{id}``: where .strm files point.

The sources of a title are tried in provider priority order. Redirect mode checks each with a
one-byte range request and sends the player to the first that answers (failover without
proxying). Proxy mode (``strm.play_mode=proxy``) streams the bytes itself and forwards the
player's ``Range`` header, so seeking works: the upstream's 206 and ``Content-Range`` are passed
back unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from strmline.api.deps import RuntimeDep, SessionDep, SettingsDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.params import IdPath
from strmline.db.models import Provider, VodEpisodeSource, VodMovieSource
from strmline.outputs.common import NO_STORE

router = APIRouter(tags=["outputs"])

PASSED_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "last-modified",
)
CHUNK = 64 * 1024
CHECK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


async def _sources(session: Any, model: Any, owner: Any, item_id: int) -> list[str]:
    rows = await session.execute(
        select(model.url)
        .join(Provider, Provider.id == model.provider_id)
        .where(owner == item_id, model.removed_at.is_(None), Provider.enabled.is_(True))
        .order_by(Provider.priority.desc(), model.id)
    )
    urls = [str(u) for u in rows.scalars()]
    if not urls:
        raise ApiError(404, "not_found", f"nothing to play for {item_id}")
    return urls


async def _play(
    request: Request, urls: list[str], mode: str, client: httpx.AsyncClient
) -> Response:
    failures: list[str] = []
    if mode != "proxy":
        if len(urls) == 1:
            return RedirectResponse(urls[0], status_code=302, headers=NO_STORE)
        for url in urls:
            try:
                async with client.stream(
                    "GET", url, headers={"Range": "bytes=0-0"}, timeout=CHECK_TIMEOUT
                ) as probe:
                    if probe.status_code < 400:
                        return RedirectResponse(url, status_code=302, headers=NO_STORE)
                    failures.append(f"HTTP {probe.status_code}")
            except httpx.HTTPError as exc:
                failures.append(type(exc).__name__)
        raise ApiError(503, "no_playable_source", "no source answered", failures)

    headers = {k: v for k, v in request.headers.items() if k.lower() in ("range", "user-agent")}
    for url in urls:
        upstream_request = client.build_request("GET", url, headers=headers)
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            failures.append(type(exc).__name__)
            continue
        if upstream.status_code >= 400 and upstream.status_code != 416:
            failures.append(f"HTTP {upstream.status_code}")
            await upstream.aclose()
            continue
        passed = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_HEADERS}

        async def body(resp: httpx.Response = upstream) -> AsyncIterator[bytes]:
            try:
                async for chunk in resp.aiter_raw(CHUNK):
                    yield chunk
            finally:
                with contextlib.suppress(Exception):
                    await resp.aclose()

        return StreamingResponse(body(), status_code=upstream.status_code, headers=passed)
    raise ApiError(503, "no_playable_source", "no source answered", failures)


@router.get("/play/movie/{movie_id}", summary="Play a movie from its best source")
async def play_movie(
    movie_id: IdPath,
    request: Request,
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> Response:
    urls = await _sources(session, VodMovieSource, VodMovieSource.movie_id, movie_id)
    return await _play(request, urls, settings.strm.play_mode, await runtime.http_client())


@router.get("/play/episode/{episode_id}", summary="Play an episode from its best source")
async def play_episode(
    episode_id: IdPath,
    request: Request,
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> Response:
    urls = await _sources(session, VodEpisodeSource, VodEpisodeSource.episode_id, episode_id)
    return await _play(request, urls, settings.strm.play_mode, await runtime.http_client())
