"""Integration tests use the database fixtures of tests/conftest.py; the proxy tests share the
server and the waits below."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.outputs import proxy
from strmline.config import Settings
from strmline.db.models import Stream, ViewingSession
from strmline.demo import serve_async
from strmline.playback.connections import ConnectionTracker
from strmline.playback.registry import ProxyRegistry


def make_settings(tmp_path: Path, **playback: Any) -> Settings:
    """Proxy mode with short stall, connect and grace times; ``playback`` overrides them."""
    return Settings(
        data_dir=tmp_path,
        playback={
            "mode": "proxy",
            "stall_seconds": 1.0,
            "connect_timeout": 2.0,
            "grace_seconds": 0.2,
            **playback,
        },
    )


@asynccontextmanager
async def serve_proxy(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[str, FastAPI]]:
    """``proxy_response`` at ``/p/{channel_id}`` on a real server (streaming needs one;
    ASGITransport buffers whole bodies); yields its URL and app, closes the registry after."""
    app = FastAPI()
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.proxy_registry = ProxyRegistry(settings, session_factory, tracker=ConnectionTracker())

    @app.get("/p/{channel_id}")
    async def play(channel_id: int, request: Request) -> Response:
        return await proxy.proxy_response(
            request,
            channel_id=channel_id,
            user=None,
            settings=settings,
            session_factory=session_factory,
        )

    async with serve_async(app) as url:
        yield url, app
        await app.state.proxy_registry.close()


@pytest.fixture
async def proxy_app(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[tuple[str, FastAPI]]:
    """The proxy with :func:`make_settings`' short times."""
    async with serve_proxy(make_settings(tmp_path), session_factory) as served:
        yield served


async def wait_for_stream(
    factory: async_sessionmaker[AsyncSession],
    sid: int,
    predicate: Callable[[Stream], bool],
    seconds: float = 5.0,
) -> Stream:
    """Stream ``sid`` once ``predicate`` holds (failures are written in the background)."""
    async with asyncio.timeout(seconds):
        while True:
            async with factory() as s:
                row = await s.get(Stream, sid)
                if row is not None and predicate(row):
                    return row
            await asyncio.sleep(0.05)


async def wait_for_session(
    factory: async_sessionmaker[AsyncSession], seconds: float = 5.0
) -> ViewingSession:
    """The first viewing session, once it has ended."""
    async with asyncio.timeout(seconds):
        while True:
            async with factory() as s:
                row = (await s.execute(select(ViewingSession))).scalars().first()
                if row is not None and row.ended_at is not None:
                    return row
            await asyncio.sleep(0.05)
