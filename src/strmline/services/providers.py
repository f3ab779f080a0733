"""Provider records: validated create, list with stream counts, remove."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Provider, Stream
from strmline.errors import ConfigError, Conflict, NotFound
from strmline.providers.xtream import XtreamClient

_PASSWORD_PARAM = re.compile(r"(?i)([?&](?:password|pass|pwd|token)=)[^&#]*")


@dataclass
class ProviderCreate:
    name: str
    kind: str  # m3u | xtream
    url: str
    username: str | None = None
    password: str | None = None
    backup_urls: list[str] = field(default_factory=list)
    user_agent: str | None = None
    priority: int = 0
    max_connections: int | None = None
    refresh_minutes: int | None = None
    refresh_cron: str | None = None
    output_format: str = "ts"
    epg_url: str | None = None
    enabled: bool = True


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate(spec: ProviderCreate) -> ProviderCreate:
    name = spec.name.strip()
    if not name:
        raise ConfigError("a provider needs a name")
    if spec.kind not in ("m3u", "xtream"):
        raise ConfigError(f"unknown provider kind {spec.kind!r} (m3u or xtream)")
    urls = [spec.url.strip(), *(u.strip() for u in spec.backup_urls)]
    if spec.kind == "xtream":
        for url in urls:
            if not _is_http(url):
                raise ConfigError(f"Xtream server must be an http(s) URL: {url!r}")
        if not spec.username or not spec.password:
            raise ConfigError("an Xtream provider needs --username and --password")
        urls = [u.rstrip("/") for u in urls]
    else:
        for url in urls:
            if not (_is_http(url) or url.startswith("file://") or Path(url).expanduser().is_file()):
                raise ConfigError(
                    f"M3U source is neither an http(s) URL nor an existing file: {url!r}"
                )
        urls = [
            u if _is_http(u) or u.startswith("file://") else str(Path(u).expanduser().resolve())
            for u in urls
        ]
    if spec.output_format not in ("ts", "m3u8"):
        raise ConfigError("output format must be ts or m3u8")
    if spec.refresh_cron:
        from croniter import croniter

        if not croniter.is_valid(spec.refresh_cron):
            raise ConfigError(f"not a valid cron expression: {spec.refresh_cron!r}")
    spec.name, spec.url, spec.backup_urls = name, urls[0], urls[1:]
    return spec


async def create(*, session: AsyncSession, spec: ProviderCreate) -> Provider:
    spec = validate(spec)
    provider = Provider(
        name=spec.name,
        kind=spec.kind,
        url=spec.url,
        username=spec.username,
        password=spec.password,
        backup_urls=spec.backup_urls,
        user_agent=spec.user_agent,
        priority=spec.priority,
        max_connections=spec.max_connections,
        refresh_minutes=spec.refresh_minutes,
        refresh_cron=spec.refresh_cron,
        output_format=spec.output_format,
        epg_url=spec.epg_url,
        enabled=spec.enabled,
    )
    session.add(provider)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a provider named {spec.name!r} already exists") from exc
    return provider


async def get_by_ref(*, session: AsyncSession, ref: str | int) -> Provider:
    """A provider by id or by name (what a person types on the command line)."""
    query = select(Provider)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(or_(Provider.id == int(ref), Provider.name == str(ref)))
    else:
        query = query.where(Provider.name == ref)
    provider = (await session.execute(query)).scalars().first()
    if provider is None:
        raise NotFound(f"no provider {ref!r}")
    return provider


async def list_all(*, session: AsyncSession) -> list[tuple[Provider, int]]:
    """Every provider with its current stream count, in one query."""
    counts = (
        select(Stream.provider_id, func.count().label("n"))
        .where(Stream.removed_at.is_(None))
        .group_by(Stream.provider_id)
        .subquery()
    )
    rows = await session.execute(
        select(Provider, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.provider_id == Provider.id)
        .order_by(Provider.priority.desc(), Provider.id)
    )
    return [(p, int(n)) for p, n in rows.all()]


async def delete(*, session: AsyncSession, provider: Provider) -> None:
    from strmline.db import recompute

    channel_ids = (
        (
            await session.execute(
                select(Stream.channel_id).where(Stream.provider_id == provider.id).distinct()
            )
        )
        .scalars()
        .all()
    )
    await session.execute(sa_delete(Stream).where(Stream.provider_id == provider.id))
    await session.delete(provider)
    await session.flush()
    await recompute.channels(session, channel_ids)


def xtream_client(provider: Provider, client: httpx.AsyncClient) -> XtreamClient:
    """The Xtream API client for an ``xtream`` provider record, its backup servers included."""
    return XtreamClient(
        client,
        provider.url,
        provider.username or "",
        provider.password or "",
        backup_servers=provider.backup_urls or (),
    )


def redact(url: str, secrets: list[str | None] | None = None) -> str:
    """A URL fit for a terminal or a log: password query values and known secrets masked."""
    out = _PASSWORD_PARAM.sub(r"\1***", url)
    for secret in secrets or []:
        if secret:
            out = out.replace(secret, "***")
    return out


def public_view(provider: Provider, stream_count: int | None = None) -> dict[str, Any]:
    secrets = [provider.password]
    return {
        "id": provider.id,
        "name": provider.name,
        "kind": provider.kind,
        "url": redact(provider.url, secrets),
        "username": provider.username,
        "backup_urls": [redact(u, secrets) for u in provider.backup_urls or []],
        "user_agent": provider.user_agent,
        "enabled": provider.enabled,
        "priority": provider.priority,
        "max_connections": provider.max_connections,
        "refresh_minutes": provider.refresh_minutes,
        "refresh_cron": provider.refresh_cron,
        "output_format": provider.output_format,
        "epg_url": redact(provider.epg_url, secrets) if provider.epg_url else None,
        "stream_count": stream_count,
        "last_sync_at": provider.last_sync_at.isoformat() if provider.last_sync_at else None,
        "last_sync_status": provider.last_sync_status,
        "last_sync_message": redact(provider.last_sync_message or "", secrets) or None,
        "last_sync_counts": provider.last_sync_counts,
        "account": provider.account,
    }
