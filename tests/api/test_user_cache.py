"""The authenticated user without a database round trip, and revocations that still bite."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import text

from strmline.db.engine import session_scope
from strmline.services import users as user_service
from strmline.services.user_cache import UserCache, jwt_key
from tests.api.admin_fixtures import assert_error, seed_catalog
from tests.api.conftest import USER, bearer
from tests.dbutil import StatementCounter

REDIS_ENV = "STRMLINE_TEST_REDIS_URL"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def user_selects(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM users" in s]


async def test_channel_page_reads_no_user_row_when_cached(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    await seed_catalog(app, providers=2, channels=120, streams_per=2)
    app.state.user_cache = UserCache()
    with StatementCounter(app.state.engine) as counter:
        first = await client.get("/api/channels", params={"limit": 50}, headers=admin)
        assert first.status_code == 200, first.text
        assert len(user_selects(counter.statements)) == 1  # a cold cache reads the row once
        counter.reset()
        for cursor in (None, first.json()["next_cursor"]):
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            r = await client.get("/api/channels", params=params, headers=admin)
            assert r.status_code == 200 and len(r.json()["items"]) == 50
            r = await client.get("/api/channels", params={"q": "channel"}, headers=admin)
            assert r.status_code == 200
        assert user_selects(counter.statements) == [], counter.statements
        assert counter.count > 0  # the pages themselves still query
    assert app.state.user_cache.hits >= 4


async def test_logout_and_password_change_refuse_old_tokens_at_once(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert (await client.get("/api/auth/me", headers=viewer)).status_code == 200
    assert len(app.state.user_cache) >= 2
    # Logout revokes every token of the viewer, though their row is cached.
    assert (await client.post("/api/auth/logout", headers=viewer)).status_code == 204
    assert_error(await client.get("/api/channels", headers=viewer), 401, "invalid_token")
    # The admin's own entry survives another user's change.
    assert (await client.get("/api/channels", headers=admin)).status_code == 200

    fresh = await bearer(client, USER)
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": USER["password"], "new_password": "a new long password"},
        headers=fresh,
    )
    assert changed.status_code == 200, changed.text
    assert_error(await client.get("/api/auth/me", headers=fresh), 401, "invalid_token")
    newest = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=newest)).status_code == 200


async def test_role_change_and_removal_apply_at_once(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    me = (await client.get("/api/auth/me", headers=viewer)).json()
    assert me["role"] == "user"
    assert_error(await client.get("/api/users", headers=viewer), 403, "forbidden")
    promoted = await client.patch(f"/api/users/{me['id']}", json={"role": "admin"}, headers=admin)
    assert promoted.status_code == 200, promoted.text
    # The role change bumped the token version: the cached row must not answer for it.
    assert_error(await client.get("/api/users", headers=viewer), 401, "invalid_token")
    again = await bearer(client, USER)
    assert (await client.get("/api/users", headers=again)).status_code == 200
    assert (await client.get("/api/auth/me", headers=again)).json()["role"] == "admin"

    assert (await client.delete(f"/api/users/{me['id']}", headers=admin)).status_code == 204
    assert_error(await client.get("/api/auth/me", headers=again), 401, "invalid_token")


async def test_change_in_another_process_is_in_force_within_the_ttl(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    """Another API process (or the CLI) changes the row: no hook here sees it, the TTL bounds it."""
    clock = Clock()
    app.state.user_cache = UserCache(ttl=5.0, clock=clock)
    me = (await client.get("/api/auth/me", headers=viewer)).json()
    async with session_scope(app.state.session_factory) as s:
        # Plain SQL, as another process would commit it: this process's session hooks see nothing.
        await s.execute(
            text("UPDATE users SET token_version = token_version + 1 WHERE id = :id"),
            {"id": me["id"]},
        )
    clock.now += 2.0
    assert (await client.get("/api/auth/me", headers=viewer)).status_code == 200  # still cached
    clock.now += 3.5
    assert_error(await client.get("/api/auth/me", headers=viewer), 401, "invalid_token")
    # Writes never trust the cache: they read the row and see the change at once.
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            text("UPDATE users SET role = 'admin' WHERE username = :name"), {"name": "admin"}
        )
    fresh = await bearer(client, USER)
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            text("UPDATE users SET is_active = :off WHERE id = :id"), {"off": False, "id": me["id"]}
        )
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200  # cached
    assert_error(await client.post("/api/auth/logout", headers=fresh), 401, "invalid_token")


@pytest.mark.redis
async def test_a_change_announced_over_redis_is_in_force_at_once(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    """Process A commits a change and announces it; process B drops its entry long before the TTL."""
    redis_url = os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"{REDIS_ENV} not set: the Redis announcement is not tested")
    prefix = f"strmline-test-{uuid.uuid4().hex[:10]}"
    redis_a, redis_b = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    other = UserCache(redis=redis_a, prefix=prefix)  # process A's
    here = UserCache(ttl=600, redis=redis_b, prefix=prefix)  # process B's: this app's
    app.state.user_cache = here
    here.start()
    try:
        await asyncio.sleep(0.3)  # B's listener subscribes (and starts empty) once its loop runs
        me = (await client.get("/api/auth/me", headers=viewer)).json()
        async with session_scope(app.state.session_factory) as s:
            # Committed "in process A": plain SQL, so no hook of this process sees it.
            await s.execute(
                text("UPDATE users SET token_version = token_version + 1 WHERE id = :id"),
                {"id": me["id"]},
            )
        assert (await client.get("/api/auth/me", headers=viewer)).status_code == 200  # cached
        other.announce({me["id"]})
        started = time.monotonic()
        while (await client.get("/api/auth/me", headers=viewer)).status_code == 200:
            assert time.monotonic() - started < 3.0, "the announcement did not arrive"
            await asyncio.sleep(0.05)
        assert_error(await client.get("/api/auth/me", headers=viewer), 401, "invalid_token")
        assert (await client.get("/api/auth/me", headers=admin)).status_code == 200
    finally:
        await here.close()
        await other.close()
        await redis_a.aclose()
        await redis_b.aclose()


async def test_api_token_rotation_ends_the_old_token_at_once(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], api_token: str
) -> None:
    assert (await client.get("/output/m3u", params={"token": api_token})).status_code == 200
    rotated = await client.post("/api/auth/api-token", headers=admin)
    assert rotated.status_code == 200
    old = await client.get("/output/m3u", params={"token": api_token})
    assert_error(old, 401, "invalid_api_token")
    new = await client.get("/output/m3u", params={"token": rotated.json()["api_token"]})
    assert new.status_code == 200


async def test_cache_is_bounded_and_skips_loads_that_raced_an_invalidation(
    app: FastAPI, admin: dict[str, str]
) -> None:
    cache = UserCache(max_entries=3)
    async with session_scope(app.state.session_factory) as s:
        user = await user_service.get_by_username(session=s, username="admin")
    assert user is not None
    for version in range(5):
        cache.put(jwt_key(user.id, version), user, epoch=cache.epoch)
    assert len(cache) == 3
    assert cache.get(jwt_key(user.id, 0)) is None and cache.get(jwt_key(user.id, 4)) is not None
    # A row read before a logout committed must not be stored after it.
    epoch = cache.epoch
    cache.invalidate({user.id})
    assert len(cache) == 0
    cache.put(jwt_key(user.id, 9), user, epoch=epoch)
    assert cache.get(jwt_key(user.id, 9)) is None
    # Each hit is a copy: what one request does to its user never reaches the next.
    cache.put(jwt_key(user.id, 9), user, epoch=cache.epoch)
    one = cache.get(jwt_key(user.id, 9))
    assert one is not None
    one.role = "tampered"
    two = cache.get(jwt_key(user.id, 9))
    assert two is not None and two.role == "admin" and two is not one
