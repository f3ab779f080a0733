"""HDHomeRun emulation under ``/hdhr/{token}/`` for Plex, Jellyfin, Emby and Channels DVR.

The token sits in the path because these clients take a device base URL and append fixed
document names to it; a query string would be lost. Channels, numbers and order are those of
``/output/m3u``; each lineup entry points at ``/play/{channel}``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.deps import SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs.common import HD_QUALITIES, PlayUrls, public_base
from strmline.api.outputs.m3u import head_response
from strmline.config import Settings
from strmline.db.models import User
from strmline.services import tuning
from strmline.services import users as user_service

router = APIRouter(tags=["hdhomerun"])

FRIENDLY_NAME = "strmline"
# Clients that look at the maker expect SiliconDust's name, as every tuner they know has it.
MANUFACTURER = "Silicondust"
# Jellyfin treats models containing "hdtc" as transcoding tuners and asks them for profiles we
# do not have, so announce a plain network tuner model.
MODEL_NUMBER = "HDHR5-4K"
FIRMWARE_NAME = "hdhomerun5_4k"
FIRMWARE_VERSION = "20240101"

# libhdhomerun validates device ids: the nibbles at bit 28, 20, 12 and 4 go through this table,
# the others are used as they are, and everything XORed together must be 0.
_ID_TABLE = (0xA, 0x5, 0xF, 0x6, 0x7, 0xC, 0x1, 0xB, 0x9, 0x2, 0x8, 0xD, 0x4, 0x3, 0xE, 0x0)


def _id_checksum(value: int) -> int:
    check = 0
    for shift in range(28, 0, -4):
        nibble = (value >> shift) & 0xF
        check ^= _ID_TABLE[nibble] if shift % 8 == 4 else nibble
    return check


def valid_device_id(device_id: str) -> bool:
    value = int(device_id, 16)
    return len(device_id) == 8 and _id_checksum(value) ^ (value & 0xF) == 0


def device_id(secret: str, user_id: int) -> str:
    """Eight hex digits, stable for one install and user, with a valid check digit. Per user,
    because a media server shared by two users must see two tuners, not one."""
    digest = hashlib.sha256(f"strmline-hdhr\x1f{user_id}\x1f{secret}".encode()).digest()
    value = int.from_bytes(digest[:4], "big") & 0xFFFFFFF0
    return f"{value | _id_checksum(value):08X}"


def device_auth(secret: str, user_id: int) -> str:
    return hashlib.sha256(f"strmline-hdhr-auth\x1f{user_id}\x1f{secret}".encode()).hexdigest()[:24]


async def get_path_token_user(
    session: SessionDep,
    token: Annotated[str, Path(max_length=200, description="the user's API token")],
) -> User:
    user = await user_service.get_by_api_token(session=session, token=token)
    if user is None:
        raise ApiError(
            401,
            "invalid_api_token",
            "the tuner URL needs a valid API token: /hdhr/<token>/ (see GET /api/auth/api-token)",
        )
    return user


PathTokenUser = Annotated[User, Depends(get_path_token_user)]


def _device_base(request: Request, settings: Settings, user: User) -> str:
    return f"{public_base(request, settings)}/hdhr/{quote(user.api_token, safe='')}"


@router.get("/hdhr/{token}/discover.json", summary="HDHomeRun device description")
async def discover(
    request: Request, user: PathTokenUser, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    secret = settings.get_secret_key()
    base = _device_base(request, settings, user)
    return {
        "FriendlyName": FRIENDLY_NAME,
        "Manufacturer": MANUFACTURER,
        "ModelNumber": MODEL_NUMBER,
        "FirmwareName": FIRMWARE_NAME,
        "FirmwareVersion": FIRMWARE_VERSION,
        "DeviceID": device_id(secret, user.id),
        "DeviceAuth": device_auth(secret, user.id),
        "BaseURL": base,
        "LineupURL": f"{base}/lineup.json",
        "TunerCount": await tuning.tuner_count(session, settings.outputs.tuner_count),
    }


async def _lineup_body(
    factory: async_sessionmaker[AsyncSession],
    *,
    base: str,
    token: str,
    first_free_number: int,
    page_size: int,
) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    urls = PlayUrls.of(base, token)
    async with factory() as session:
        async for page in tuning.iter_lineup(
            session, first_free_number=first_free_number, page_size=page_size
        ):
            items = b",".join(
                orjson.dumps(
                    {
                        "GuideNumber": c.chno,
                        "GuideName": c.name,
                        "URL": urls.channel(c.id),
                        "HD": 1 if c.best_quality in HD_QUALITIES else 0,
                    }
                )
                for c in page
            )
            yield items if first else b"," + items
            first = False
    yield b"]"


@router.get(
    "/hdhr/{token}/lineup.json",
    summary="HDHomeRun channel lineup (same channels and order as /output/m3u)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "the lineup"}},
)
async def lineup(
    request: Request, user: PathTokenUser, session: SessionDep, settings: SettingsDep
) -> Response:
    headers = {"Cache-Control": "private, no-cache"}
    if request.method == "HEAD":
        return head_response(headers, "application/json")
    state = await tuning.lineup_state(session)
    return StreamingResponse(
        _lineup_body(
            request.app.state.session_factory,
            base=public_base(request, settings),
            token=user.api_token,
            first_free_number=state.first_free_number,
            page_size=settings.outputs.page_size,
        ),
        media_type="application/json",
        headers=headers,
    )


@router.get("/hdhr/{token}/lineup_status.json", summary="HDHomeRun scan status (never scanning)")
async def lineup_status(user: PathTokenUser) -> dict[str, Any]:
    return {"ScanInProgress": 0, "ScanPossible": 1, "Source": "Cable", "SourceList": ["Cable"]}


@router.post(
    "/hdhr/{token}/lineup.post",
    summary="HDHomeRun scan request (accepted; the lineup is always current)",
    response_class=Response,
    responses={200: {"description": "accepted"}},
)
async def lineup_post(user: PathTokenUser) -> Response:
    return Response(status_code=200)


@router.get(
    "/hdhr/{token}/device.xml",
    summary="UPnP root device description",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "device description"}},
)
async def device_xml(request: Request, user: PathTokenUser, settings: SettingsDep) -> Response:
    did = device_id(settings.get_secret_key(), user.id)
    udn = uuid.uuid5(uuid.NAMESPACE_URL, f"strmline-hdhr:{did}")
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <URLBase>{escape(_device_base(request, settings, user))}</URLBase>
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>
    <friendlyName>{escape(FRIENDLY_NAME)}</friendlyName>
    <manufacturer>{escape(MANUFACTURER)}</manufacturer>
    <modelName>{escape(MODEL_NUMBER)}</modelName>
    <modelNumber>{escape(MODEL_NUMBER)}</modelNumber>
    <serialNumber>{did}</serialNumber>
    <UDN>uuid:{udn}</UDN>
  </device>
</root>
"""
    return Response(body, media_type="application/xml")
