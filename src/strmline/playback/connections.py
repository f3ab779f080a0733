"""How many connections this process holds open to each provider, and who may open another.

IPTV accounts allow a few simultaneous streams (``max_connections``); one more and the provider
refuses, or worse, cuts a viewer off. Health checks and the playback proxy both open streams, so
both go through one :class:`ConnectionTracker`: a viewer may take any free slot, a health check
never takes the last free slot of a provider someone is watching (the viewer may need it to fail
over). The accounting is per process: in the scaled setup each API process and worker counts its
own connections, which is why health checks leave a slot spare rather than running to the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

Purpose = Literal["view", "health"]

__all__ = ["ConnectionTracker", "Lease", "Purpose", "limit_from", "tracker"]


def limit_from(max_connections: int | None, account: dict[str, Any] | None) -> int | None:
    """A provider's connection limit: the Xtream account's own answer first, then the column."""
    if isinstance(account, dict):
        for source in (account, account.get("user_info")):
            if isinstance(source, dict):
                value = source.get("max_connections")
                try:
                    n = int(value) if value is not None and value != "" else 0
                except (TypeError, ValueError):
                    n = 0
                if n > 0:
                    return n
    return max_connections if max_connections and max_connections > 0 else None


@dataclass
class _Usage:
    view: int = 0
    health: int = 0

    @property
    def total(self) -> int:
        return self.view + self.health


@dataclass(eq=False)
class Lease:
    """One open connection; release it once (``release`` twice is harmless)."""

    tracker: ConnectionTracker
    provider_id: int
    purpose: Purpose
    released: bool = field(default=False)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.tracker._release(self)


class ConnectionTracker:
    def __init__(self) -> None:
        self._usage: dict[int, _Usage] = {}
        # Plain futures rather than an asyncio.Condition: the module-level tracker outlives any
        # one event loop (CLI runs, test loops), and a Condition binds to the first loop it sees.
        self._waiters: set[asyncio.Future[None]] = set()

    def usage(self, provider_id: int) -> tuple[int, int]:
        """(viewers, health checks) connected to the provider now."""
        u = self._usage.get(provider_id)
        return (u.view, u.health) if u else (0, 0)

    def snapshot(self) -> dict[int, dict[str, int]]:
        return {pid: {"view": u.view, "health": u.health} for pid, u in self._usage.items()}

    def can_acquire(self, provider_id: int, purpose: Purpose, limit: int | None) -> bool:
        if limit is None:
            return True
        u = self._usage.get(provider_id) or _Usage()
        free = limit - u.total
        if purpose == "view":
            return free >= 1
        # Leave the last slot to the viewer, so a failing stream can still switch.
        return free >= (2 if u.view > 0 else 1)

    def acquire(self, provider_id: int, purpose: Purpose, limit: int | None) -> Lease | None:
        """A slot now, or None when the provider is at its limit for this purpose."""
        if not self.can_acquire(provider_id, purpose, limit):
            return None
        u = self._usage.setdefault(provider_id, _Usage())
        if purpose == "view":
            u.view += 1
        else:
            u.health += 1
        return Lease(self, provider_id, purpose)

    async def wait(
        self, provider_id: int, purpose: Purpose, limit: int | None, *, wait_seconds: float
    ) -> Lease | None:
        """A slot as soon as one frees up; None after ``wait_seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while (lease := self.acquire(provider_id, purpose, limit)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)
        return lease

    @contextlib.asynccontextmanager
    async def hold(
        self, provider_id: int, purpose: Purpose, limit: int | None, *, wait_seconds: float
    ) -> AsyncIterator[Lease | None]:
        lease = await self.wait(provider_id, purpose, limit, wait_seconds=wait_seconds)
        try:
            yield lease
        finally:
            if lease is not None:
                lease.release()

    def _release(self, lease: Lease) -> None:
        u = self._usage.get(lease.provider_id)
        if u is None:
            return
        if lease.purpose == "view":
            u.view = max(u.view - 1, 0)
        else:
            u.health = max(u.health - 1, 0)
        if u.total == 0:
            self._usage.pop(lease.provider_id, None)
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # a waiter of a loop that is gone
                if not waiter.done():
                    waiter.set_result(None)


# The process's one tracker: the API's proxy and the in-process health job share it.
tracker = ConnectionTracker()
