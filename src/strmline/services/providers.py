"""Provider records: validated create and update, pages with stream counts, remove."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import Field
from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import Provider, Stream
from strmline.errors import ConfigError, Conflict, NotFound
from strmline.formats import cursor as cursor_codec
from strmline.formats.redact import redact_text, redact_url
from strmline.providers.xtream import XtreamClient

# Bounds that keep values inside the 32-bit columns and within reason.
MAX_PRIORITY = 1_000_000
MAX_CONNECTIONS = 10_000
MAX_REFRESH_MINUTES = 366 * 24 * 60

ProviderKind = Literal["m3u", "xtream"]
OutputFormat = Literal["ts", "m3u8"]


@dataclass
class ProviderCreate:
    """A new provider as the API receives it (the request body) and the CLI builds it.

    The ``Field`` limits are checked by pydantic where the API reads a request; :func:`validate`
    checks what every caller must get right (kind, URLs, credentials, cron).
    """

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: ProviderKind
    url: Annotated[str, Field(min_length=1)]
    username: Annotated[str | None, Field(max_length=200)] = None
    password: Annotated[str | None, Field(max_length=200)] = None
    backup_urls: list[str] = field(default_factory=list)
    user_agent: Annotated[str | None, Field(max_length=300)] = None
    priority: Annotated[int, Field(ge=-MAX_PRIORITY, le=MAX_PRIORITY)] = 0
    max_connections: Annotated[int | None, Field(ge=1, le=MAX_CONNECTIONS)] = None
    refresh_minutes: Annotated[int | None, Field(ge=5, le=MAX_REFRESH_MINUTES)] = None
    refresh_cron: Annotated[str | None, Field(max_length=100)] = None
    output_format: OutputFormat = "ts"
    epg_url: str | None = None
    enabled: bool = True


# Fields that cannot be cleared: a null (or empty) value in an update means "leave as is".
NOT_CLEARABLE = frozenset(
    {"name", "kind", "url", "backup_urls", "priority", "output_format", "enabled", "password"}
)


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
    provider = Provider(**dataclasses.asdict(spec))
    session.add(provider)
    await _flush(session, spec.name)
    return provider


async def update(*, session: AsyncSession, provider: Provider, changes: dict[str, Any]) -> Provider:
    """Apply ``changes`` (the fields sent), validated as a whole; only changed columns are set."""
    current = ProviderCreate(
        **{f.name: getattr(provider, f.name) for f in dataclasses.fields(ProviderCreate)}
    )
    wanted = {
        name: value
        for name, value in changes.items()
        if not (name in NOT_CLEARABLE and value in (None, ""))
    }
    spec = validate(dataclasses.replace(current, **wanted))
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if getattr(provider, f.name) != value:
            setattr(provider, f.name, value)
    await _flush(session, spec.name)
    return provider


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a provider named {name!r} already exists") from exc


async def get(*, session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"no provider with id {provider_id}")
    return provider


async def get_by_name(*, session: AsyncSession, name: str) -> Provider | None:
    return (
        await session.execute(select(Provider).where(Provider.name == name))
    ).scalar_one_or_none()


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


def _with_stream_counts() -> Select[Provider, int]:
    """Providers with their current stream count, highest priority first, then by id."""
    counts = (
        select(Stream.provider_id, func.count().label("n"))
        .where(Stream.removed_at.is_(None))
        .group_by(Stream.provider_id)
        .subquery()
    )
    return (
        select(Provider, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.provider_id == Provider.id)
        .order_by(Provider.priority.desc(), Provider.id)
    )


async def list_all(*, session: AsyncSession) -> list[tuple[Provider, int]]:
    """Every provider with its current stream count, in one query."""
    rows = await session.execute(_with_stream_counts())
    return [(p, int(n)) for p, n in rows.all()]


async def list_page(
    *, session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[tuple[Provider, int]], str | None]:
    """One keyset page of :func:`list_all`, and the next page's cursor: one query."""
    # The keyset is (-priority, id), the sort order.
    after = cursor_codec.decode(cursor, int, int)
    query = _with_stream_counts().limit(limit + 1)
    if after is not None:
        query = query.where(tuple_(-Provider.priority, Provider.id) > tuple_(*after))
    rows, more = cursor_codec.split_page(list((await session.execute(query)).all()), limit)
    last = rows[-1][0] if rows else None
    next_cursor = cursor_codec.encode(-last.priority, last.id) if more and last else None
    return [(p, int(n)) for p, n in rows], next_cursor


async def count_streams(*, session: AsyncSession, provider_id: int) -> int:
    """The provider's current (not removed) streams."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Stream)
            .where(Stream.provider_id == provider_id, Stream.removed_at.is_(None))
        )
        or 0
    )


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


def public_view(provider: Provider, stream_count: int | None = None) -> dict[str, Any]:
    secrets = [provider.password]
    message = redact_text(provider.last_sync_message or "", secrets) or None
    return {
        "id": provider.id,
        "name": provider.name,
        "kind": provider.kind,
        "url": redact_url(provider.url, secrets),
        "username": provider.username,
        "backup_urls": [redact_url(u, secrets) for u in provider.backup_urls or []],
        "user_agent": provider.user_agent,
        "enabled": provider.enabled,
        "priority": provider.priority,
        "max_connections": provider.max_connections,
        "refresh_minutes": provider.refresh_minutes,
        "refresh_cron": provider.refresh_cron,
        "output_format": provider.output_format,
        "epg_url": redact_url(provider.epg_url, secrets) if provider.epg_url else None,
        "stream_count": stream_count,
        "last_sync_at": provider.last_sync_at.isoformat() if provider.last_sync_at else None,
        "last_sync_status": provider.last_sync_status,
        "last_sync_message": message,
        "last_sync_counts": provider.last_sync_counts,
        "account": provider.account,
    }


async def get_detached(factory: async_sessionmaker[AsyncSession], provider_id: int) -> Provider:
    """The provider row read in a short session of its own and detached from it, so a long job
    can keep reading its fields without holding a connection; NotFound when it does not exist."""
    async with factory() as session:
        provider = await get(session=session, provider_id=provider_id)
        session.expunge(provider)
    return provider
