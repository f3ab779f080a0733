from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from strmline.api.cache import Cache

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"


@pytest.fixture(params=["local", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "local":
        yield Cache(None)
        return
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} not set: Redis cache tests skipped")
    redis = Redis.from_url(url)
    prefix = f"strmline-test-{uuid.uuid4().hex[:10]}"
    try:
        yield Cache(redis, prefix=prefix)
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_hit_miss_bump_and_expiry(cache: Cache) -> None:
    calls = 0

    async def load() -> dict[str, object]:
        nonlocal calls
        calls += 1
        return {"n": calls}

    assert await cache.get_or_set("ns", "k", load, 60) == {"n": 1}
    assert await cache.get_or_set("ns", "k", load, 60) == {"n": 1}
    assert (cache.hits["ns"], cache.misses["ns"]) == (1, 1)
    await cache.bump("other")
    assert await cache.get_or_set("ns", "k", load, 60) == {"n": 1}
    await cache.bump("ns")
    assert await cache.get_or_set("ns", "k", load, 60) == {"n": 2}
    assert await cache.get_or_set("ns", "short", load, 0.05) == {"n": 3}
    await asyncio.sleep(0.1)
    assert await cache.get_or_set("ns", "short", load, 0.05) == {"n": 4}


async def test_redis_down_still_answers() -> None:
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = Cache(broken)
    try:

        async def load() -> list[int]:
            return [1, 2]

        assert await cache.get_or_set("ns", "k", load, 10) == [1, 2]
        await cache.bump("ns")  # logged, not raised
    finally:
        await broken.aclose()
