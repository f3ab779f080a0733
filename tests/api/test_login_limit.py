"""The login limit: counted per trusted client address and per (address, username), so spoofed
X-Forwarded-For headers buy nothing and a guesser cannot lock the real user out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from strmline.api.app import create_app
from strmline.config import Settings
from tests.api.conftest import ADMIN

WRONG = {"username": ADMIN["username"], "password": "wrong guess"}


def peer(app: FastAPI, host: str) -> httpx.AsyncClient:
    """A client whose direct TCP peer address is ``host``."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def codes(client: httpx.AsyncClient, n: int, body: dict[str, str], **kw: object) -> list[int]:
    return [(await client.post("/api/auth/login", json=body, **kw)).status_code for _ in range(n)]  # type: ignore[arg-type]


@pytest.fixture
async def proxied_app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    """The app behind a trusted reverse proxy at 10.0.0.2 (one of a configured network)."""
    settings = api_settings.model_copy(deep=True)
    settings.http.trusted_proxies = ["10.0.0.0/24"]
    application = create_app(settings, scheduler=False, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_spoofed_forwarded_for_gets_no_extra_allowance(
    app: FastAPI, admin: dict[str, str]
) -> None:
    async with peer(app, "127.0.0.1") as c:
        got = [
            (
                await c.post(
                    "/api/auth/login", json=WRONG, headers={"X-Forwarded-For": f"198.51.100.{i}"}
                )
            ).status_code
            for i in range(13)
        ]
    assert got[:10] == [401] * 10 and set(got[10:]) == {429}


async def test_guessing_cannot_lock_out_the_real_user(app: FastAPI, admin: dict[str, str]) -> None:
    async with peer(app, "203.0.113.66") as attacker, peer(app, "192.0.2.10") as owner:
        assert (await codes(attacker, 12, WRONG))[-2:] == [429, 429]
        r = await attacker.post("/api/auth/login", json=ADMIN)
        # From the guesser's own address even the right password is refused: accepting it there
        # would tell the guesser which guess was right.
        assert r.status_code == 429 and "too many failed logins" in r.json()["error"]["message"]
        assert (await owner.post("/api/auth/login", json=ADMIN)).status_code == 200


async def test_success_gives_back_the_allowance(app: FastAPI, admin: dict[str, str]) -> None:
    async with peer(app, "192.0.2.20") as c:
        assert await codes(c, 9, WRONG) == [401] * 9
        assert (await c.post("/api/auth/login", json=ADMIN)).status_code == 200
        # The pair's failures were forgotten: a fresh allowance of 10.
        assert await codes(c, 11, WRONG) == [401] * 10 + [429]
        assert (await c.post("/api/auth/login", json=ADMIN)).status_code == 429


async def test_one_address_trying_many_usernames_is_stopped(
    app: FastAPI, admin: dict[str, str]
) -> None:
    async with peer(app, "203.0.113.7") as c:
        got = [
            (
                await c.post(
                    "/api/auth/login", json={"username": f"user{i}", "password": "nope1234"}
                )
            ).status_code
            for i in range(52)
        ]
    assert got[:50] == [401] * 50 and got[50:] == [429, 429]


async def test_a_burst_of_parallel_guesses_is_counted(app: FastAPI, admin: dict[str, str]) -> None:
    async with peer(app, "203.0.113.9") as c:
        responses = await asyncio.gather(
            *(c.post("/api/auth/login", json=WRONG) for _ in range(25))
        )
    got = sorted(r.status_code for r in responses)
    assert got.count(401) == 10 and got.count(429) == 15


async def test_trusted_proxy_forwards_each_client_address(
    proxied_app: FastAPI, api_settings: Settings
) -> None:
    async with peer(proxied_app, "10.0.0.2") as proxy:
        assert (await proxy.post("/api/setup", json=ADMIN)).status_code == 201
        # nginx's proxy_add_x_forwarded_for appends the real peer: a value the client sent
        # itself stays on the left and is ignored.
        spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.50"}
        assert (await codes(proxy, 11, WRONG, headers=spoofed))[-1] == 429
        other = {"X-Forwarded-For": "198.51.100.2, 203.0.113.50"}
        assert (await proxy.post("/api/auth/login", json=WRONG, headers=other)).status_code == 429
        owner = {"X-Forwarded-For": "192.0.2.44"}
        r = await proxy.post("/api/auth/login", json=ADMIN, headers=owner)
        assert r.status_code == 200
    # A peer outside the trusted network is its own client, whatever it claims.
    async with peer(proxied_app, "10.0.1.2") as outsider:
        claims = {"X-Forwarded-For": "192.0.2.44"}
        got = await codes(outsider, 11, WRONG, headers=claims)
        assert got[-1] == 429
    async with peer(proxied_app, "10.0.0.2") as proxy:
        r = await proxy.post(
            "/api/auth/login", json=ADMIN, headers={"X-Forwarded-For": "192.0.2.44"}
        )
        assert r.status_code == 200


async def test_forwarded_proto_only_from_a_trusted_proxy(
    proxied_app: FastAPI, api_settings: Settings
) -> None:
    async with peer(proxied_app, "10.0.0.2") as proxy:
        assert (await proxy.post("/api/setup", json=ADMIN)).status_code == 201
        headers = {"X-Forwarded-Proto": "https"}
        r = await proxy.get("/api/auth/xtream", headers=await _bearer(proxy) | headers)
        assert r.json()["server"].startswith("https://")
    async with peer(proxied_app, "10.0.1.2") as outsider:
        r = await outsider.get("/api/auth/xtream", headers=await _bearer(outsider) | headers)
        assert r.json()["server"].startswith("http://")


async def _bearer(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/auth/login", json=ADMIN)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
