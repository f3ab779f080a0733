"""Every router of the app, in one list; each feature adds its own line here."""

from __future__ import annotations

from fastapi import APIRouter

from strmline.api.routers import auth, system

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
]
