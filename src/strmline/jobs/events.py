"""Job events (queued, progress, finished) and cancel requests, in-process or through Redis.

Events are plain dicts::

    {"type": "job.queued", "job_id": 1, "kind": "sync", "trigger": "api", "resource": "provider:3"}
    {"type": "job.progress", "job_id": 1, "kind": "sync", "progress": 10, "total": 99, "message": "…"}
    {"type": "job.finished", "job_id": 1, "kind": "sync", "state": "succeeded", "result": {}, "error": None}

Subscribers must never slow a job down, so each has a bounded buffer that drops its oldest events
when the subscriber falls behind; ``Subscription.dropped`` counts them. Progress events only say
where a job is now, so losing old ones is harmless, and ``job.finished`` is also in the job row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

log = logging.getLogger(__name__)

Event = dict[str, Any]
DEFAULT_BUFFER = 256
CANCEL_TTL_SECONDS = 24 * 3600


class Subscription:
    """An async iterator of events; use as ``async with bus.subscribe() as events``."""

    def __init__(self, maxsize: int = DEFAULT_BUFFER) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0
        self._waiters: set[asyncio.Task[Any]] = set()

    def _put(self, event: Event) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self._queue.get_nowait()
                    self.dropped += 1

    async def get(self) -> Event:
        task = asyncio.current_task()
        if task is not None:
            self._waiters.add(task)
        try:
            return await self._queue.get()
        finally:
            if task is not None:
                self._waiters.discard(task)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    async def __aenter__(self) -> Subscription:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cancel_waiters()
        await self._close()

    def _cancel_waiters(self) -> None:
        # A task still waiting in get() (the SSE relay runs get() in a task of its own) would wait
        # forever: nothing publishes to a closed subscription. Left alone, it is only referenced
        # by the queue it waits on, and the garbage collector destroys it pending ("Task was
        # destroyed but it is pending"). Cancelling hands it to the loop, which finishes it.
        # Done first and without awaiting, so it also happens when the exit itself is cancelled.
        me = asyncio.current_task()
        for task in list(self._waiters):
            if task is not me and not task.done():
                task.cancel()
        self._waiters.clear()

    async def _open(self) -> None:
        return None

    async def _close(self) -> None:
        return None


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, maxsize: int = DEFAULT_BUFFER) -> Subscription: ...

    async def request_cancel(self, job_id: int) -> None: ...

    async def cancel_requested(self, job_id: int) -> bool: ...

    async def clear_cancel(self, job_id: int) -> None: ...

    async def close(self) -> None: ...


class _LocalSubscription(Subscription):
    def __init__(self, bus: LocalEventBus, maxsize: int) -> None:
        super().__init__(maxsize)
        self._bus = bus

    async def _open(self) -> None:
        self._bus._subscribers.add(self)

    async def _close(self) -> None:
        self._bus._subscribers.discard(self)


class LocalEventBus:
    """One process, one event loop: the embedded mode."""

    def __init__(self) -> None:
        self._subscribers: set[_LocalSubscription] = set()
        self._cancelled: set[int] = set()

    async def publish(self, event: Event) -> None:
        for sub in list(self._subscribers):
            sub._put(event)

    def subscribe(self, maxsize: int = DEFAULT_BUFFER) -> Subscription:
        return _LocalSubscription(self, maxsize)

    async def request_cancel(self, job_id: int) -> None:
        self._cancelled.add(job_id)

    async def cancel_requested(self, job_id: int) -> bool:
        return job_id in self._cancelled

    async def clear_cancel(self, job_id: int) -> None:
        self._cancelled.discard(job_id)

    async def close(self) -> None:
        self._subscribers.clear()


class _RedisSubscription(Subscription):
    def __init__(self, bus: RedisEventBus, maxsize: int) -> None:
        super().__init__(maxsize)
        self._bus = bus
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def _open(self) -> None:
        self._pubsub = self._bus.redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self._bus.channel)
        # Reading in a task moves events off the socket into the bounded buffer, so a slow
        # subscriber loses old events here instead of making Redis buffer them without limit.
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while not self._closing:
            msg = await self._pubsub.get_message(timeout=0.5)
            if msg is None or msg.get("type") != "message":
                continue
            try:
                self._put(orjson.loads(msg["data"]))
            except orjson.JSONDecodeError:
                log.warning("ignoring a malformed event on %s", self._bus.channel)

    async def _close(self) -> None:
        # Stopped by a flag, not cancelled: redis-py can swallow a CancelledError that lands
        # inside a command and keep the task running.
        self._closing = True
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 3)
            except TimeoutError:
                self._reader.cancel()
            except Exception as exc:
                log.warning("event reader on %s failed: %s", self._bus.channel, exc)
        if self._pubsub is not None:
            await self._pubsub.unsubscribe()
            await self._pubsub.aclose()


class RedisEventBus:
    """Events on the ``<prefix>:events`` channel and cancel flags at ``<prefix>:cancel:<job id>``."""

    def __init__(self, url: str, *, prefix: str = "strmline") -> None:
        self.redis: aioredis.Redis = aioredis.Redis.from_url(url)
        self.prefix = prefix
        self.channel = f"{prefix}:events"

    async def publish(self, event: Event) -> None:
        await self.redis.publish(self.channel, orjson.dumps(event, default=str))

    def subscribe(self, maxsize: int = DEFAULT_BUFFER) -> Subscription:
        return _RedisSubscription(self, maxsize)

    def _cancel_key(self, job_id: int) -> str:
        return f"{self.prefix}:cancel:{job_id}"

    async def request_cancel(self, job_id: int) -> None:
        await self.redis.set(self._cancel_key(job_id), b"1", ex=CANCEL_TTL_SECONDS)

    async def cancel_requested(self, job_id: int) -> bool:
        return bool(await self.redis.exists(self._cancel_key(job_id)))

    async def clear_cancel(self, job_id: int) -> None:
        await self.redis.delete(self._cancel_key(job_id))

    async def close(self) -> None:
        await self.redis.aclose()


def make_event_bus(redis_url: str | None, *, prefix: str = "strmline") -> EventBus:
    return RedisEventBus(redis_url, prefix=prefix) if redis_url else LocalEventBus()
