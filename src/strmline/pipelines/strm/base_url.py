"""The base URL .strm files carry, and the warning when only this machine can reach it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.models import Setting
from strmline.services import settings as settings_store

# Settings-table key of the last URL a request for the library came in on.
LAST_REQUEST_BASE_URL = "last_request_base_url"
LOOPBACK_WARNING = (
    "Library files point at {host}: other machines cannot reach it — set the public URL in Settings"
)


def is_loopback_url(url: str) -> bool:
    """True when the URL's host only answers on this machine (127.x, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_warning(url: str) -> str | None:
    if not is_loopback_url(url):
        return None
    return LOOPBACK_WARNING.format(host=urlsplit(url).hostname)


async def _setting(session: AsyncSession, key: str) -> str | None:
    value = await session.scalar(select(Setting.value).where(Setting.key == key))
    return value.strip().rstrip("/") or None if isinstance(value, str) else None


async def resolve_base_url(
    session: AsyncSession, settings: Settings, requested: str | None = None
) -> str:
    """The base URL .strm files carry (see :mod:`strmline.pipelines.strm` for the order).

    The saved setting is read from the table rather than from ``settings``: CLI and worker
    processes do not load saved settings at startup, and a value saved a moment ago counts.
    """
    saved = (await settings_store.load(session=session, settings=settings)).get(
        f"{settings_store.TOP_LEVEL_GROUP}.base_url"
    )
    if isinstance(saved, str) and saved.strip():
        return saved.strip().rstrip("/")
    if "base_url" in settings.model_fields_set:
        return settings.base_url.rstrip("/")
    if requested:
        return requested.rstrip("/")
    return await _setting(session, LAST_REQUEST_BASE_URL) or settings.base_url.rstrip("/")


async def remember_request_base_url(session: AsyncSession, url: str) -> None:
    """Keep the URL a request came in on for later runs that have no request (one upsert)."""
    row = {"key": LAST_REQUEST_BASE_URL, "value": url.rstrip("/"), "updated_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Setting).values(row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Setting.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )
