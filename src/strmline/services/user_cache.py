"""Who is asking, without a database round trip: a short-lived per-process cache of user rows.

Every authenticated read used to SELECT its user. The API keeps one :class:`UserCache` per
process; a hit hands the request a detached copy of the row (a copy per request, so nothing a
handler does to its user leaks into another request). Keys carry what the credential names:

- ``("jwt", user id, token version)`` for access tokens: a token issued after a revocation has a
  new version, so it never reads a row cached for the old one;
- ``("api", api token)`` for the token media servers put in URLs.

Invalidation:

- **this process, at once**: any commit that changes or deletes a ``User`` (logout everywhere,
  password, role or active flag change, API token rotation, removal) drops every entry of that
  user (an ``after_flush`` / ``after_commit`` session hook, so no call site has to remember it);
- **other processes (``serve --workers N``, several API servers)**: entries live ``ttl`` seconds
  (5 by default), so a revocation elsewhere is in force everywhere within that time; after it the
  next request reads the row again and a stale token version gets 401. With Redis, the process
  that committed the change also publishes the user ids on ``<prefix>:users`` and every cache
  started with that client drops them at once; the TTL stays the bound when a message is lost
  (or the change came from a process without the cache, like the CLI).

A load that raced with an invalidation is not stored (an epoch counter), so a row read just
before a logout committed cannot be cached for the full TTL. Only reads are served from the
cache: the API resolves the user of a write (POST, PUT…) from the database, attached to the
request's session, so handlers that change their own user (logout, password) persist it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from strmline.db.models import User

log = logging.getLogger(__name__)

DEFAULT_TTL = 5.0
RETRY_SECONDS = 2.0
DEFAULT_MAX_ENTRIES = 1024
_CHANGED = "strmline_changed_user_ids"

_caches: weakref.WeakSet[UserCache] = weakref.WeakSet()
_COLUMNS: tuple[str, ...] = tuple(attr.key for attr in inspect(User).column_attrs)


def jwt_key(user_id: int, version: int) -> tuple[str, int, int]:
    return ("jwt", user_id, version)


def api_key(token: str) -> tuple[str, str]:
    return ("api", token)


class UserCache:
    """Bounded (oldest out first), TTL-limited user rows; see the module docstring."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        redis: Redis | None = None,
        prefix: str = "strmline",
    ) -> None:
        self.ttl = ttl
        self.redis = redis
        self.channel = f"{prefix}:users"
        self._listener: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[Any]] = set()
        self.max_entries = max_entries
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[float, int, dict[str, Any]]] = OrderedDict()
        # Bumped by every invalidation; a load that started before one is not stored.
        self.epoch = 0
        _caches.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> User | None:
        """A detached copy of the cached user, or None (missing, expired)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self.hits += 1
        return _detached(entry[2])

    def put(self, key: Hashable, user: User, *, epoch: int) -> None:
        """Store ``user`` unless an invalidation happened since ``epoch`` was read."""
        if self.ttl <= 0 or epoch != self.epoch:
            return
        self._entries[key] = (self.clock() + self.ttl, user.id, _snapshot(user))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, user_ids: set[int]) -> None:
        self.epoch += 1
        stale = [k for k, (_, uid, _) in self._entries.items() if uid in user_ids]
        for key in stale:
            del self._entries[key]

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()

    # -- Redis: changes committed here reach the other processes' caches at once ---------------

    def announce(self, user_ids: set[int]) -> None:
        """Publish ``user_ids`` to the other processes (from a sync hook: sent by a task)."""
        if self.redis is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the TTL is the bound
            return
        task = loop.create_task(self._publish(",".join(str(i) for i in sorted(user_ids))))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _publish(self, payload: str) -> None:
        assert self.redis is not None
        try:
            await self.redis.publish(self.channel, payload)
        except (RedisError, OSError) as exc:
            log.warning(
                "could not announce a user change (%s); other processes wait for the TTL", exc
            )

    def start(self) -> None:
        """Listen for other processes' changes (with Redis; nothing to do without)."""
        if self.redis is not None and (self._listener is None or self._listener.done()):
            self._listener = asyncio.create_task(self._listen(self.redis), name="user-cache")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        for task in list(self._sends):
            with contextlib.suppress(Exception):
                await task

    async def _listen(self, redis: Redis) -> None:
        while True:
            pubsub: Any = redis.pubsub()  # redis-py leaves parts of PubSub untyped
            try:
                await pubsub.subscribe(self.channel)
                # Messages sent while not subscribed are lost: start from an empty cache.
                self.clear()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None:
                        self._on_message(message.get("data"))
            except (RedisError, OSError) as exc:
                log.warning("user change channel lost (%s); entries expire by TTL meanwhile", exc)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _on_message(self, data: Any) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        ids = {int(part) for part in text.split(",") if part.strip().isdigit()}
        if ids:
            self.invalidate(ids)


def _snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _COLUMNS}


def _detached(values: dict[str, Any]) -> User:
    # Detached with its identity, like a row loaded by a session that closed: reading it runs
    # no SQL, and merging it into a session later would never INSERT it again.
    user = User(**values)
    make_transient_to_detached(user)
    return user


def invalidate_users(user_ids: set[int]) -> None:
    """Drop these users from every cache of this process, and tell the other processes."""
    for cache in list(_caches):
        cache.invalidate(user_ids)
        cache.announce(user_ids)


# -- the session hooks: a committed change to a user drops them from every cache --------------


def _after_flush(session: Session, _context: Any) -> None:
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    for obj in session.dirty:
        if isinstance(obj, User) and session.is_modified(obj) and obj.id is not None:
            changed.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, User) and obj.id is not None:
            changed.add(obj.id)


def _after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        invalidate_users(changed)


if not event.contains(Session, "after_flush", _after_flush):
    event.listen(Session, "after_flush", _after_flush)
    # No rollback hook: ids kept after a rollback only cause a harmless extra invalidation.
    event.listen(Session, "after_commit", _after_commit)
