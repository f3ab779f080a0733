"""The Xtream Codes API, as IPTV players (TiviMate, IPTV Smarters, Kodi add-ons) call it.

A player is given this server's address and a user's Xtream credentials (``GET
/api/auth/xtream``: not the login password, rotatable on their own) and then calls:

- ``/player_api.php`` without an action (login: ``user_info`` + ``server_info``) and with
  ``action=get_live_categories | get_live_streams | get_vod_categories | get_vod_streams |
  get_vod_info | get_series_categories | get_series | get_series_info | get_short_epg |
  get_simple_data_table``; GET or a form POST, as apps send both;
- ``/get.php?type=m3u_plus&output=ts|m3u8`` (the playlist) and ``/xmltv.php`` (the guide);
- stream paths ``/live/U/P/ID.ts|.m3u8``, ``/U/P/ID``, ``/movie/U/P/ID.EXT`` and
  ``/series/U/P/ID.EXT``, which run ``/play`` (failover, limits, proxy mode) and
  ``/play/movie`` / ``/play/episode``.

Ids are strmline's own channel, movie and episode ids. Wrong credentials get what panels answer:
``{"user_info": {"auth": 0}}`` from ``player_api.php``, 401 from everything else.

Live channels' ``stream_icon`` (and get.php's ``tvg-logo``) is strmline's logo cache while
``outputs.proxy_logos`` is on, as in the M3U. Movie and series covers stay the providers' URLs:
the cache keeps 256 px images, fine for a channel logo, too small for a poster on a TV.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from strmline.api.deps import RuntimeDep, SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs import play, proxy, vodplay
from strmline.api.outputs import xmltv as xmltv_output
from strmline.api.outputs.common import public_base
from strmline.api.outputs.logos import logo_url, output_links
from strmline.api.outputs.m3u import MEDIA_TYPE as M3U_TYPE
from strmline.api.outputs.m3u import head_response
from strmline.api.web import RESERVED
from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.models import User
from strmline.errors import NotFound
from strmline.formats import xtream_out
from strmline.formats.logos import LogoLinks
from strmline.formats.m3u import M3UEntry, M3UHeader, write_m3u
from strmline.services import lineups as lineup_service
from strmline.services import tuning
from strmline.services import xtream as service
from strmline.services.lineups import View
from strmline.services.tuning import guide_id

router = APIRouter(tags=["xtream"])

JSON = "application/json"
SHORT_EPG_LIMIT = 4  # what panels give without ?limit=
MAX_EPG_LIMIT = 1000
LIVE_EXTENSIONS = ("ts", "m3u8")


def _unauthorized() -> ApiError:
    return ApiError(401, "invalid_credentials", "wrong Xtream username or password")


async def _params(request: Request) -> dict[str, str]:
    """Query parameters, and a form body's fields (apps POST the same fields)."""
    params = dict(request.query_params)
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        for key, value in parse_qsl(body, keep_blank_values=True):
            params.setdefault(key, value)
    return params


async def _user(session: SessionDep, username: str | None, password: str | None) -> User | None:
    return await service.authenticate(session, username or "", password or "")


async def _require_user(session: SessionDep, username: str | None, password: str | None) -> User:
    user = await _user(session, username, password)
    if user is None:
        raise _unauthorized()
    return user


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type=JSON, headers={"Cache-Control": "no-store"})


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


async def _json_array(
    pages: AsyncIterator[list[Any]], build: Callable[[Any, int], dict[str, Any]]
) -> AsyncIterator[bytes]:
    """``[item, …]`` page by page; ``build(row, position)`` makes one item (position from 1)."""
    yield b"["
    position = 0
    for_first = True
    async for page in pages:
        if not page:
            continue
        parts = []
        for row in page:
            position += 1
            parts.append(orjson.dumps(build(row, position)))
        chunk = b",".join(parts)
        yield chunk if for_first else b"," + chunk
        for_first = False
    yield b"]"


