"""Whether a job's runner is alive: the one rule behind every "this job is stale" decision.

A silent heartbeat alone is not death. A parser that held the event loop for minutes stopped the
heartbeats of a sync that was still running; the sync was declared interrupted and a second sync
of the same provider started beside it. So a running job is stale only when its heartbeat is
older than ``jobs.stale_after_seconds`` AND its runner is gone:

- run by this process: it is not one of this runtime's live job tasks;
- run by another process on this host (``serve --workers N``, the CLI, a Celery worker here):
  that process no longer exists (its pid is gone, or now belongs to a process started later);
- run on another host (Celery): its worker's key in Redis, refreshed by a thread (so a busy
  event loop does not stop it), has expired;
- another host and no Redis to ask: the heartbeat is all there is.

A process that was frozen whole (SIGSTOP, a suspended VM) on another host looks dead once its
key expires; when it resumes it finds its job is no longer its own and stops without writing
(``PipelineContext.ensure_running``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path

from redis import Redis

log = logging.getLogger(__name__)

__all__ = ["Beacon", "Liveness", "process_alive", "worker_name"]

AliveFn = Callable[[int, str | None], Awaitable[bool]]


def _start_ticks(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux); None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (2nd field) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    if fields[0] in ("Z", "X"):  # a zombie has exited; only its exit status is left
        return "exited"
    return fields[19]


def worker_name() -> str:
    """``host/start:pid``: the start time tells a process from a later one given the same pid
    (a restarted container numbers its processes the same way)."""
    pid = os.getpid()
    start = _start_ticks(pid)
    host = socket.gethostname()
    return f"{host}/{start}:{pid}" if start else f"{host}:{pid}"


def process_alive(worker: str) -> bool | None:
    """Whether the process named by ``worker`` runs; None when it is on another host."""
    head, _, pid_text = worker.rpartition(":")
    host, _, start = head.partition("/")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return None
    now = _start_ticks(pid)
    if now == "exited":
        return False
    return not (start and now is not None and now != start)


def beacon_key(prefix: str, worker: str) -> str:
    return f"{prefix}:worker:{worker}"


class Beacon:
    """Keeps ``<prefix>:worker:<name>`` alive in Redis from a thread while the process lives.

    A thread, not a task: a CPU-bound step in the event loop must not make a live worker look
    dead. It dies with the process, and the key expires ``ttl`` seconds later.
    """

    def __init__(self, redis_url: str, key: str, *, ttl: float, every: float) -> None:
        self._redis = Redis.from_url(redis_url)
        self._key = key
        self._ttl_ms = max(int(ttl * 1000), 1000)
        self._every = max(min(every, ttl / 3), 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="strmline-beacon", daemon=True)

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def _beat(self) -> None:
        try:
            self._redis.set(self._key, b"1", px=self._ttl_ms)
        except Exception as exc:  # Redis away for a moment: the next beat retries
            log.warning("worker heartbeat to Redis failed: %s", exc)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self._beat()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            self._redis.delete(self._key)
        except Exception as exc:
            log.debug("could not drop the worker heartbeat key: %s", exc)
        self._redis.close()


class Liveness:
    """The rule above, for one runtime: ``await alive(job_id, worker)``."""

    def __init__(
        self,
        *,
        worker: str,
        active: Callable[[], Collection[int]],
        redis_url: str | None,
        prefix: str,
    ) -> None:
        self.worker = worker
        self._active = active
        self._redis_url = redis_url
        self._prefix = prefix

    async def alive(self, job_id: int, worker: str | None) -> bool:
        if not worker:
            return False
        if worker == self.worker:
            return job_id in self._active()
        local = process_alive(worker)
        if local is not None:
            return local
        if self._redis_url is None:
            return False
        from redis.asyncio import Redis as AsyncRedis

        client = AsyncRedis.from_url(self._redis_url)
        try:
            return bool(await client.exists(beacon_key(self._prefix, worker)))
        except Exception as exc:
            # Cannot ask: treat as alive. A stuck job is visible and can be cancelled; a second
            # copy of a running one corrupts nothing only if it never starts.
            log.warning("could not check worker %s in Redis: %s", worker, exc)
            return True
        finally:
            await client.aclose()
