"""Helpers for the admin API tests: bulk seeding and statement counting around one request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select

from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Job, MergeRule, Provider, Stream, User
from tests.dbutil import StatementCounter


async def seed_catalog(
    app: FastAPI, *, providers: int, channels: int, streams_per: int, tag: str = "seed"
) -> None:
    """``providers`` providers and ``channels`` channels with ``streams_per`` streams each (one
    per provider, round robin), inserted in a few executemany statements."""
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            insert(Provider),
            [
                {
                    "name": f"{tag}-{i:05d}",
                    "kind": "m3u",
                    "url": f"http://127.0.0.1:9/{i}.m3u",
                    "backup_urls": [],
                    "priority": i % 3,
                    "last_good_entries": 10,
                }
                for i in range(providers)
            ],
        )
        provider_ids = list(
            await s.scalars(select(Provider.id).where(Provider.name.like(f"{tag}-%")))
        )
        if not channels:
            return
        await s.execute(
            insert(Channel),
            [
                {
                    "name": f"{tag} channel {i:05d}",
                    "search_name": f"{tag} channel {i:05d}",
                    "match_key": f"{tag} channel {i:05d}",
                    "category": f"cat {i % 7}",
                    "stream_count": streams_per,
                }
                for i in range(channels)
            ],
        )
        channel_ids = list(
            await s.scalars(select(Channel.id).where(Channel.name.like(f"{tag} channel %")))
        )
        statuses = ("ok", "slow", "failed", "unknown")
        rows = []
        n = 0
        for cid in channel_ids:
            for k in range(streams_per):
                rows.append(
                    {
                        "provider_id": provider_ids[n % len(provider_ids)],
                        "channel_id": cid,
                        "provider_key": f"{tag}{n}",
                        "name": f"s{n}",
                        "url": f"http://127.0.0.1:9/{n}.ts",
                        "content_hash": "x",
                        "status": statuses[n % 4],
                        "active": n % 5 != 0,
                        "rank": k,
                    }
                )
                n += 1
        if rows:
            await s.execute(insert(Stream), rows)


async def seed_jobs(app: FastAPI, count: int, *, state: str = "succeeded") -> None:
    now = utcnow()
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            insert(Job),
            [
                {
                    "kind": "noop",
                    "args": {"i": i},
                    "state": state,
                    "trigger": "api",
                    "created_at": now,
                    "started_at": now,
                    "finished_at": now if state in ("succeeded", "failed", "cancelled") else None,
                }
                for i in range(count)
            ],
        )


async def seed_users(app: FastAPI, count: int, *, tag: str = "user") -> None:
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            insert(User),
            [
                {
                    "username": f"{tag}{i:05d}",
                    "password_hash": "x",
                    "role": "user",
                    "api_token": f"{tag}-token-{i:05d}",
                    "is_active": True,
                    "token_version": 0,
                }
                for i in range(count)
            ],
        )


async def seed_rules(app: FastAPI, count: int) -> None:
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            insert(MergeRule),
            [{"kind": "never", "pattern_a": f"A{i}*", "pattern_b": f"B{i}*"} for i in range(count)],
        )


async def statements(
    app: FastAPI, request: Callable[[], Awaitable[httpx.Response]]
) -> tuple[int, httpx.Response]:
    """How many SQL statements one request sends (asserting it succeeded)."""
    with StatementCounter(app.state.engine) as counter:
        response = await request()
    assert response.status_code < 400, response.text
    return counter.count, response


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert set(error) == {"code", "message", "details"}
    return error
