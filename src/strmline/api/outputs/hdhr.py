"""HDHomeRun emulation under ``/hdhr/{token}/`` for Plex, Jellyfin, Emby and Channels DVR.

The token sits in the path because these clients take a device base URL and append fixed
document names to it; a query string would be lost. Channels, numbers and order are those of
``/output/m3u``; each lineup entry points at ``/play/{channel}``. Besides the JSON lineup the
tuners' ``lineup.xml`` and ``lineup.m3u`` are served too.

Each lineup is a tuner of its own under ``/hdhr/{token}/lineup/{slug}/`` (its own DeviceID and
base URL, since these clients key devices by both); the tuner at ``/hdhr/{token}/`` shows the
user's default lineup (:func:`strmline.services.lineups.resolve_view`).

``root_router`` serves the same documents at the server root (``/discover.json``…) for the
clients that only take IP:port: the tuner of ``discovery.user`` (default: the first admin). The
app includes it only when ``discovery.root_tuner`` is set; otherwise those paths stay the JSON
404 every unknown path gets. They need no token on purpose: whoever reaches the server gets
that user's lineup, as with a real tuner on the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from strmline.api.deps import SessionDep, SettingsDep, user_for_api_token
from strmline.api.discovery import announced_user
from strmline.api.errors import ApiError
from strmline.api.outputs.common import PlayUrls, public_base
from strmline.api.outputs.m3u import MEDIA_TYPE as M3U_MEDIA_TYPE
from strmline.api.outputs.m3u import head_response
from strmline.config import Settings
from strmline.db.models import User
from strmline.formats import hdhr
from strmline.formats.m3u import write_m3u
from strmline.services import lineups as lineup_service
from strmline.services import tuning
from strmline.services.lineups import View
from strmline.services.tuning import LineupPage

router = APIRouter(tags=["hdhomerun"])
root_router = APIRouter(tags=["hdhomerun"])


async def get_path_token_user(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Path(max_length=200, description="the user's API token")],
) -> User:
    user = await user_for_api_token(request, session, token)
    if user is None:
        raise ApiError(
            401,
            "invalid_api_token",
            "the tuner URL needs a valid API token: /hdhr/<token>/ (see GET /api/auth/api-token)",
        )
    return user


PathTokenUser = Annotated[User, Depends(get_path_token_user)]


async def get_root_tuner_user(session: SessionDep, settings: SettingsDep) -> User:
    user = await announced_user(session, settings)
    if user is None:
        who = f"user {settings.discovery.user!r}" if settings.discovery.user else "an admin"
        raise ApiError(404, "not_found", f"no tuner at the root: {who} must exist and be active")
    return user


RootTunerUser = Annotated[User, Depends(get_root_tuner_user)]


@dataclass(frozen=True, slots=True)
class Device:
    """One tuner: where its documents live, what it shows, and whose it is."""

    base: str  # the device URL clients append document names to
    view: View  # the channels it lists
    user: User
    lineup_id: int | None  # in its DeviceID: None for a user's own tuner, whatever it shows


def _token_base(request: Request, settings: Settings, user: User) -> str:
    return f"{public_base(request, settings)}/hdhr/{quote(user.api_token, safe='')}"


async def get_token_device(
    request: Request, user: PathTokenUser, session: SessionDep, settings: SettingsDep
) -> Device:
    view = await lineup_service.resolve_view(session, user, None)
    return Device(_token_base(request, settings, user), view, user, None)


async def get_lineup_device(
    request: Request,
    user: PathTokenUser,
    session: SessionDep,
    settings: SettingsDep,
    slug: Annotated[str, Path(max_length=60, description="the lineup's slug")],
) -> Device:
    view = await lineup_service.resolve_view(session, user, slug)
    base = f"{_token_base(request, settings, user)}/lineup/{quote(view.slug, safe='')}"
    # "all" is a device too (for a user who also has lineups): its own id, like any lineup's.
    return Device(base, view, user, view.id if view.id is not None else 0)


async def get_root_device(
    request: Request, user: RootTunerUser, session: SessionDep, settings: SettingsDep
) -> Device:
    view = await lineup_service.resolve_view(session, user, None)
    return Device(public_base(request, settings), view, user, None)


def _name(device: Device) -> str | None:
    return device.view.name if device.lineup_id is not None else None


# --- the documents, for either place ---------------------------------------------------------


async def _discover(device: Device, session: SessionDep, settings: Settings) -> dict[str, Any]:
    return hdhr.discover(
        base=device.base,
        secret=settings.get_secret_key(),
        user_id=device.user.id,
        tuner_count=await tuning.tuner_count(session, settings.outputs.tuner_count),
        lineup_id=device.lineup_id,
        lineup_name=_name(device),
    )


def _items(page: LineupPage, urls: PlayUrls) -> Iterable[dict[str, Any]]:
    for c in page.channels:
        yield hdhr.lineup_item(
            number=c.chno, name=c.name, url=urls.channel(c.id), quality=c.best_quality
        )


async def _json_body(pages: AsyncIterator[LineupPage], urls: PlayUrls) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for page in pages:
        items = b",".join(orjson.dumps(item) for item in _items(page, urls))
        if not items:
            continue
        yield items if first else b"," + items
        first = False
    yield b"]"


async def _xml_body(pages: AsyncIterator[LineupPage], urls: PlayUrls) -> AsyncIterator[bytes]:
    yield hdhr.LINEUP_XML_HEAD.encode()
    async for page in pages:
        yield "".join(hdhr.lineup_xml_program(item) for item in _items(page, urls)).encode()
    yield hdhr.LINEUP_XML_FOOT.encode()


async def _m3u_body(pages: AsyncIterator[LineupPage], urls: PlayUrls) -> AsyncIterator[bytes]:
    yield b"#EXTM3U\n"
    async for page in pages:
        entries = (
            hdhr.lineup_m3u_entry(number=c.chno, name=c.name, url=urls.channel(c.id))
            for c in page.channels
        )
        # write_m3u starts every call with its #EXTM3U line: the body has one already.
        yield "".join(islice(write_m3u(entries), 1, None)).encode()


Body = Callable[[AsyncIterator[LineupPage], PlayUrls], AsyncIterator[bytes]]


async def _lineup(
    request: Request,
    device: Device,
    session: SessionDep,
    settings: Settings,
    body: Body,
    media_type: str,
) -> Response:
    headers = {"Cache-Control": "private, no-cache"}
    if request.method == "HEAD":
        return head_response(headers, media_type)
    state = await tuning.lineup_state(session, lineup_id=device.view.id)
    # Read in a session of its own: the request's is closed once the handler returns.
    pages = tuning.lineup_pages(
        request.app.state.session_factory,
        first_free_number=state.first_free_number,
        page_size=settings.outputs.page_size,
        lineup_id=device.view.id,
    )
    return StreamingResponse(
        body(pages, PlayUrls.of(public_base(request, settings), device.user.api_token)),
        media_type=media_type,
        headers=headers,
    )


def _device_xml(device: Device, settings: Settings) -> Response:
    body = hdhr.device_xml(
        base=device.base,
        secret=settings.get_secret_key(),
        user_id=device.user.id,
        lineup_id=device.lineup_id,
        lineup_name=_name(device),
    )
    return Response(body, media_type="application/xml")


Responses = dict[int | str, dict[str, Any]]

_JSON_LINEUP: Responses = {200: {"content": {"application/json": {}}, "description": "the lineup"}}
_XML_LINEUP: Responses = {200: {"content": {"application/xml": {}}, "description": "the lineup"}}
_M3U_LINEUP: Responses = {200: {"content": {M3U_MEDIA_TYPE: {}}, "description": "the lineup"}}
_DEVICE_XML: Responses = {
    200: {"content": {"application/xml": {}}, "description": "device description"}
}


# --- the routes of one tuner -------------------------------------------------------------------

Endpoint = Callable[..., Awaitable[Any]]


def _add_tuner(
    target: APIRouter,
    prefix: str,
    device_dep: Callable[..., Awaitable[Device]],
    *,
    name: str = "",
    note: str = "",
) -> None:
    """Declare a tuner's documents under ``prefix``, for the device ``device_dep`` resolves.

    ``name`` starts every route name, hence the operation ids the UI's types were generated
    with; ``note`` ends every summary, so the three tuners read apart in the API docs.
    """

    # The device comes as a default, not an Annotated alias: annotations are strings here
    # (``from __future__ import annotations``), which FastAPI resolves in the module's globals,
    # where this call's ``device_dep`` is not.
    def lineup_endpoint(body: Body, media_type: str) -> Endpoint:
        async def endpoint(
            request: Request,
            device: Device = Depends(device_dep),
            *,
            session: SessionDep,
            settings: SettingsDep,
        ) -> Response:
            return await _lineup(request, device, session, settings, body, media_type)

        return endpoint

    async def discover(
        device: Device = Depends(device_dep), *, session: SessionDep, settings: SettingsDep
    ) -> dict[str, Any]:
        return await _discover(device, session, settings)

    async def lineup_status(device: Device = Depends(device_dep)) -> dict[str, Any]:
        return hdhr.lineup_status()

    async def lineup_post(device: Device = Depends(device_dep)) -> Response:
        return Response(status_code=200)

    async def device_xml(
        device: Device = Depends(device_dep), *, settings: SettingsDep
    ) -> Response:
        return _device_xml(device, settings)

    def add(
        document: str,
        endpoint: Endpoint,
        route: str,
        summary: str,
        responses: Responses | None = None,
        method: str = "GET",
    ) -> None:
        # A document with its own ``responses`` is not a JSON model: it answers a Response.
        raw: dict[str, Any] = (
            {"response_class": Response, "responses": responses} if responses else {}
        )
        target.add_api_route(
            f"{prefix}/{document}",
            endpoint,
            methods=[method],
            name=f"{name}{route}",
            summary=f"{summary}{note}",
            **raw,
        )

    add("discover.json", discover, "discover", "HDHomeRun device description")
    add(
        "lineup.json",
        lineup_endpoint(_json_body, "application/json"),
        "lineup",
        "HDHomeRun channel lineup",
        _JSON_LINEUP,
    )
    add(
        "lineup.xml",
        lineup_endpoint(_xml_body, "application/xml"),
        "lineup_xml",
        "HDHomeRun channel lineup as XML",
        _XML_LINEUP,
    )
    add(
        "lineup.m3u",
        lineup_endpoint(_m3u_body, M3U_MEDIA_TYPE),
        "lineup_m3u",
        "HDHomeRun channel lineup as an M3U playlist",
        _M3U_LINEUP,
    )
    add(
        "lineup_status.json",
        lineup_status,
        "lineup_status",
        "HDHomeRun scan status (never scanning)",
    )
    add(
        "lineup.post",
        lineup_post,
        "lineup_post",
        "HDHomeRun scan request (accepted; the lineup is always current)",
        {200: {"description": "accepted"}},
        method="POST",
    )
    add("device.xml", device_xml, "device_xml", "UPnP root device description", _DEVICE_XML)


_add_tuner(router, "/hdhr/{token}", get_token_device)
# One tuner per lineup.
_add_tuner(
    router,
    "/hdhr/{token}/lineup/{slug}",
    get_lineup_device,
    name="lineup_device_",
    note=" (a lineup's tuner)",
)
# The same tuner at the server root (discovery.root_tuner).
_add_tuner(root_router, "", get_root_device, name="root_", note=" (root tuner)")
