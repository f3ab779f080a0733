"""Connections held open to each provider, streams per user, and who is watching: who may open
another.

IPTV accounts allow a few simultaneous streams (``max_connections``); one more and the provider
refuses, or worse, cuts a viewer off. Health checks and the playback proxy both open streams, so
both go through one :class:`ConnectionTracker`: a viewer may take any free slot, a health check
never takes the last free slot of a provider someone is watching (the viewer may need it to fail
over). The proxy also counts the channels each user watches (``playback.max_streams_per_user``)
and lists its viewers (``GET /api/streams/active``).

Two backends behind one interface (``take``/``wait``/``hold``, ``Lease.release``):
:class:`ConnectionTracker` counts in this process (the embedded setup, one process);
:class:`RedisConnectionTracker`, chosen by :func:`tracker_for` when ``STRMLINE_REDIS_URL`` is set,
counts for every API process and worker together. There each slot is a lease: a member
``process:lease`` of a sorted set per provider and purpose, scored with its expiry time. A
heartbeat task pushes the expiry of every lease this process holds forward while it is alive;
a process that dies stops refreshing, and its leases stop counting once they expire. Counting
and taking happen in one Lua script (drop expired members, count, add), so two processes can
never both take the last slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from strmline.playback.errors import ProxyFailed

Purpose = Literal["view", "health"]

__all__ = [
    "ConnectionTracker",
    "Lease",
    "Purpose",
    "RedisConnectionTracker",
    "limit_from",
    "tracker",
    "tracker_for",
]

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0  # a lease not refreshed this long belongs to a dead process
HEARTBEAT_SECONDS = 5.0
POLL_SECONDS = 0.25  # how often a waiter asks Redis again (other processes do not wake it)


def limit_from(max_connections: int | None, account: dict[str, Any] | None) -> int | None:
    """A provider's connection limit: the Xtream account's own answer first, then the column."""
    if isinstance(account, dict):
        for source in (account, account.get("user_info")):
            if isinstance(source, dict):
                value = source.get("max_connections")
                try:
                    n = int(value) if value is not None and value != "" else 0
                except (TypeError, ValueError):
                    n = 0
                if n > 0:
                    return n
    return max_connections if max_connections and max_connections > 0 else None


@dataclass
class _Usage:
    view: int = 0
    health: int = 0

    @property
    def total(self) -> int:
        return self.view + self.health


@dataclass(eq=False)
class Lease:
    """One open connection (or one user's stream); release it once (twice is harmless).

    ``user_id`` is set for a user's stream slot, ``provider_id`` for a provider connection.
    ``member`` is the lease's name in Redis (None when counted in this process only)."""

    tracker: ConnectionTracker
    provider_id: int
    purpose: Purpose
    released: bool = field(default=False)
    user_id: int | None = None
    member: str | None = None

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.tracker._release(self)


class ConnectionTracker:
    """The in-process backend: counts live in this process's memory."""

    def __init__(self) -> None:
        # Names this process's viewers apart from every other process's (``stop`` routes by it).
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._usage: dict[int, _Usage] = {}
        self._users: dict[int, int] = {}
        self._stoppers: dict[str, Callable[[], None]] = {}  # viewer name → how to end it
        # Plain futures rather than an asyncio.Condition: the module-level tracker outlives any
        # one event loop (CLI runs, test loops), and a Condition binds to the first loop it sees.
        self._waiters: set[asyncio.Future[None]] = set()

    # -- counting -----------------------------------------------------------------------------

    def usage(self, provider_id: int) -> tuple[int, int]:
        """(viewers, health checks) connected to the provider now, from this process."""
        u = self._usage.get(provider_id)
        return (u.view, u.health) if u else (0, 0)

    def snapshot(self) -> dict[int, dict[str, int]]:
        return {pid: {"view": u.view, "health": u.health} for pid, u in self._usage.items()}

    async def counts(self, provider_id: int) -> tuple[int, int]:
        """(viewers, health checks) connected to the provider now, from every process."""
        return self.usage(provider_id)

    def can_acquire(self, provider_id: int, purpose: Purpose, limit: int | None) -> bool:
        if limit is None:
            return True
        u = self._usage.get(provider_id) or _Usage()
        return _fits(purpose, u.view, u.health, limit)

    def acquire(self, provider_id: int, purpose: Purpose, limit: int | None) -> Lease | None:
        """A slot now, or None when the provider is at its limit for this purpose."""
        if not self.can_acquire(provider_id, purpose, limit):
            return None
        u = self._usage.setdefault(provider_id, _Usage())
        if purpose == "view":
            u.view += 1
        else:
            u.health += 1
        return Lease(self, provider_id, purpose)

    async def take(self, provider_id: int, purpose: Purpose, limit: int | None) -> Lease | None:
        """A slot now, or None at the limit (what the proxy and the health check call)."""
        return self.acquire(provider_id, purpose, limit)

    async def take_user(self, user_id: int, limit: int | None) -> Lease | None:
        """One of the user's stream slots (``limit`` streams at once; None: no limit)."""
        held = self._users.get(user_id, 0)
        if limit is not None and held >= limit:
            return None
        self._users[user_id] = held + 1
        return Lease(self, 0, "view", user_id=user_id)

    async def wait(
        self, provider_id: int, purpose: Purpose, limit: int | None, *, wait_seconds: float
    ) -> Lease | None:
        """A slot as soon as one frees up; None after ``wait_seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while (lease := await self.take(provider_id, purpose, limit)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, min(remaining, self._poll_seconds()))
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)
        return lease

    def _poll_seconds(self) -> float:
        return float("inf")  # in-process: every release wakes the waiters, no need to poll

    @contextlib.asynccontextmanager
    async def hold(
        self, provider_id: int, purpose: Purpose, limit: int | None, *, wait_seconds: float
    ) -> AsyncIterator[Lease | None]:
        lease = await self.wait(provider_id, purpose, limit, wait_seconds=wait_seconds)
        try:
            yield lease
        finally:
            if lease is not None:
                lease.release()

    def _release(self, lease: Lease) -> None:
        if lease.user_id is not None:
            held = self._users.get(lease.user_id, 0) - 1
            if held > 0:
                self._users[lease.user_id] = held
            else:
                self._users.pop(lease.user_id, None)
            return
        u = self._usage.get(lease.provider_id)
        if u is None:
            return
        if lease.purpose == "view":
            u.view = max(u.view - 1, 0)
        else:
            u.health = max(u.health - 1, 0)
        if u.total == 0:
            self._usage.pop(lease.provider_id, None)
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # a waiter of a loop that is gone
                if not waiter.done():
                    waiter.set_result(None)

    # -- who is watching ----------------------------------------------------------------------

    def viewer_name(self, key: str) -> str:
        """A viewer's name across processes (what ``GET /api/streams/active`` calls its id)."""
        return f"{self.process}:{key}"

    def watch(self, key: str, info: Callable[[], dict[str, Any]], stop: Callable[[], None]) -> None:
        """Announce a viewer; ``info`` describes it now (called again at every heartbeat),
        ``stop`` ends its stream (an admin's :meth:`stop`)."""
        self._stoppers[self.viewer_name(key)] = stop

    def unwatch(self, key: str) -> None:
        """The viewer left."""
        self._stoppers.pop(self.viewer_name(key), None)

    async def viewers(self, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every viewer: ``local`` is this process's list, which in-process is all of them."""
        return local

    async def stop(self, name: str) -> bool:
        """End a viewer's stream, in whichever process serves it; False: no such viewer."""
        return self._stop_here(name)

    def _stop_here(self, name: str) -> bool:
        stop = self._stoppers.pop(name, None)
        if stop is None:
            return False
        stop()
        return True

    async def close(self) -> None:
        """Stop background work (the Redis backend's heartbeat); leases still held expire."""


def _fits(purpose: Purpose, view: int, health: int, limit: int) -> bool:
    free = limit - view - health
    if purpose == "view":
        return free >= 1
    # Leave the last slot to the viewer, so a failing stream can still switch.
    return free >= (2 if view > 0 else 1)


# KEYS[1]: the set to add to; KEYS[2]: the set counted with it (the same key for user slots).
# ARGV: now, expiry, member, limit (0: none), reserve ("1": a health check, which needs two
# free slots while anyone watches), key lifetime in ms.
_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local mine = redis.call('ZCARD', KEYS[1])
local other = 0
if KEYS[2] ~= KEYS[1] then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  other = redis.call('ZCARD', KEYS[2])
end
local limit = tonumber(ARGV[4])
if limit > 0 then
  local need = 1
  if ARGV[5] == '1' and other > 0 then need = 2 end
  if limit - mine - other < need then return 0 end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""

# KEYS[1]: a lease set; ARGV[1]: now. Live members only.
_COUNT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1]: the viewers' expiry set, KEYS[2]: their descriptions; ARGV[1]: now.
_VIEWERS = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  redis.call('HDEL', KEYS[2], unpack(gone))
end
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
if #live == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(live))
"""


class RedisConnectionTracker(ConnectionTracker):
    """Counts shared by every process using one Redis (and key prefix), through leases.

    ``take``, ``wait`` and ``hold`` count across processes; the synchronous ``acquire`` (and
    ``take`` while Redis is unreachable) counts in this process only, as the base class does."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "strmline",
        lease_seconds: float = LEASE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        super().__init__()
        self.redis = redis
        self.prefix = f"{prefix}:conn"
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._ids = itertools.count(1)
        self._held: dict[str, str] = {}  # member → its set's key
        self._watched: dict[str, Callable[[], dict[str, Any]]] = {}
        self._take = redis.register_script(_TAKE)
        self._count = redis.register_script(_COUNT)
        self._list = redis.register_script(_VIEWERS)
        self._heartbeat: asyncio.Task[None] | None = None
        self._stop_listener: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._warned = False

    def _key(self, provider_id: int, purpose: Purpose) -> str:
        return f"{self.prefix}:p{provider_id}:{purpose}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:u{user_id}"

    async def counts(self, provider_id: int) -> tuple[int, int]:
        now = time.time()
        view = await self._count(keys=[self._key(provider_id, "view")], args=[now])
        health = await self._count(keys=[self._key(provider_id, "health")], args=[now])
        return int(view), int(health)

    async def take(self, provider_id: int, purpose: Purpose, limit: int | None) -> Lease | None:
        other: Purpose = "health" if purpose == "view" else "view"
        keys = [self._key(provider_id, purpose), self._key(provider_id, other)]
        try:
            member = await self._lease(keys, limit, reserve=purpose == "health")
        except (RedisError, OSError) as exc:
            self._degraded(exc)
            return super().acquire(provider_id, purpose, limit)
        return None if member is None else Lease(self, provider_id, purpose, member=member)

    async def take_user(self, user_id: int, limit: int | None) -> Lease | None:
        key = self._user_key(user_id)
        try:
            member = await self._lease([key, key], limit, reserve=False)
        except (RedisError, OSError) as exc:
            self._degraded(exc)
            return await super().take_user(user_id, limit)
        return None if member is None else Lease(self, 0, "view", user_id=user_id, member=member)

    async def _lease(self, keys: list[str], limit: int | None, *, reserve: bool) -> str | None:
        """The new lease's member name, or None at the limit."""
        member = f"{self.process}:{next(self._ids)}"
        now = time.time()
        args: list[str | float | int] = [
            now,
            now + self.lease_seconds,
            member,
            limit or 0,
            "1" if reserve else "0",
            int(self.lease_seconds * 2000),
        ]
        if not await self._take(keys=keys, args=args):
            return None
        self._held[member] = keys[0]
        self._ensure_heartbeat()
        return member

    def _degraded(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning("connection limits counted per process: Redis failed (%s)", exc)

    def _poll_seconds(self) -> float:
        return POLL_SECONDS

    def _release(self, lease: Lease) -> None:
        if lease.member is None:
            super()._release(lease)
            return
        key = self._held.pop(lease.member, None)
        if key is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._forget(key, lease.member))
        except RuntimeError:  # no loop any more (shutdown): the lease expires on its own
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _forget(self, key: str, member: str) -> None:
        try:
            await self.redis.zrem(key, member)
        except (RedisError, OSError) as exc:
            log.info("could not release lease %s (it expires on its own): %s", member, exc)
        self._wake()

    # -- viewers ------------------------------------------------------------------------------

    def watch(self, key: str, info: Callable[[], dict[str, Any]], stop: Callable[[], None]) -> None:
        super().watch(key, info, stop)
        name = self.viewer_name(key)
        self._watched[name] = info
        self._ensure_heartbeat()
        self._ensure_stop_listener()
        self._spawn(self._list_one(name, info))

    def unwatch(self, key: str) -> None:
        super().unwatch(key)
        name = self.viewer_name(key)
        if self._watched.pop(name, None) is not None:
            self._spawn(self._unlist(name))

    async def _list_one(self, name: str, info: Callable[[], dict[str, Any]]) -> None:
        viewers, data = f"{self.prefix}:viewers", f"{self.prefix}:viewers:data"
        ttl = int(self.lease_seconds * 2000)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(viewers, {name: time.time() + self.lease_seconds})
                pipe.hset(data, name, orjson.dumps(info(), default=str))
                pipe.pexpire(viewers, ttl)
                pipe.pexpire(data, ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.info("could not list viewer %s (the heartbeat retries): %s", name, exc)

    async def _unlist(self, name: str) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(f"{self.prefix}:viewers", name)
                pipe.hdel(f"{self.prefix}:viewers:data", name)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.info("could not unlist viewer %s (it expires on its own): %s", name, exc)

    async def viewers(self, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            rows = await self._list(
                keys=[f"{self.prefix}:viewers", f"{self.prefix}:viewers:data"], args=[time.time()]
            )
        except (RedisError, OSError) as exc:
            self._degraded(exc)
            return local
        return [orjson.loads(row) for row in rows if row]

    # -- stopping a viewer of any process -----------------------------------------------------

    @property
    def _stop_channel(self) -> str:
        return f"{self.prefix}:viewers:stop"

    async def stop(self, name: str) -> bool:
        if self._stop_here(name):
            return True
        if name.startswith(f"{self.process}:"):
            return False  # ours, and gone already
        # Another process's viewer: it must be listed (alive), and that process listening.
        try:
            score = await self.redis.zscore(f"{self.prefix}:viewers", name)
            if score is None or score < time.time():
                return False
            return int(await self.redis.publish(self._stop_channel, name)) > 0
        except (RedisError, OSError) as exc:
            raise ProxyFailed(f"could not ask the other strmline processes (Redis: {exc})") from exc

    def _ensure_stop_listener(self) -> None:
        if self._stop_listener is None or self._stop_listener.done():
            self._stop_listener = asyncio.get_running_loop().create_task(
                self._listen_for_stops(), name="strmline-viewer-stops"
            )

    async def _listen_for_stops(self) -> None:
        """Run while this process lives: another process's admin may stop one of our viewers."""
        while True:
            pubsub: Any = self.redis.pubsub()  # redis-py leaves parts of PubSub untyped
            try:
                await pubsub.subscribe(self._stop_channel)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None:
                        data = message.get("data")
                        self._stop_here(data.decode() if isinstance(data, bytes) else str(data))
            except (RedisError, OSError) as exc:
                log.info("viewer stop channel lost (retrying): %s", exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # -- heartbeat ----------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._beat(), name="strmline-connection-leases"
            )

    async def _beat(self) -> None:
        while self._held or self._watched:
            await asyncio.sleep(self.heartbeat_seconds)
            await self._refresh()

    async def _refresh(self) -> None:
        """Push every held lease's and listed viewer's expiry forward (re-adding any that
        expired while this process was too busy to beat: its connections are still open)."""
        expiry = time.time() + self.lease_seconds
        ttl = int(self.lease_seconds * 2000)
        viewers, data = f"{self.prefix}:viewers", f"{self.prefix}:viewers:data"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for member, key in list(self._held.items()):
                    pipe.zadd(key, {member: expiry})
                    pipe.pexpire(key, ttl)
                for name, info in list(self._watched.items()):
                    pipe.zadd(viewers, {name: expiry})
                    pipe.hset(data, name, orjson.dumps(info(), default=str))
                if self._watched:
                    pipe.pexpire(viewers, ttl)
                    pipe.pexpire(data, ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.info("connection lease heartbeat failed (retrying): %s", exc)

    async def close(self) -> None:
        """Stop the heartbeat and let pending releases finish (held leases then expire)."""
        for task in (self._heartbeat, self._stop_listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._heartbeat = self._stop_listener = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


# The process's one in-process tracker: the API's proxy and the in-process health job share it.
tracker = ConnectionTracker()

# Redis trackers per event loop (a Redis client binds to the loop it first runs on) and URL.
_shared: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], RedisConnectionTracker]
] = weakref.WeakKeyDictionary()


def tracker_for(redis_url: str | None, prefix: str = "strmline") -> ConnectionTracker:
    """The tracker every part of this process shares: Redis-backed when a URL is set (call it
    from inside the event loop that will use it), else the in-process one."""
    if not redis_url:
        return tracker
    per_loop = _shared.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get((redis_url, prefix))
    if found is None:
        found = per_loop[(redis_url, prefix)] = RedisConnectionTracker(
            Redis.from_url(redis_url), prefix=prefix
        )
    return found
