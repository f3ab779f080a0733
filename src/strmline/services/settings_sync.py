"""Settings saved in the UI, in force in every process within seconds.

Each save writes a new settings version into the ``settings`` table in the same transaction as
the values (:func:`strmline.services.settings.save`). Every process (API server, Celery worker,
beat, CLI) keeps a :class:`SettingsWatch` over its live ``Settings``: ``refresh()`` reads the
version (one primary-key read, at most every ``CHECK_SECONDS``) and, when it moved, re-reads the
saved values and puts them on top of the environment's. Long-running processes also run
``start()``: a task that checks every ``CHECK_SECONDS`` and, when Redis is configured, wakes at
once on the ``<prefix>:settings`` channel the saving process publishes to. The table stays the
record: a lost message only delays a change to the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import create_engine, make_session_factory
from strmline.services import settings as settings_store

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


def channel_name(prefix: str) -> str:
    return f"{prefix}:settings"


class SettingsWatch:
    """Keeps one process's ``settings`` in step with the values saved from any process."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        redis: Redis | None = None,
        prefix: str | None = None,
        interval: float | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.redis = redis
        self.channel = channel_name(prefix or settings.jobs.redis_prefix)
        self.interval = CHECK_SECONDS if interval is None else interval
        # Taken before any saved value is applied: what a value no longer saved goes back to.
        self.baseline = settings_store.Baseline.of(settings)
        self.version: str | None = None  # None: saved values not read yet
        self._engine: AsyncEngine | None = None
        self._reader: async_sessionmaker[AsyncSession] | None = None
        self._checked = float("-inf")
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def refresh(self, *, force: bool = False) -> bool:
        """Re-read saved values if the version moved; True when it did. Cheap when called often:
        the version is read at most once per ``interval`` unless ``force``. A database that does
        not answer leaves the values as they are (logged)."""
        now = time.monotonic()
        if not force and self.version is not None and now - self._checked < self.interval:
            return False
        self._checked = now
        async with self._lock:
            try:
                return await self._reload_if_moved()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("could not check saved settings: %s", exc)
                return False

    def _read_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions on a one-connection engine of the watch's own, on the same database: its
        polls never wait behind a busy request pool, and never land in the statements a
        request or a job is measured by."""
        if self._reader is None:
            bind = self.session_factory.kw.get("bind")
            url = getattr(bind, "url", None)
            if url is None or url.database in (None, "", ":memory:"):
                # No URL another engine could open the same database by: share the pool.
                self._reader = self.session_factory
            else:
                self._engine = create_engine(url.render_as_string(hide_password=False), pool_size=1)
                self._reader = make_session_factory(self._engine)
        return self._reader

    async def _reload_if_moved(self) -> bool:
        async with self._read_sessions()() as session:
            version = await settings_store.read_version(session)
            if version == self.version:
                return False
            # Read in the same transaction as the version: a save after it moves the version
            # again, so the next check reads it; nothing is missed, at worst read twice.
            saved = await settings_store.load(session=session, settings=self.settings)
        first = self.version is None
        changed = settings_store.apply_saved_values(self.settings, saved, self.baseline)
        self.version = version
        if changed and not first:
            log.info("saved settings changed: %s", ", ".join(changed))
        return True

    async def announce(self, version: str | None) -> None:
        """After this process committed a save: tell the others now rather than at their next
        poll. This process re-reads too (the values it applied plus any other process's save
        that landed just before: the version alone cannot tell them apart)."""
        if version is None or self.redis is None:
            return
        try:
            await self.redis.publish(self.channel, version)
        except (RedisError, OSError) as exc:
            log.warning("could not announce a settings change (others poll): %s", exc)

    # -- long-running processes: a task that polls, woken early by Redis --------------------------

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="strmline-settings-watch")
        return self._task

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = self._reader = None

    async def _run(self) -> None:
        while True:
            try:
                if self.redis is None:
                    await self._poll_forever()
                else:
                    await self._listen_forever(self.redis)
            except (RedisError, OSError) as exc:
                log.warning("settings channel lost (%s); polling until it is back", exc)
                await asyncio.sleep(self.interval)
                await self.refresh(force=True)
            except Exception:  # the watch must outlive any one failure
                log.exception("settings watch failed; retrying")
                await asyncio.sleep(self.interval)

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.refresh(force=True)

    async def _listen_forever(self, redis: Redis) -> None:
        pubsub: Any = redis.pubsub()  # redis-py leaves parts of PubSub untyped
        try:
            await pubsub.subscribe(self.channel)
            while True:
                # A message (a save anywhere) or the poll interval, whichever comes first.
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.interval)
                await self.refresh(force=True)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
