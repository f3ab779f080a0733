"""Connection accounting without Redis: per-user stream slots, and a Redis tracker whose server
cannot be reached falling back to counting in this process (never unlimited)."""

from __future__ import annotations

import socket

from redis.asyncio import Redis

from strmline.playback.connections import (
    ConnectionTracker,
    RedisConnectionTracker,
    tracker,
    tracker_for,
)


async def test_user_slots_in_process() -> None:
    t = ConnectionTracker()
    a = await t.take_user(1, 2)
    b = await t.take_user(1, 2)
    assert a is not None and b is not None
    assert await t.take_user(1, 2) is None
    assert await t.take_user(2, 2) is not None  # another user
    a.release()
    a.release()  # twice is harmless
    assert await t.take_user(1, 2) is not None
    assert await t.take_user(1, None) is not None  # no limit
    assert t.snapshot() == {}  # user slots are not provider connections


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_redis_falls_back_to_this_process() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{closed_port()}", socket_connect_timeout=1)
    t = RedisConnectionTracker(redis, prefix="strmline-test")
    try:
        first = await t.take(4, "view", 1)
        assert first is not None and first.member is None  # counted here, not in Redis
        assert await t.take(4, "view", 1) is None  # the limit still holds
        first.release()
        assert await t.take(4, "view", 1) is not None
        assert await t.viewers([{"channel_id": 1}]) == [{"channel_id": 1}]
    finally:
        await t.close()
        await redis.aclose()


async def test_tracker_for_picks_the_backend() -> None:
    assert tracker_for(None) is tracker
    shared = tracker_for("redis://127.0.0.1:6379/0", "strmline-test")
    assert isinstance(shared, RedisConnectionTracker)
    assert tracker_for("redis://127.0.0.1:6379/0", "strmline-test") is shared  # one per loop
    await shared.redis.aclose()
