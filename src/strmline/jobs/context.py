"""The composition root: what every strmline process is built of, assembled in one place.

``strmline serve`` (each API process), ``strmline worker`` (each Celery worker process),
``strmline beat`` and the CLI commands all start with::

    async with open_context(settings, role="serve") as ctx:
        ctx.settings        # the environment's values with the ones saved in the UI on top
        ctx.session_factory # one engine for the process
        ctx.runtime         # submits and runs jobs; its bus carries every process's job events
        ctx.cache           # versioned cache (Redis when configured)
        ctx.watcher         # handlers called when a job finishes anywhere (serve: started)

so the processes differ only in their role:

| role   | migrate | clean-up at start | settings watch         | job watcher |
|--------|---------|-------------------|------------------------|-------------|
| serve  | yes     | yes (+ secrets)   | running (Redis wakes)  | running     |
| worker | no      | yes               | checked before each job| no          |
| beat   | no      | no                | running                | no          |
| cli    | yes     | no                | checked before each job| no          |

Every role loads the signing key (it also unlocks provider passwords encrypted at rest).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings, get_settings
from strmline.db.engine import engine_from_settings, make_session_factory
from strmline.db.migrate import upgrade
from strmline.jobs.events import EventBus
from strmline.jobs.runtime import Backend, JobRuntime
from strmline.jobs.watch import JobWatcher
from strmline.services import cleanup, provider_secrets, signing_key
from strmline.services.cache import Cache
from strmline.services.settings_sync import SettingsWatch

log = logging.getLogger(__name__)

Role = Literal["serve", "worker", "beat", "cli"]


@dataclass
class Context:
    role: Role
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis | None
    cache: Cache
    settings_watch: SettingsWatch
    runtime: JobRuntime
    watcher: JobWatcher

    @property
    def bus(self) -> EventBus:
        return self.runtime.bus

    async def http(self) -> httpx.AsyncClient:
        """The process's one HTTP pool (made on first use, closed with the context)."""
        return await self.runtime.http_client()


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True, load_key: bool = True
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """The engine and session factory alone, for commands that only read or write rows."""
    engine = engine_from_settings(settings)
    try:
        if migrate:
            await upgrade(engine)
        factory = make_session_factory(engine)
        if load_key:  # the signing key; it also unlocks provider passwords (db/secrets.py)
            await signing_key.ensure(factory, settings)
        yield engine, factory
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_context(
    settings: Settings | None = None,
    *,
    role: Role,
    migrate: bool | None = None,
    backend: Backend | None = None,
    concurrency: int | None = None,
) -> AsyncIterator[Context]:
    """Everything a process of ``role`` needs, closed in reverse order on exit."""
    settings = settings or get_settings()
    migrate = role in ("serve", "cli") if migrate is None else migrate
    async with AsyncExitStack() as stack:
        engine, factory = await stack.enter_async_context(open_database(settings, migrate=migrate))
        await _prepare(role, settings, factory)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        if redis is not None:
            stack.push_async_callback(redis.aclose)
        # Saved UI settings over the environment's, re-read whenever any process saves.
        watch = SettingsWatch(settings, factory, redis=redis)
        stack.push_async_callback(watch.close)
        await watch.refresh(force=True)
        if role in ("serve", "beat"):
            watch.start()
        runtime = JobRuntime(
            settings,
            engine=engine,
            session_factory=factory,
            settings_watch=watch,
            backend="celery" if role == "beat" else backend,
            concurrency=concurrency,
        )
        stack.push_async_callback(runtime.close)
        watcher = JobWatcher(runtime.bus, factory)
        stack.push_async_callback(watcher.close)
        if role == "serve":
            watcher.start()
        yield Context(
            role=role,
            settings=settings,
            engine=engine,
            session_factory=factory,
            redis=redis,
            cache=Cache(redis, prefix=settings.jobs.redis_prefix),
            settings_watch=watch,
            runtime=runtime,
            watcher=watcher,
        )


async def _prepare(
    role: Role, settings: Settings, factory: async_sessionmaker[AsyncSession]
) -> None:
    """What a killed run left behind, and data written by older versions, put right at start."""
    if role in ("serve", "worker"):
        await cleanup.clean_at_start(factory, settings)
    if role == "serve":
        _make_sources_dir(settings)
        await provider_secrets.encrypt_clear(factory)  # passwords saved before encryption


def _make_sources_dir(settings: Settings) -> None:
    # The one folder local playlists and guides are read from (strmline.providers.local).
    try:
        settings.source_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("could not create the sources folder %s: %s", settings.source_root, exc)
