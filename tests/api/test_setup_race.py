"""First-run setup creates exactly one admin, however many requests race for it."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from strmline.db.models import User


async def test_concurrent_setups_create_one_admin(client: httpx.AsyncClient, app: FastAPI) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/api/setup", json={"username": f"admin{i}", "password": "long enough 1"})
            for i in range(8)
        )
    )
    got = sorted(r.status_code for r in responses)
    assert got == [201] + [409] * 7, [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"]["message"] == "setup is already done: log in instead"
    async with app.state.session_factory() as session:
        rows = (await session.execute(select(User.username, User.role))).all()
        assert len(rows) == 1 and rows[0].role == "admin"
        assert await session.scalar(select(func.count()).select_from(User)) == 1
    assert (await client.get("/api/setup")).json() == {"needs_setup": False}
    winner = next(r for r in responses if r.status_code == 201)
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {winner.json()['access_token']}"}
    )
    assert me.json()["username"] == rows[0].username


async def test_setup_with_a_bad_password_leaves_setup_open(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/setup", json={"username": "admin", "password": "short"})
    assert r.status_code in (400, 422)
    assert (await client.get("/api/setup")).json() == {"needs_setup": True}
