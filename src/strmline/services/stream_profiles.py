"""Stream profiles as the API shows them, and the check of a profile chosen for a provider or a
channel (:mod:`strmline.playback.profiles` defines and runs them)."""

from __future__ import annotations

from typing import Any

from strmline.config import Settings
from strmline.errors import ConfigError
from strmline.playback.profiles import find, profiles

__all__ = ["list_profiles", "require"]


def list_profiles(settings: Settings) -> list[dict[str, Any]]:
    """Every profile with whether it can run here (a command profile needs its program)."""
    return [
        {
            "name": p.name,
            "kind": p.kind,
            "command": p.command,
            "builtin": p.builtin,
            "available": p.available,
        }
        for p in profiles(settings.playback)
    ]


def require(settings: Settings, name: str | None, *, field: str = "stream_profile") -> None:
    """A profile that may be chosen: known and runnable here; :class:`ConfigError` (422) else.
    None (or empty) means the default, always allowed."""
    if not name:
        return
    profile = find(settings.playback, name)
    if profile is None:
        known = ", ".join(p.name for p in profiles(settings.playback))
        raise ConfigError(
            f"unknown stream profile {name!r} (known: {known})", details={"field": field}
        )
    if not profile.available:
        raise ConfigError(
            f"stream profile {name!r} needs {profile.program}, which is not installed here",
            details={"field": field},
        )
