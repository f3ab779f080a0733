"""Stream profiles (admin): what a provider or a channel may be played with."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from strmline.api.deps import AdminUser, SettingsDep
from strmline.services import stream_profiles as service

router = APIRouter(prefix="/api/stream-profiles", tags=["stream profiles"])


class StreamProfileRead(BaseModel):
    name: str
    kind: Literal["proxy", "redirect", "command"]
    command: str | None  # with {url}, {user_agent}, {referer}; None for proxy and redirect
    builtin: bool
    available: bool  # a command profile's program is on PATH


@router.get("", summary="Stream profiles: built-in and your own, and whether each can run here")
async def list_stream_profiles(settings: SettingsDep, _: AdminUser) -> list[StreamProfileRead]:
    return [StreamProfileRead.model_validate(p) for p in service.list_profiles(settings)]
