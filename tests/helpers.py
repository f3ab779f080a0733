"""Waiting for background jobs in tests, in process or over the API.

``wait_for_job`` reads a job runtime directly (``JobRuntime.get``); ``wait_for_job_api`` polls
``GET /api/jobs/{id}`` through a test client. Both wait until the job has finished (left
``queued`` and ``running``), or until it reaches one of ``states`` when given, and fail the test
with the job's last state if that takes longer than ``seconds``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Protocol, TypeVar

import httpx

from strmline.db.models import Job

__all__ = ["ACTIVE_STATES", "wait_for_job", "wait_for_job_api"]

ACTIVE_STATES = frozenset({"queued", "running"})

T = TypeVar("T")


class JobReader(Protocol):
    async def get(self, job_id: int) -> Job: ...


async def _poll(
    read: Callable[[], Awaitable[T]],
    state_of: Callable[[T], str],
    states: Collection[str] | None,
    *,
    what: str,
    seconds: float,
    interval: float,
) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await read()
        state = state_of(value)
        if (state in states) if states is not None else (state not in ACTIVE_STATES):
            return value
        if loop.time() >= deadline:
            wanted = f"one of {sorted(states)}" if states is not None else "finished"
            raise AssertionError(f"{what} not {wanted} after {seconds}s: still {state!r}")
        await asyncio.sleep(interval)


async def wait_for_job(
    runtime: JobReader,
    job_id: int,
    *,
    states: Collection[str] | None = None,
    seconds: float = 30,
    interval: float = 0.05,
) -> Job:
    """The job once finished (or in one of ``states``), read from an in-process runtime."""
    return await _poll(
        lambda: runtime.get(job_id),
        lambda job: job.state,
        states,
        what=f"job {job_id}",
        seconds=seconds,
        interval=interval,
    )


async def wait_for_job_api(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job_id: int,
    *,
    states: Collection[str] | None = None,
    seconds: float = 30,
    interval: float = 0.05,
) -> dict[str, Any]:
    """The job's JSON once finished (or in one of ``states``), polled over the jobs API."""

    async def read() -> dict[str, Any]:
        r = await client.get(f"/api/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, f"GET /api/jobs/{job_id} → {r.status_code}: {r.text[:300]}"
        body: dict[str, Any] = r.json()
        return body

    return await _poll(
        read,
        lambda job: str(job["state"]),
        states,
        what=f"job {job_id}",
        seconds=seconds,
        interval=interval,
    )
