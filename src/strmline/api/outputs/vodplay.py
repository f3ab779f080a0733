"""``/play/movie/{id}`` and ``/play/episode/{id}``: where .strm files point.

The sources of a title are tried in provider priority order. Redirect mode checks each with a
one-byte range request under a short budget (``playback.check_seconds``) and sends the player to
the first that answers with data (failover without proxying); a source that passed is trusted for
``playback.check_cache_seconds`` so a player that reconnects to seek is not held up again. Proxy mode (``strm.play_mode=proxy``) streams the bytes itself and forwards the
player's ``Range`` header, so seeking works: the upstream's 206 and ``Content-Range`` are passed
back unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from typing import Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from strmline.api.cache import Cache
from strmline.api.deps import RuntimeDep, SessionDep, SettingsDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.outputs.common import NO_STORE
from strmline.api.outputs.play import CHECK_NAMESPACE
from strmline.api.params import IdPath
from strmline.config import Settings
from strmline.providers.http import describe_error
from strmline.services import tuning

router = APIRouter(tags=["outputs"])

PASSED_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "last-modified",
)
CHUNK = 64 * 1024


async def _sources(
    session: SessionDep, kind: Literal["movie", "episode"], item_id: int
) -> list[tuple[int, str]]:
    sources = await tuning.vod_sources(session, kind, item_id)
    # The request's read transaction ends here: checks and proxied bodies take seconds to
    # hours, and must not hold a pooled connection (or SQLite's read snapshot) meanwhile.
    await session.commit()
    return sources


class _CheckFailed(Exception):
    pass


async def _check(client: httpx.AsyncClient, url: str, seconds: float) -> None:
    """The source answers a one-byte range request with data within ``seconds``."""
    try:
        async with (
            asyncio.timeout(seconds),
            client.stream(
                "GET", url, headers={"Range": "bytes=0-0"}, timeout=httpx.Timeout(seconds)
            ) as probe,
        ):
            if probe.status_code >= 400:
                raise _CheckFailed(f"HTTP {probe.status_code}")
            async for chunk in probe.aiter_raw():
                if chunk:
                    return
            raise _CheckFailed("empty response")
    except TimeoutError as exc:
        raise _CheckFailed(f"timeout after {seconds:g} s") from exc
    except httpx.HTTPError as exc:
        raise _CheckFailed(describe_error(exc)) from exc


async def _redirect(
    request: Request, kind: str, sources: list[tuple[int, str]], client: httpx.AsyncClient
) -> Response:
    settings: Settings = request.app.state.settings
    opts = settings.playback
    if len(sources) == 1 or opts.check_seconds <= 0:
        return RedirectResponse(sources[0][1], status_code=302, headers=NO_STORE)
    cache: Cache = request.app.state.cache
    failures: list[str] = []
    for source_id, url in sources:

        async def check(url: str = url) -> bool:
            await _check(client, url, opts.check_seconds)
            return True

        try:
            if opts.check_cache_seconds > 0:
                # Keyed by URL too: a re-sync that changes it must not inherit the old pass.
                key = f"{kind}:{source_id}:{zlib.crc32(url.encode()):08x}"
                await cache.get_or_set(CHECK_NAMESPACE, key, check, ttl=opts.check_cache_seconds)
            else:
                await check()
        except _CheckFailed as exc:
            failures.append(str(exc))
            continue
        return RedirectResponse(url, status_code=302, headers=NO_STORE)
    raise ApiError(
        503,
        "no_playable_source",
        f"none of the {len(sources)} sources answered: {'; '.join(failures)}",
        failures,
    )


async def _play(
    request: Request,
    kind: str,
    sources: list[tuple[int, str]],
    mode: str,
    client: httpx.AsyncClient,
) -> Response:
    if mode != "proxy":
        return await _redirect(request, kind, sources, client)
    failures: list[str] = []
    urls = [url for _, url in sources]
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
    sources = await _sources(session, "movie", movie_id)
    return await _play(
        request, "movie", sources, settings.strm.play_mode, await runtime.http_client()
    )


@router.get("/play/episode/{episode_id}", summary="Play an episode from its best source")
async def play_episode(
    episode_id: IdPath,
    request: Request,
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> Response:
    sources = await _sources(session, "episode", episode_id)
    return await _play(
        request, "episode", sources, settings.strm.play_mode, await runtime.http_client()
    )
