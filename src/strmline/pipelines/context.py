"""What every pipeline receives, whoever runs it (CLI, in-process runner, Celery worker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.errors import StrmlineError
from strmline.providers.http import make_client


class Cancelled(StrmlineError):
    code = "cancelled"


class Reporter(Protocol):
    async def __call__(
        self, progress: int, total: int | None = None, message: str | None = None
    ) -> None: ...


async def _no_report(progress: int, total: int | None = None, message: str | None = None) -> None:
    return None


class FollowUp(Protocol):
    """Start another job from a running one, on the runner that runs it (same event bus, same
    backend): queued to Celery there, run right after in-process. Returns the job's id."""

    async def __call__(self, kind: str, args: dict[str, Any], *, trigger: str) -> int: ...


@dataclass
class PipelineContext:
    session_factory: async_sessionmaker[AsyncSession]
    settings: Settings
    http: httpx.AsyncClient | None = None  # shared pool when the runner has one
    report: Reporter = _no_report
    job_id: int | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    follow_up: FollowUp | None = None  # None outside a job runner (tests, direct calls)
    # Set by the job runner: whether this run still holds its job (see ensure_running).
    owner_check: Callable[[AsyncSession], Awaitable[bool]] | None = None

    @asynccontextmanager
    async def http_client(self) -> AsyncIterator[httpx.AsyncClient]:
        """The runner's shared client, or one made from the settings and closed on exit."""
        if self.http is not None:
            yield self.http
            return
        http = self.settings.http
        async with make_client(
            timeout=http.timeout, connect_timeout=http.connect_timeout, user_agent=http.user_agent
        ) as client:
            yield client

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled on request")

    async def ensure_running(self, session: AsyncSession) -> None:
        """Inside a write transaction, before it commits: raises Cancelled when this run was
        declared interrupted (or taken over) while it stalled, so it stops without writing."""
        if self.owner_check is not None and not await self.owner_check(session):
            self.cancel.set()
            raise Cancelled(
                "this run was declared interrupted while it stalled; it stopped without writing"
            )
