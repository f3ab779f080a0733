"""The login limiter's counters, in-process and in Redis (shared by every API process)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from strmline.api.ratelimit import LoginLimiter

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"
Make = Callable[..., LoginLimiter]


@pytest.fixture(params=["local", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Builds limiters; with Redis, every one built shares the same store (as API processes do)."""
    if request.param == "local":
        shared: list[LoginLimiter] = []

        def local(**kw: object) -> LoginLimiter:
            # In-process counters belong to one process: hand back the same limiter.
            if not shared:
                shared.append(LoginLimiter(**kw))  # type: ignore[arg-type]
            return shared[0]

        yield local
        return
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} not set: Redis limiter tests skipped")
    redis = Redis.from_url(url)
    prefix = f"strmline-test-{uuid.uuid4().hex[:10]}"
    try:
        yield lambda **kw: LoginLimiter(redis=redis, prefix=prefix, **kw)
        keys = [k async for k in redis.scan_iter(f"{prefix}:login:*")]
        assert keys, "the counters should live in Redis"
        assert not any(b"admin" in k for k in keys), "usernames are hashed in keys"
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_failures_per_pair_and_address_across_processes(make: Make) -> None:
    one, two = make(per_account=3, per_address=5), make(per_account=3, per_address=5)
    assert [await one.attempt("192.0.2.1", "admin") for _ in range(3)] == [None] * 3
    refused = await two.attempt("192.0.2.1", "Admin ")  # same account, another process
    assert refused is not None and 0 < refused.retry_after <= 300
    assert await two.attempt("192.0.2.2", "admin") is None  # another address is unaffected
    assert await one.attempt("192.0.2.1", "bob") is None
    assert await one.attempt("192.0.2.1", "carol") is None
    # Five failures from 192.0.2.1 in all: the address is spent for every username.
    assert await two.attempt("192.0.2.1", "dave") is not None


async def test_refusals_are_not_charged_and_success_gives_back(make: Make) -> None:
    limiter = make(per_account=2, per_address=3)
    assert await limiter.attempt("192.0.2.9", "admin") is None
    assert await limiter.attempt("192.0.2.9", "admin") is None
    for _ in range(5):  # refused: neither counter grows
        assert await limiter.attempt("192.0.2.9", "admin") is not None
    assert await limiter.attempt("192.0.2.9", "bob") is None  # address at 3 of 3
    await limiter.succeeded("192.0.2.9", "bob")  # bob got in: his attempt is given back
    assert await limiter.attempt("192.0.2.9", "bob") is None
    assert await limiter.attempt("192.0.2.9", "carol") is not None


async def test_a_window_starts_at_the_first_failure_and_ends(make: Make) -> None:
    limiter = make(per_account=2, per_address=10, window=1.0)
    assert await limiter.attempt("192.0.2.5", "admin") is None
    assert await limiter.attempt("192.0.2.5", "admin") is None
    refused = await limiter.attempt("192.0.2.5", "admin")
    assert refused is not None and 0 < refused.retry_after <= 1.0
    await asyncio.sleep(refused.retry_after + 0.1)
    assert await limiter.attempt("192.0.2.5", "admin") is None
