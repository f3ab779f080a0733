"""``GET /logo/{key}``: a channel's or title's logo from strmline's cache, or a generated one.

Public on purpose: the web UI and players (which have no session) load it from <img> tags and
playlists. The key is an HMAC of ``src`` under the signing key, so only URLs strmline handed out
are ever fetched; a forged key is a 404. Anything wrong with the source (down, not an image, too
big) answers the name's initials as an SVG with a 200, cached briefly so a fixed source shows up.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from strmline.api.deps import RuntimeDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.formats.logos import fallback_svg, valid_key
from strmline.services.logos import MISS_SECONDS, LogoCache

router = APIRouter(tags=["outputs"])

CACHE_SECONDS = 7 * 24 * 3600


def _cache(request: Request, settings: SettingsDep) -> LogoCache:
    cache: LogoCache | None = getattr(request.app.state, "logo_cache", None)
    if cache is None:
        cache = LogoCache(settings.data_dir / "logos")
        request.app.state.logo_cache = cache
    return cache


@router.get("/logo/{key}", summary="A logo through strmline's cache (public, signed key)")
async def logo(
    key: str,
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    src: Annotated[str, Query(max_length=4096, description="the source URL the key signs")],
    name: Annotated[str, Query(max_length=300, description="for the fallback's initials")] = "",
) -> Response:
    if not valid_key(settings.get_secret_key(), key, src):
        raise ApiError(404, "not_found", "no such logo")
    cache = _cache(request, settings)
    path = await cache.get(key, src, await runtime.http_client())
    if path is None:
        return Response(
            fallback_svg(name),
            media_type="image/svg+xml",
            headers={
                "Cache-Control": f"public, max-age={int(MISS_SECONDS)}",
                # Served from strmline's origin: the SVG may draw, never run anything.
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
            },
        )
    stat = await asyncio.to_thread(path.stat)
    etag = f'"{key}-{stat.st_mtime_ns:x}"'
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    data = await asyncio.to_thread(path.read_bytes)
    return Response(data, media_type="image/png", headers=headers)
