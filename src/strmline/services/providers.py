"""Provider records: validated create and update, pages with stream counts, remove."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
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

from strmline.db import secrets as db_secrets
from strmline.db.models import Provider, Stream
from strmline.errors import ConfigError, Conflict, NotFound
from strmline.formats import cursor as cursor_codec
from strmline.formats.redact import redact_text, redact_url
from strmline.providers.local import LocalFiles, SourcePathRefused, is_local
from strmline.providers.xtream import XtreamClient

# Bounds that keep values inside the 32-bit columns and within reason.
MAX_PRIORITY = 1_000_000
MAX_CONNECTIONS = 10_000
MAX_REFRESH_MINUTES = 366 * 24 * 60
# URLs are Text columns; a limit keeps a pasted document (or a fuzzer) out of them and of
# every job message that quotes them. Guide source URLs have the same one.
MAX_URL_LENGTH = 4000
MAX_BACKUP_URLS = 20
BackupUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]

# C0 controls but tab, DEL, and lone surrogates (JSON "\ud800" decodes to one).
_BAD_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")

ProviderKind = Literal["m3u", "xtream"]
OutputFormat = Literal["ts", "m3u8"]
PlayMode = Literal["auto", "proxy", "redirect"]
PLAY_MODE_HELP = (
    "how players get this provider's streams. auto (the default): through strmline when the "
    "stream URL carries the account's username and password (every Xtream URL does), else as "
    "the global playback mode says. proxy: always through strmline. redirect: players are sent "
    "to the provider's URL, so the provider's username and password reach every player, its "
    "logs and history, and anyone a URL is shared with"
)
PROFILE_HELP = (
    "the stream profile proxied streams are played with (GET /api/stream-profiles): proxy "
    "(the default), redirect, or a command profile such as ffmpeg-remux; a channel may choose "
    "its own"
)


@dataclass
class ProviderCreate:
    """A new provider as the API receives it (the request body) and the CLI builds it.

    The ``Field`` limits are checked by pydantic where the API reads a request; :func:`validate`
    checks what every caller must get right (kind, URLs, credentials, cron).
    """

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: ProviderKind
    url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
    username: Annotated[str | None, Field(max_length=200)] = None
    password: Annotated[str | None, Field(max_length=200)] = None
    backup_urls: Annotated[list[BackupUrl], Field(max_length=MAX_BACKUP_URLS)] = field(
        default_factory=list
    )
    user_agent: Annotated[str | None, Field(max_length=300)] = None
    priority: Annotated[int, Field(ge=-MAX_PRIORITY, le=MAX_PRIORITY)] = 0
    max_connections: Annotated[int | None, Field(ge=1, le=MAX_CONNECTIONS)] = None
    refresh_minutes: Annotated[int | None, Field(ge=5, le=MAX_REFRESH_MINUTES)] = None
    refresh_cron: Annotated[str | None, Field(max_length=100)] = None
    output_format: OutputFormat = "ts"
    epg_url: Annotated[str | None, Field(max_length=MAX_URL_LENGTH)] = None
    enabled: bool = True
    play_mode: Annotated[PlayMode | None, Field(description=PLAY_MODE_HELP)] = None
    stream_profile: Annotated[str | None, Field(max_length=40, description=PROFILE_HELP)] = None


# The password column is String(200) and holds the encrypted form (db/secrets.py).
MAX_PASSWORD_BYTES = db_secrets.max_plain_bytes(200)

# Fields that cannot be cleared: a null (or empty) value in an update means "leave as is".
NOT_CLEARABLE = frozenset(
    {"name", "kind", "url", "backup_urls", "priority", "output_format", "enabled", "password"}
)


def _is_http(url: str) -> bool:
    return _http_problem(url) is None


def _http_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) URL with a host, or None when it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:  # "http://[::1": an invalid host; "http://h:x/": a bad port
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "an http(s) URL without a host"
    if any(c.isspace() for c in url):
        return "a URL with spaces"
    return None


def _check_text(spec: ProviderCreate) -> None:
    """Text a later read would choke on (a NUL in a path, a lone surrogate in the database)."""
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _BAD_TEXT.search(text):
                raise ConfigError(
                    f"{f.name}: control characters or invalid Unicode are not allowed",
                    details={"field": f.name},
                )


def _source_url(url: str, local_files: LocalFiles | None, what: str) -> str:
    """An M3U or guide URL as stored: http(s) as given, a local path resolved and confined."""
    if _http_problem(url) is None:
        return url
    if not is_local(url):
        raise ConfigError(
            f"{what} must be an http(s) URL or a file path: {redact_url(url)!r}",
            details={"field": what},
        )
    # Callers without settings (tests, tools) get the file checked anywhere; the job that
    # reads it confines it to the sources folder whatever was stored.
    files = local_files or LocalFiles(root=Path("/"))
    try:
        return str(files.path(url))
    except (SourcePathRefused, NotFound) as exc:
        raise ConfigError(f"{what}: {exc.message}", details={"field": what}) from None


def _check_urls(
    spec: ProviderCreate, local_files: LocalFiles | None, known: Collection[str]
) -> list[str]:
    urls = [spec.url.strip(), *(u.strip() for u in spec.backup_urls)]
    if spec.kind == "xtream":
        for url in urls:
            problem = _http_problem(url)
            if problem is not None:
                raise ConfigError(
                    f"Xtream server must be an http(s) URL: {redact_url(url)!r} is {problem}",
                    details={"field": "url"},
                )
        if not spec.username or not spec.password:
            raise ConfigError("an Xtream provider needs --username and --password")
        return [u.rstrip("/") for u in urls]
    # A stored path is kept as it is: changing a provider's priority must not fail on a path
    # accepted before the sources folder existed (its sync says why it is not read).
    return [u if u in known else _source_url(u, local_files, "url") for u in urls]


def validate(
    spec: ProviderCreate,
    *,
    local_files: LocalFiles | None = None,
    known: Collection[str] = (),
) -> ProviderCreate:
    """``spec`` checked and normalised; ConfigError (a 422) naming the field otherwise.

    ``local_files`` confines file paths to the sources folder (the API and CLI pass it);
    ``known`` are URLs already stored, kept as they are.
    """
    name = spec.name.strip()
    if not name:
        raise ConfigError("a provider needs a name")
    if spec.kind not in ("m3u", "xtream"):
        raise ConfigError(f"unknown provider kind {spec.kind!r} (m3u or xtream)")
    _check_text(spec)
    urls = _check_urls(spec, local_files, known)
    if spec.epg_url and spec.epg_url.strip() and spec.epg_url not in known:
        spec.epg_url = _source_url(spec.epg_url.strip(), local_files, "epg_url")
    if spec.output_format not in ("ts", "m3u8"):
        raise ConfigError("output format must be ts or m3u8")
    if spec.password and len(spec.password.encode()) > MAX_PASSWORD_BYTES:
        raise ConfigError(
            f"the password is longer than {MAX_PASSWORD_BYTES} bytes, more than can be stored "
            "encrypted",
            details={"field": "password"},
        )
    if spec.refresh_cron:
        from croniter import croniter

        if not croniter.is_valid(spec.refresh_cron):
            raise ConfigError(f"not a valid cron expression: {spec.refresh_cron!r}")
    if spec.play_mode not in (None, "auto", "proxy", "redirect"):
        raise ConfigError(
            "play mode must be auto, proxy or redirect", details={"field": "play_mode"}
        )
    # Stored as NULL: auto follows the global setting as it changes.
    spec.play_mode = None if spec.play_mode == "auto" else spec.play_mode
    spec.stream_profile = (spec.stream_profile or "").strip() or None
    spec.name, spec.url, spec.backup_urls = name, urls[0], urls[1:]
    return spec


async def create(
    *, session: AsyncSession, spec: ProviderCreate, local_files: LocalFiles | None = None
) -> Provider:
    spec = validate(spec, local_files=local_files)
    provider = Provider(**dataclasses.asdict(spec))
    session.add(provider)
    await _flush(session, spec.name)
    return provider


async def update(
    *,
    session: AsyncSession,
    provider: Provider,
    changes: dict[str, Any],
    local_files: LocalFiles | None = None,
) -> Provider:
    """Apply ``changes`` (the fields sent), validated as a whole; only changed columns are set."""
    current = ProviderCreate(
        **{f.name: getattr(provider, f.name) for f in dataclasses.fields(ProviderCreate)}
    )
    wanted = {
        name: value
        for name, value in changes.items()
        if not (name in NOT_CLEARABLE and value in (None, ""))
    }
    known = {u for u in (provider.url, *(provider.backup_urls or ()), provider.epg_url) if u}
    spec = validate(dataclasses.replace(current, **wanted), local_files=local_files, known=known)
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


async def known_secrets(session: AsyncSession) -> list[str]:
    """Every provider password, to mask wherever text from a provider may repeat it (an error
    page quoting the request, a job's message) before a non-admin reads it."""
    rows = await session.execute(select(Provider.password).where(Provider.password.is_not(None)))
    return [p for p in rows.scalars() if p]


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
        "play_mode": provider.play_mode or "auto",
        "stream_profile": provider.stream_profile,
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