def _stream(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(body, media_type=JSON, headers={"Cache-Control": "no-store"})


def _server(request: Request, settings: Settings) -> tuple[str, str, int, str]:
    """(base URL, host, port, protocol) of this server as players reach it."""
    base = public_base(request, settings)
    parts = urlsplit(base)
    protocol = parts.scheme or "http"
    port = parts.port or (443 if protocol == "https" else 80)
    return base, parts.hostname or "", port, protocol


async def _active_connections(request: Request, user: User) -> int:
    viewers = await proxy.all_active_sessions(request.app)
    return sum(1 for s in viewers if s["user_id"] == user.id)


async def _login(request: Request, session: SessionDep, settings: Settings, user: User) -> Response:
    _, host, port, protocol = _server(request, settings)
    return _json(
        xtream_out.login(
            username=user.xtream_username,
            password=user.xtream_password,
            created_at=user.created_at,
            max_connections=await tuning.tuner_count(session, settings.outputs.tuner_count),
            active_connections=await _active_connections(request, user),
            host=host,
            port=port,
            https_port=port if protocol == "https" else None,
            protocol=protocol,
            now=utcnow(),
        )
    )


def _num(row: service.LiveRow, position: int) -> int:
    # The channel's own number when it is a whole one (what TiviMate shows with "provider
    # numbering"), else its place in the list.
    number = row.channel.number
    return int(number) if number is not None and float(number).is_integer() else position


def _live_item(
    row: service.LiveRow, position: int, logos: LogoLinks | None = None
) -> dict[str, Any]:
    c = row.channel
    return xtream_out.live_item(
        num=_num(row, position),
        stream_id=c.id,
        name=c.name,
        logo=logo_url(logos, c.logo, c.name),
        epg_channel_id=guide_id(c),
        added=row.added,
        category=c.category,
        archive_days=None if row.archive is None else row.archive.days or 0,
    )


def _vod_item(row: dict[str, Any], position: int) -> dict[str, Any]:
    return xtream_out.vod_item(
        num=position,
        stream_id=row["id"],
        title=row["title"],
        year=row["year"],
        poster=row["poster"],
        rating=row["rating"],
        tmdb_id=row["tmdb_id"],
        added=row["created_at"],
        category=row["category"],
        container=row["container"],
    )


def _series_item(row: dict[str, Any], position: int) -> dict[str, Any]:
    return xtream_out.series_item(
        num=position,
        series_id=row["id"],
        title=row["title"],
        year=row["year"],
        plot=row["plot"],
        genre=row["genre"],
        poster=row["poster"],
        rating=row["rating"],
        tmdb_id=row["tmdb_id"],
        modified=row["updated_at"],
        category=row["category"],
    )


def _categories(names: Iterable[str | None]) -> Response:
    return _json([xtream_out.category_item(name) for name in names])


async def _cached_categories(request: Request, key: str, load: Callable[[], Any]) -> list[Any]:
    names: list[Any] = await request.app.state.cache.get_or_set("categories", key, load, ttl=30)
    return names


async def _live_categories(request: Request, session: SessionDep, view: View) -> list[Any]:
    # One cache entry per lineup: two credentials bound to two lineups see two lists.
    return await _cached_categories(
        request, f"xtream:live:{view.slug}", lambda: service.live_categories(session, view.id)
    )


async def _live_streams(
    request: Request, session: SessionDep, settings: Settings, wanted: str | None, view: View
) -> Response:
    category: Any = service.ALL
    if wanted:
        names = await _live_categories(request, session, view)
        category = service.category_named(names, wanted)
        if category is service.ALL:
            return _json([])
    state = await tuning.lineup_state(session, lineup_id=view.id)
    # Read in a session of its own: the request's is closed once the handler returns.
    pages = service.live_pages(
        request.app.state.session_factory,
        first_free_number=state.first_free_number,
        category=category,
        page_size=settings.outputs.page_size,
        lineup_id=view.id,
    )
    logos = output_links(settings, public_base(request, settings))
    return _stream(_json_array(pages, partial(_live_item, logos=logos)))


async def _vod_list(
    request: Request, session: SessionDep, settings: Settings, kind: str, wanted: str | None
) -> Response:
    vod_kind: Any = "movie" if kind == "movie" else "series"
    category: Any = service.ALL
    if wanted:
        names = await _cached_categories(
            request, f"xtream:{vod_kind}", lambda: service.vod_categories(session, vod_kind)
        )
        category = service.category_named(names, wanted)
        if category is service.ALL:
            return _json([])
    factory = request.app.state.session_factory
    size = settings.outputs.page_size
    if vod_kind == "movie":
        pages = service.movie_pages(factory, category=category, page_size=size)
        return _stream(_json_array(pages, _vod_item))
    shows = service.series_pages(factory, category=category, page_size=size)
    return _stream(_json_array(shows, _series_item))


async def _vod_info(session: SessionDep, vod_id: int | None) -> Response:
    if vod_id is None:
        return _json({"info": [], "movie_data": []})
    try:
        movie, container = await service.movie_detail(session, vod_id)
    except NotFound:
        return _json({"info": [], "movie_data": []})
    return _json(
        xtream_out.vod_info(
            stream_id=movie.id,
            title=movie.title,
            year=movie.year,
            plot=movie.plot,
            genre=movie.genre,
            poster=movie.poster,
            rating=movie.rating,
            tmdb_id=movie.tmdb_id,
            duration_secs=None,
            added=movie.created_at,
            category=movie.category,
            container=container,
        )
    )


async def _series_info(session: SessionDep, series_id: int | None) -> Response:
    empty: dict[str, list[Any]] = {"seasons": [], "info": [], "episodes": []}
    if series_id is None:
        return _json(empty)
    try:
        show, episodes = await service.series_detail(session, series_id)
    except NotFound:
        return _json(empty)
    return _json(
        xtream_out.series_info(
            title=show.title,
            year=show.year,
            plot=show.plot,
            genre=show.genre,
            poster=show.poster,
            rating=show.rating,
            tmdb_id=show.tmdb_id,
            modified=show.updated_at,
            category=show.category,
            series_id=show.id,
            episodes=episodes,
        )
    )


async def _epg(
    session: SessionDep, settings: Settings, params: dict[str, str], *, table: bool
) -> Response:
    channel_id = _int(params.get("stream_id"))
    if channel_id is None:
        return _json({"epg_listings": []})
    now = utcnow()
    limit = None if table else min(_int(params.get("limit")) or SHORT_EPG_LIMIT, MAX_EPG_LIMIT)
    try:
        guide = await service.short_epg(
            session,
            channel_id,
            now=now,
            limit=limit,
            window=timedelta(days=settings.epg.output_days),
        )
    except NotFound:
        return _json({"epg_listings": []})
    listings = [
        xtream_out.epg_listing(
            programme_id=p.id,
            epg_id=p.epg_channel_id,
            channel=guide.channel,
            start=p.start,
            stop=p.stop,
            title=p.title,
            description=p.description,
            now=now if table else None,
        )
        for p in guide.programmes
    ]
    return _json({"epg_listings": listings})


_PLAYER_API: dict[str, Any] = {
    "summary": "Xtream Codes player API (login, categories, streams, VOD, series, short EPG)",
    "response_class": Response,
    "responses": {200: {"content": {JSON: {}}, "description": "the action's JSON"}},
}


@router.get("/player_api.php", operation_id="xtream_player_api", **_PLAYER_API)
@router.post("/player_api.php", operation_id="xtream_player_api_form", **_PLAYER_API)
async def player_api(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    params = await _params(request)
    user = await _user(session, params.get("username"), params.get("password"))
    if user is None:
        return _json(xtream_out.auth_failed())
    action = params.get("action") or None
    if request.method == "HEAD":
        return head_response({"Cache-Control": "no-store"}, JSON)
    if action is None or action == "get_account_info":
        return await _login(request, session, settings, user)
    if action == "get_live_categories":
        view = await lineup_service.xtream_view(session, user)
        return _categories(await _live_categories(request, session, view))
    if action in ("get_vod_categories", "get_series_categories"):
        kind: Any = "movie" if action == "get_vod_categories" else "series"
        names = await _cached_categories(
            request, f"xtream:{kind}", lambda: service.vod_categories(session, kind)
        )
        return _categories(names)
    category = params.get("category_id") or None
    if action == "get_live_streams":
        view = await lineup_service.xtream_view(session, user)
        return await _live_streams(request, session, settings, category, view)
    if action == "get_vod_streams":
        return await _vod_list(request, session, settings, "movie", category)
    if action == "get_series":
        return await _vod_list(request, session, settings, "series", category)
    if action == "get_vod_info":
        return await _vod_info(session, _int(params.get("vod_id")))
    if action == "get_series_info":
        return await _series_info(session, _int(params.get("series_id")))
    if action in ("get_short_epg", "get_simple_data_table"):
        return await _epg(session, settings, params, table=action == "get_simple_data_table")
    # Panels answer actions they do not know with an empty list.
    return _json([])


def _live_url(base: str, user: User, ext: str) -> Callable[[int], str]:
    prefix = f"{base}/live/{quote(user.xtream_username, safe='')}/"
    prefix += f"{quote(user.xtream_password, safe='')}/"
    return lambda channel_id: f"{prefix}{channel_id}.{ext}"


async def _playlist_body(
    pages: AsyncIterator[list[service.LiveRow]],
    url: Callable[[int], str],
    header: M3UHeader,
    plus: bool,
    logos: LogoLinks | None = None,
) -> AsyncIterator[bytes]:
    yield "".join(write_m3u((), header=header)).encode()
    async for page in pages:
        entries = []
        for row in page:
            c = row.channel
            attrs: dict[str, str] = {}
            if plus:
                logo = logo_url(logos, c.logo, c.name) or ""
                attrs = {"tvg-id": guide_id(c), "tvg-name": c.name, "tvg-logo": logo}
                attrs["group-title"] = c.category or xtream_out.UNCATEGORIZED
            entries.append(M3UEntry(name=c.name, url=url(c.id), duration=-1.0, attrs=attrs))
        # write_m3u opens every document with #EXTM3U; only the first chunk keeps it.
        yield "".join(write_m3u(entries))[len("#EXTM3U\n") :].encode()


def _vod_entry(base: str, user: User, kind: str, row: dict[str, Any]) -> M3UEntry:
    """A movie or an episode as a get.php entry, played through the Xtream VOD paths."""
    creds = f"{quote(user.xtream_username, safe='')}/{quote(user.xtream_password, safe='')}"
    ext = (row["container"] or "mp4").lstrip(".").lower()
    if kind == "movie":
        name = f"{row['title']} ({row['year']})" if row["year"] else row["title"]
        logo, group = row["poster"], row["category"] or "Movies"
    else:
        name = f"{row['series_title']} S{row['season']:02d}E{row['episode']:02d}"
        logo, group = row["poster"], row["category"] or "Series"
    attrs = {"tvg-id": "", "tvg-name": name, "tvg-logo": logo or "", "group-title": group}
    url = f"{base}/{kind}/{creds}/{row['id']}.{ext}"
    return M3UEntry(name=name, url=url, duration=-1.0, attrs=attrs)


async def _vod_playlist_body(
    factory: Any, base: str, user: User, page_size: int
) -> AsyncIterator[bytes]:
    """Movies, then episodes, after the channels: what an Xtream panel's m3u_plus lists."""
    kinds = (
        ("movie", service.movie_pages(factory, page_size=page_size)),
        ("series", service.episode_pages(factory, page_size=page_size)),
    )
    for kind, pages in kinds:
        async for page in pages:
            entries = [_vod_entry(base, user, kind, row) for row in page]
            yield "".join(write_m3u(entries))[len("#EXTM3U\n") :].encode()


async def _chain(*bodies: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    for body in bodies:
        async for chunk in body:
            yield chunk


@router.get(
    "/get.php",
    summary="Xtream Codes playlist (type=m3u_plus|m3u, output=ts|m3u8)",
    response_class=Response,
    responses={200: {"content": {M3U_TYPE: {}}, "description": "the playlist"}},
)
async def get_php(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: str | None = None,
    password: str | None = None,
    type: str = "m3u_plus",
    output: str = "ts",
) -> Response:
    user = await _require_user(session, username, password)
    ext = "m3u8" if output in ("m3u8", "hls") else "ts"
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": 'inline; filename="tv_channels.m3u"',
    }
    if request.method == "HEAD":
        return head_response(headers, M3U_TYPE)
    base, *_ = _server(request, settings)
    guide = f"{base}/xmltv.php?username={quote(username or '')}&password={quote(password or '')}"
    view = await lineup_service.xtream_view(session, user)
    state = await tuning.lineup_state(session, lineup_id=view.id)
    pages = service.live_pages(
        request.app.state.session_factory,
        first_free_number=state.first_free_number,
        page_size=settings.outputs.page_size,
        lineup_id=view.id,
    )
    body = _playlist_body(
        pages,
        _live_url(base, user, ext),
        M3UHeader(attrs={"x-tvg-url": guide}),
        type != "m3u",
        output_links(settings, base),
    )
    if type == "m3u_plus":
        factory = request.app.state.session_factory
        vod = _vod_playlist_body(factory, base, user, settings.outputs.page_size)
        body = _chain(body, vod)
    return StreamingResponse(body, media_type=M3U_TYPE, headers=headers)


@router.get(
    "/xmltv.php",
    summary="Xtream Codes guide: the XMLTV of the lineup (ids as epg_channel_id)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "the guide"}},
)
async def xmltv_php(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: str | None = None,
    password: str | None = None,
) -> Response:
    user = await _require_user(session, username, password)
    view = await lineup_service.xtream_view(session, user)
    return await xmltv_output.xmltv(request, user, session, settings, view, days=None)


def _extension(ext: str, allowed: Iterable[str]) -> None:
    if ext.lower() not in allowed:
        raise ApiError(404, "not_found", f"no such stream format: .{ext}")


@router.get(
    "/live/{username}/{password}/{stream_id:int}.{ext}",
    summary="Xtream live stream: /play of channel ID (.ts or .m3u8)",
    response_class=Response,
    responses={302: {"description": "to the stream"}, 401: {"description": "wrong credentials"}},
)
async def live(
    username: str, password: str, stream_id: int, ext: str, request: Request, session: SessionDep
) -> Response:
    user = await _require_user(session, username, password)
    _extension(ext, LIVE_EXTENSIONS)
    return await play.play_channel(stream_id, user, session, request)


@router.get(
    "/{username}/{password}/{stream_id:int}",
    summary="Xtream live stream, short form: /play of channel ID",
    response_class=Response,
    responses={302: {"description": "to the stream"}, 401: {"description": "wrong credentials"}},
)
async def live_short(
    username: str, password: str, stream_id: int, request: Request, session: SessionDep
) -> Response:
    if username in RESERVED:  # /api/jobs/12 and the like are never an Xtream path
        raise ApiError(404, "not_found", f"not found: {request.url.path}")
    user = await _require_user(session, username, password)
    return await play.play_channel(stream_id, user, session, request)


@router.get(
    "/movie/{username}/{password}/{movie_id:int}.{ext}",
    summary="Xtream movie: /play/movie of movie ID",
    response_class=Response,
    responses={302: {"description": "to the file"}, 401: {"description": "wrong credentials"}},
)
async def movie(
    username: str,
    password: str,
    movie_id: int,
    ext: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> Response:
    user = await _require_user(session, username, password)
    return await vodplay.play_movie(movie_id, request, user, session, settings, runtime)


@router.get(
    "/series/{username}/{password}/{episode_id:int}.{ext}",
    summary="Xtream episode: /play/episode of episode ID",
    response_class=Response,
    responses={302: {"description": "to the file"}, 401: {"description": "wrong credentials"}},
)
async def episode(
    username: str,
    password: str,
    episode_id: int,
    ext: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> Response:
    user = await _require_user(session, username, password)
    return await vodplay.play_episode(episode_id, request, user, session, settings, runtime)
