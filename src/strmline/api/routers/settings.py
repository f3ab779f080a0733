"""Settings (admin): the user-editable settings, described from the pydantic models, and changes.

A change is validated by the group's pydantic model, saved in the ``settings`` table with a new
settings version, and applied to this process's live settings once the transaction has committed.
Other API processes, Celery workers, the scheduler and the CLI see the version move and re-read the
saved values within seconds (:mod:`strmline.services.settings_sync`; at once through Redis).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, RootModel

from strmline.api.cache import CATALOG_NAMESPACES, Cache
from strmline.api.deps import AdminUser, SessionDep, SettingsDep
from strmline.services import settings as settings_service
from strmline.services.settings_sync import SettingsWatch

router = APIRouter(prefix="/api/settings", tags=["settings"])


class SettingRead(BaseModel):
    """One editable setting: its live value, default, help text, JSON type and limits."""

    value: Any
    default: Any
    description: str | None
    type: str
    nullable: bool
    constraints: dict[str, Any]
    overridden: bool


class SettingsView(RootModel[dict[str, dict[str, SettingRead]]]):
    """``{group: {key: setting}}``, groups and keys in the order of the settings models."""


async def _view(session: SessionDep, settings: SettingsDep) -> SettingsView:
    saved = await settings_service.load(session=session, settings=settings)
    return SettingsView.model_validate(settings_service.describe(settings, set(saved)))


@router.get("", summary="Editable settings by group: value, default, description, type, limits")
async def get_settings(session: SessionDep, settings: SettingsDep, _: AdminUser) -> SettingsView:
    return await _view(session, settings)


@router.patch("", summary="Change settings: {group: {key: value}}")
async def update_settings(
    body: dict[str, dict[str, Any]],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
) -> SettingsView:
    new_groups = settings_service.validate(settings, body)
    version = await settings_service.save(session=session, changes=body)
    # Applied only once saved: a failed commit must not leave this process running on values
    # that no other process (nor this one after a restart) will ever see.
    await session.commit()
    settings_service.apply(settings, new_groups)
    watch: SettingsWatch = request.app.state.settings_watch
    await watch.announce(version)  # the other processes re-read within seconds
    cache: Cache = request.app.state.cache
    await cache.bump(*CATALOG_NAMESPACES)
    return await _view(session, settings)
