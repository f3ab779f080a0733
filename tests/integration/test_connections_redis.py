"""Connection limits shared through Redis: two trackers, as two processes hold them, never give
out more slots than a provider allows, and the leases of a process that died expire."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from strmline.playback.connections import Lease, RedisConnectionTracker

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
REDIS_URL = os.environ.get(REDIS_ENV)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason=f"{REDIS_ENV} not set: Redis tests skipped"),
    pytest.mark.timeout(30),
]


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test only; every key under it is deleted afterwards."""
    value = f"strmline-test-conn-{uuid.uuid4().hex[:10]}"
    yield value
    client = Redis.from_url(REDIS_URL or "")
    try:
        keys = [k async for k in client.scan_iter(match=f"{value}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def process(prefix: str, **kwargs: float) -> RedisConnectionTracker:
    """A tracker with its own Redis connection, as each API process or worker has."""
    return RedisConnectionTracker(Redis.from_url(REDIS_URL or ""), prefix=prefix, **kwargs)


async def shut(*trackers: RedisConnectionTracker) -> None:
    for t in trackers:
        await t.close()
        await t.redis.aclose()


async def test_two_processes_together_never_exceed_the_limit(prefix: str) -> None:
    a, b = process(prefix), process(prefix)
    try:
        # Forty viewers at once, half through each process, for a provider allowing three.
        attempts = [(a if n % 2 else b).take(7, "view", 3) for n in range(40)]
        got = [lease for lease in await asyncio.gather(*attempts) if lease is not None]
        assert len(got) == 3
        assert await a.counts(7) == await b.counts(7) == (3, 0)
        # A health check never takes a provider's last slot while someone watches ...
        got[0].release()
        await a.close()  # lets the release reach Redis
        await b.close()
        assert await b.take(7, "health", 3) is None
        # ... but a viewer may, and the slot freed in one process serves the other.
        viewer = await b.take(7, "view", 3)
        assert viewer is not None
        assert await a.take(7, "view", 3) is None
        assert (await a.counts(7))[0] == 3
        # Another provider is counted apart.
        assert await a.take(8, "view", 1) is not None
    finally:
        await shut(a, b)


async def test_a_waiter_gets_the_slot_another_process_frees(prefix: str) -> None:
    a, b = process(prefix), process(prefix)
    try:
        held = await a.take(3, "view", 1)
        assert held is not None
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, held.release)
        started = loop.time()
        lease = await b.wait(3, "health", 1, wait_seconds=5)
        assert lease is not None, "the freed slot was never seen by the other process"
        assert 0.4 < loop.time() - started < 3
    finally:
        await shut(a, b)


async def test_the_leases_of_a_dead_process_expire(prefix: str) -> None:
    alive = process(prefix, lease_seconds=1.0, heartbeat_seconds=0.2)
    dead = process(prefix, lease_seconds=1.0, heartbeat_seconds=0.2)
    other = process(prefix, lease_seconds=1.0, heartbeat_seconds=0.2)
    try:
        kept = await alive.take(5, "view", 2)
        lost = await dead.take(5, "view", 2)
        assert kept is not None and lost is not None
        assert await other.take(5, "view", 2) is None
        # The process dies: its heartbeat stops, nobody releases its lease.
        assert dead._heartbeat is not None
        dead._heartbeat.cancel()
        await asyncio.sleep(1.6)  # longer than a lease, shorter than the heartbeat keeps one
        # The living process's lease was refreshed and still counts; the dead one's is gone.
        assert await other.counts(5) == (1, 0)
        lease = await other.take(5, "view", 2)
        assert lease is not None
        assert await other.take(5, "view", 2) is None
    finally:
        await shut(alive, dead, other)


async def test_user_slots_and_viewers_are_shared(prefix: str) -> None:
    a, b = process(prefix), process(prefix)
    try:
        first = await a.take_user(42, 2)
        second = await b.take_user(42, 2)
        assert isinstance(first, Lease) and isinstance(second, Lease)
        assert await a.take_user(42, 2) is None
        assert await b.take_user(43, 2) is not None  # another user
        a.watch("1", lambda: {"channel_id": 1, "user_id": 42}, lambda: None)
        b.watch("9", lambda: {"channel_id": 2, "user_id": 42}, lambda: None)
        await asyncio.sleep(0.2)  # the announcements are written in the background
        listed = await a.viewers([])
        assert sorted(v["channel_id"] for v in listed) == [1, 2]
        b.unwatch("9")
        first.release()
        await b.close()
        await a.close()
        assert [v["channel_id"] for v in await b.viewers([])] == [1]
        assert await b.take_user(42, 2) is not None
    finally:
        await shut(a, b)


async def test_an_admin_in_one_process_stops_a_viewer_of_another(prefix: str) -> None:
    a, b = process(prefix), process(prefix)
    stopped: list[str] = []
    try:
        b.watch("7", lambda: {"channel_id": 3}, lambda: stopped.append("b7"))
        b.watch("8", lambda: {"channel_id": 4}, lambda: stopped.append("b8"))
        for _ in range(50):  # listed and b's stop listener subscribed, in the background
            if len(await a.viewers([])) == 2 and await a.redis.pubsub_numsub(
                f"{prefix}:conn:viewers:stop"
            ) == [(f"{prefix}:conn:viewers:stop".encode(), 1)]:
                break
            await asyncio.sleep(0.05)
        assert await a.stop(b.viewer_name("7"))
        for _ in range(50):
            if stopped:
                break
            await asyncio.sleep(0.05)
        assert stopped == ["b7"]  # only that viewer; the other goes on
        assert not await a.stop(f"{b.process}:99")  # never listed
        assert not await a.stop("nobody:1:x:1")
        b.unwatch("8")
        await asyncio.sleep(0.2)
        assert not await a.stop(b.viewer_name("8"))  # left: nothing to stop
        assert stopped == ["b7"]
    finally:
        await shut(a, b)


async def test_a_viewer_of_this_process_stops_without_redis_round_trips(prefix: str) -> None:
    a = process(prefix)
    stopped: list[int] = []
    try:
        a.watch("1", lambda: {"channel_id": 1}, lambda: stopped.append(1))
        assert await a.stop(a.viewer_name("1"))
        assert stopped == [1]
        assert not await a.stop(a.viewer_name("1"))  # once
    finally:
        await shut(a)
