"""``GET /logo/{key}``: a channel's or title's logo from strmline's cache, or a generated one.

Public on purpose: the web UI and players (which have no session) load it from <img> tags and
playlists. The key is an HMAC of ``src`` under the signing key, so only URLs strmline handed out
are ever fetched; a forged key is a 404. Anything wrong with the source (down, not an image, too
big) answers the name's initials as an SVG with a 200, cached briefly so a fixed source shows up.

The player outputs (M3U, XMLTV, Xtream) hand these URLs out, absolute, instead of the providers'
logo URLs while ``outputs.proxy_logos`` is on (:func:`output_links`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from strmline.api.deps import RuntimeDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.config import Settings
from strmline.formats.logos import MAX_NAME, MAX_SRC, LogoLinks, fallback_svg, valid_key
from strmline.services.logos import MISS_SECONDS, LogoCache, Served

router = APIRouter(tags=["outputs"])

CACHE_SECONDS = 7 * 24 * 3600


def output_links(settings: Settings, base: str) -> LogoLinks | None:
    """The logo URLs a player output hands out, made once per list: signed and absolute under
    ``base`` (the play URLs' public address), or None: the providers' own URLs."""
    if not settings.outputs.proxy_logos:
        return None
    return LogoLinks(settings.get_secret_key(), base)


def logo_url(links: LogoLinks | None, src: str | None, name: str) -> str | None:
    """What an output lists as a channel's logo: strmline's URL when it can give one, else the
    source as it came (a data: URL, a path), else None."""
    if links is None or not src:
        return src or None
    return links.url(src, name) or src


def _cache(request: Request, settings: SettingsDep) -> LogoCache:
    cache: LogoCache | None = getattr(request.app.state, "logo_cache", None)
    if cache is None:
        cache = LogoCache(settings.data_dir / "logos")
        request.app.state.logo_cache = cache
    return cache


def _fallback(name: str) -> Response:
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


@router.get("/logo/{key}", summary="A logo through strmline's cache (public, signed key)")
async def logo(
    key: str,
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    src: Annotated[str, Query(max_length=MAX_SRC, description="the source URL the key signs")],
    name: Annotated[
        str, Query(max_length=MAX_NAME, description="for the fallback's initials")
    ] = "",
) -> Response:
    if not valid_key(settings.get_secret_key(), key, src):
        raise ApiError(404, "not_found", "no such logo")
    cache = _cache(request, settings)
    cache.prune_when_due(settings.logos)
    max_age = settings.logos.max_age_days * 86400.0
    known = request.headers.get("if-none-match", "")

    def want_body(version: int) -> bool:
        return _etag(key, version) not in known

    served: Served | None = None
    # A second try covers a file pruned (or replaced) between finding it and opening it.
    for _ in range(2):
        path = await cache.get(key, src, await runtime.http_client(), max_age=max_age)
        if path is None:
            return _fallback(name)
        served = await asyncio.to_thread(cache.read, path, want_body=want_body)
        if served is not None:
            break
    if served is None:
        return _fallback(name)
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "ETag": _etag(key, served.version),
        "X-Content-Type-Options": "nosniff",
    }
    if served.data is None:
        return Response(status_code=304, headers=headers)
    return Response(served.data, media_type="image/png", headers=headers)


def _etag(key: str, version: int) -> str:
    return f'"{key}-{version:x}"'
