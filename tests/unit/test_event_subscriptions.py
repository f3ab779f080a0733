"""Closing an event subscription leaves no task behind ("Task was destroyed but it is pending")."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from strmline.jobs.events import LocalEventBus


@contextlib.contextmanager
def loop_problems() -> Iterator[list[dict[str, Any]]]:
    """What the running loop reports to its exception handler meanwhile (destroyed tasks too)."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
    finally:
        loop.set_exception_handler(previous)


async def relay(bus: LocalEventBus, subscribed: asyncio.Event) -> None:
    # The shape of the SSE relay: get() runs in a task of its own, raced against other events.
    async with bus.subscribe() as subscription:
        getter = asyncio.create_task(subscription.get())
        subscribed.set()
        await asyncio.wait({getter}, timeout=60)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    await asyncio.sleep(0)


async def test_subscribe_cancel_shutdown_leaves_no_pending_task() -> None:
    with loop_problems() as problems:
        bus = LocalEventBus()
        for _ in range(3):
            subscribed = asyncio.Event()
            consumer = asyncio.create_task(relay(bus, subscribed))
            await subscribed.wait()
            # How a server ends a stream whose client went away: the request task is cancelled
            # while the relay waits.
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            del consumer
        assert not bus._subscribers
        await bus.close()
        await settle()
    assert [p.get("message") for p in problems] == []


async def test_events_still_arrive_and_iteration_works() -> None:
    bus = LocalEventBus()
    async with bus.subscribe() as subscription:
        await bus.publish({"type": "job.queued", "job_id": 1})
        assert await subscription.get() == {"type": "job.queued", "job_id": 1}
        await bus.publish({"type": "job.finished", "job_id": 1})
        assert await anext(subscription) == {"type": "job.finished", "job_id": 1}
        assert not subscription._waiters


async def test_a_waiter_is_cancelled_when_its_subscription_closes() -> None:
    bus = LocalEventBus()
    async with bus.subscribe() as subscription:
        getter = asyncio.create_task(subscription.get())
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await getter
