"""Every router of the app, in one list; each feature adds its own line here."""

from __future__ import annotations

from fastapi import APIRouter

from strmline.api.routers import (
    auth,
    channels,
    dashboard,
    epg,
    events,
    favorites,
    health,
    jobs,
    providers,
    rules,
    settings,
    system,
    users,
    vod,
)
from strmline.outputs import hdhr, m3u, play, vodplay
from strmline.outputs import xmltv as xmltv_output

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
    providers.router,
    jobs.router,
    events.router,
    settings.router,
    dashboard.router,
    favorites.router,
    users.router,
    rules.router,
    channels.router,
    m3u.router,
    play.router,
    health.router,
    vodplay.router,
    vod.router,
    hdhr.router,
    epg.router,
    xmltv_output.router,
]
