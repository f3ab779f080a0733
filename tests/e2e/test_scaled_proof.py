"""The scaled topology, proved with processes: PostgreSQL + Redis, two ``strmline serve``, two
``strmline worker`` and one ``strmline beat``, all started here and driven over HTTP.

- a provider never synced is synced once by the schedule (one job, one download), and the other
  API process's cached provider list shows the outcome at once;
- a job started through API process A streams its progress from API process B (``/api/events``);
- a setting saved through A is in force in the workers within seconds;
- a worker killed (SIGKILL) in the middle of a sync leaves the channels as they were, and the job
  ends (failed with a one-line reason, or taken over), never left "running".

The playlist comes from a small HTTP server in this test that counts downloads and can drip its
list line by line, so a sync can be caught mid-download and the worker downloading it found.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.dbutil import PG_ENV, postgres_admin_url, throwaway_postgres
from tests.e2e.conftest import ADMIN, REDIS_ENV, _BackgroundLoop, _drop_redis_prefix
from tests.e2e.harness import STRMLINE, Proc, clean_env, free_port, run_cli, start, wait_http

pytestmark = pytest.mark.skipif(
    not (postgres_admin_url() and os.environ.get(REDIS_ENV)),
    reason=f"{PG_ENV} and {REDIS_ENV} not both set: the multi-process proof needs PostgreSQL and Redis",
)

ENTRIES = 40
FINAL = ("succeeded", "failed", "cancelled")
# Saved settings reach the workers at their next check (2 s) before a job.
SETTING_WITHIN = 10.0


# -- the playlist server ---------------------------------------------------------------------


class Playlist:
    """``/live.m3u``: ENTRIES channels; ``delay`` seconds between lines drips it out."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.downloads = 0
        self.client_ports: list[int] = []  # of downloads still being sent
        self._lock = threading.Lock()
        playlist = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                playlist.serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/live.m3u"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def lines(self) -> list[bytes]:
        out = [b"#EXTM3U\n"]
        for i in range(ENTRIES):
            out.append(
                f'#EXTINF:-1 tvg-id="proof{i}.us" group-title="Proof",Proof Channel {i}\n'
                f"http://127.0.0.1:9/live/{i}.ts\n".encode()
            )
        return out

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        port = request.client_address[1]
        with self._lock:
            self.downloads += 1
            self.client_ports.append(port)
        try:
            request.send_response(200)
            request.send_header("Content-Type", "audio/x-mpegurl")
            request.end_headers()
            for line in self.lines():
                request.wfile.write(line)
                request.wfile.flush()
                if self.delay:
                    time.sleep(self.delay)
        except OSError:
            pass  # the client went away (a killed worker)
        finally:
            with self._lock:
                self.client_ports.remove(port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pid_with_local_port(pids: list[int], port: int) -> int | None:
    """Which of ``pids`` holds the TCP socket whose local port is ``port`` (Linux /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for row in fh.readlines()[1:]:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        return pid
    return None


# -- the topology ----------------------------------------------------------------------------


@dataclass
class Topology:
    a: httpx.Client
    b: httpx.Client
    token: str
    playlist: Playlist
    workers: list[Proc]
    procs: list[Proc] = field(default_factory=list)
    provider_id: int = 0

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail(40)}" for p in self.procs)

    def check_alive(self) -> None:
        for p in self.procs:
            if p.popen.poll() is not None:
                raise AssertionError(f"{p.name} exited with {p.popen.returncode}:\n{p.tail()}")

    def api(self, client: httpx.Client, method: str, path: str, **kw: Any) -> Any:
        r = client.request(method, path, **kw)
        assert r.status_code < 400, f"{method} {path} → {r.status_code}: {r.text[:400]}"
        return r.json() if r.content else None

    def wait(self, what: str, probe: Any, timeout: float = 60, every: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            self.check_alive()
            time.sleep(every)

    def job(self, job_id: int, client: httpx.Client | None = None) -> dict[str, Any]:
        job: dict[str, Any] = self.api(client or self.b, "GET", f"/api/jobs/{job_id}")
        return job

    def finished(self, job_id: int, timeout: float = 60) -> dict[str, Any]:
        return dict(
            self.wait(
                f"job {job_id} to finish",
                lambda: (j := self.job(job_id))["state"] in FINAL and j,
                timeout,
            )
        )

    def sync(self, client: httpx.Client) -> int:
        body = self.api(client, "POST", f"/api/providers/{self.provider_id}/sync")
        return int(body["job_id"])

    def channels(self) -> int:
        return int(self.api(self.a, "GET", "/api/dashboard")["counts"]["channels"])


def _env(workdir: Path, db_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    return clean_env(
        STRMLINE_DATA_DIR=str(workdir / "data"),
        STRMLINE_DATABASE_URL=db_url,
        STRMLINE_REDIS_URL=redis_url,
        STRMLINE_JOBS__BACKEND="celery",
        STRMLINE_JOBS__REDIS_PREFIX=prefix,
        # Short enough for a test: a killed worker's job is stale after 8 s without heartbeats.
        STRMLINE_JOBS__STALE_AFTER_SECONDS="8",
        STRMLINE_JOBS__HEARTBEAT_SECONDS="1",
        STRMLINE_JOBS__PROGRESS_INTERVAL_SECONDS="0.2",
    )


def _start_all(root: Path, base: dict[str, str]) -> tuple[list[Proc], list[str], list[Proc]]:
    procs: list[Proc] = []
    urls: list[str] = []
    for name in ("serve-a", "serve-b"):
        workdir = root / name
        workdir.mkdir()
        port = free_port()
        env = {**base, "STRMLINE_DATA_DIR": str(workdir / "data")}  # a data dir each
        args = [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)]
        procs.append(start(name, args, env=env, cwd=workdir))
        urls.append(f"http://127.0.0.1:{port}")
    workers = []
    for name in ("worker-1", "worker-2"):
        workdir = root / name
        workdir.mkdir()
        env = {**base, "STRMLINE_DATA_DIR": str(workdir / "data")}
        args = [*STRMLINE, "worker", "--pool", "solo", "--concurrency", "1"]
        workers.append(start(name, args, env=env, cwd=workdir))
    procs.extend(workers)
    procs.append(start("beat", [*STRMLINE, "beat", "--tick", "1"], env=base, cwd=root))
    return procs, urls, workers


def _kill(proc: Proc) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.popen.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.popen.wait(timeout=5)


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    redis_url = os.environ[REDIS_ENV]
    root = tmp_path_factory.mktemp("scaled-proof")
    prefix = f"strmline-proof-{uuid.uuid4().hex[:10]}"
    bg = _BackgroundLoop()
    db_cm = throwaway_postgres()
    playlist = Playlist()
    procs: list[Proc] = []
    try:
        env = _env(root, bg.run(db_cm.__aenter__()), redis_url, prefix)
        run_cli(["db", "upgrade"], env=env, cwd=root)
        procs, (url_a, url_b), workers = _start_all(root, env)
        for proc, url in zip(procs[:2], (url_a, url_b), strict=True):
            wait_http(f"{url}/api/health", proc)
        with (
            httpx.Client(base_url=url_a, timeout=30) as a,
            httpx.Client(base_url=url_b, timeout=30) as b,
        ):
            a.post("/api/setup", json=ADMIN).raise_for_status()
            token = a.post("/api/auth/login", json=ADMIN).json()["access_token"]
            for client in (a, b):
                client.headers["Authorization"] = f"Bearer {token}"
            yield Topology(a, b, token, playlist, workers, procs)
    finally:
        for proc in reversed(procs):
            proc.stop(timeout=10)
            _kill(proc)  # and anything it left in its process group
        playlist.close()
        try:
            bg.run(db_cm.__aexit__(None, None, None))
        finally:
            bg.close()
            _drop_redis_prefix(redis_url, prefix)


# -- the proof, in order (the last one kills a worker) -----------------------------------------


def _sync_jobs(top: Topology) -> list[dict[str, Any]]:
    items = top.api(top.b, "GET", "/api/jobs", params={"kind": "sync", "limit": 100})["items"]
    return [j for j in items if j["args"].get("provider_id") == top.provider_id]


def _provider_on(client: httpx.Client, top: Topology) -> dict[str, Any]:
    items = top.api(client, "GET", "/api/providers")["items"]
    return next(p for p in items if p["id"] == top.provider_id)


def test_a_scheduled_sync_fires_once_and_every_api_process_shows_it(topology: Topology) -> None:
    top = topology
    top.playlist.delay = 0.05  # about 2 s: B reads (and caches) the list before it finishes
    spec = {"name": "proof", "kind": "m3u", "url": top.playlist.url}
    top.provider_id = int(top.api(top.a, "POST", "/api/providers", json=spec)["id"])
    assert _provider_on(top.b, top)["last_sync_status"] is None  # cached on B for a minute
    job = top.wait("the scheduled sync", lambda: (jobs := _sync_jobs(top)) and jobs[0], 30)
    assert job["trigger"] == "schedule", job
    done = top.finished(int(job["id"]))
    assert done["state"] == "succeeded", done
    # The job finished in a worker; B's cached list is dropped by B's job watcher at once.
    top.wait(
        "B's provider list to show the sync",
        lambda: _provider_on(top.b, top)["last_sync_status"],
        5,
    )
    time.sleep(6)  # six more beat ticks: the provider is not due again for hours
    jobs = _sync_jobs(top)
    assert [(j["id"], j["trigger"]) for j in jobs] == [(done["id"], "schedule")], jobs
    assert top.playlist.downloads == 1
    assert top.channels() == ENTRIES


def _read_events(
    client: httpx.Client,
    token: str,
    into: list[dict[str, Any]],
    connected: threading.Event,
    stop: threading.Event,
) -> None:
    """What a browser's EventSource reads from /api/events, until ``stop`` (then the client
    is closed under it, which ends the read)."""
    params = {"access_token": token}
    try:
        with client.stream("GET", "/api/events", params=params, timeout=60) as r:
            kind = ""
            for line in r.iter_lines():
                if line == ": connected":
                    connected.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind.startswith("job."):
                    into.append(orjson.loads(line[6:]))
    except httpx.HTTPError:
        if not stop.is_set():
            raise


def test_progress_of_a_job_started_on_a_streams_from_b(topology: Topology) -> None:
    top = topology
    top.playlist.delay = 0.1  # about 4 s of download, reported as it goes
    events: list[dict[str, Any]] = []
    connected, stop = threading.Event(), threading.Event()
    with httpx.Client(base_url=str(top.b.base_url)) as b_stream:
        reader = threading.Thread(
            target=_read_events, args=(b_stream, top.token, events, connected, stop), daemon=True
        )
        reader.start()
        assert connected.wait(10), f"B's event stream did not open\n{top.logs()}"
        job_id = top.sync(top.a)
        top.wait(
            "job.finished on B's stream",
            lambda: any(e["type"] == "job.finished" and e["job_id"] == job_id for e in events),
            60,
        )
        stop.set()
    reader.join(10)
    ours = [e for e in events if e.get("job_id") == job_id]
    progress = [e for e in ours if e["type"] == "job.progress"]
    assert len(progress) >= 2, ours
    assert [e["progress"] for e in progress] == sorted(e["progress"] for e in progress)
    assert ours[-1]["type"] == "job.finished" and ours[-1]["state"] == "succeeded", ours


def _max_entries(client: httpx.Client, top: Topology) -> int:
    return int(top.api(client, "GET", "/api/settings")["sync"]["max_entries"]["value"])


def _refused(job: dict[str, Any]) -> bool:
    result = job.get("result") or {}
    return result.get("status") == "refused" or "entries" in (job.get("error") or "")


def test_a_setting_saved_on_a_is_in_force_in_the_workers_within_seconds(topology: Topology) -> None:
    top = topology
    top.playlist.delay = 0.0
    original = _max_entries(top.a, top)
    before = top.channels()
    top.api(top.a, "PATCH", "/api/settings", json={"sync": {"max_entries": ENTRIES // 2}})
    try:
        saved = time.monotonic()
        while not _refused(job := top.finished(top.sync(top.b))):
            assert time.monotonic() - saved < SETTING_WITHIN, (
                f"still syncing {ENTRIES} entries: {job}"
            )
        assert job["state"] in FINAL and "\n" not in (job.get("error") or job["message"] or "")
        assert top.channels() == before  # refused: nothing changed
    finally:
        top.api(top.a, "PATCH", "/api/settings", json={"sync": {"max_entries": original}})
    restored = time.monotonic()
    while _refused(job := top.finished(top.sync(top.b))):
        assert time.monotonic() - restored < SETTING_WITHIN, f"still refused: {job}"
    assert job["state"] == "succeeded", job


def test_a_worker_killed_mid_sync_leaves_the_channels_and_the_job_ends(topology: Topology) -> None:
    top = topology
    before = top.channels()
    top.playlist.delay = 1.0  # 41 writes: 40 s of download
    job_id = top.sync(top.a)
    port = top.wait("the download to start", lambda: top.playlist.client_ports[:1], 30)[0]
    pids = [w.popen.pid for w in top.workers]
    victim_pid = top.wait("the downloading worker", lambda: _pid_with_local_port(pids, port), 10)
    assert top.job(job_id)["state"] == "running"
    victim = next(w for w in top.workers if w.popen.pid == victim_pid)
    _kill(victim)
    top.procs.remove(victim)
    top.playlist.delay = 0.0  # a takeover, if any, finishes at once
    done = top.finished(job_id, timeout=90)
    if done["state"] == "failed":
        reason = done["error"] or ""
        assert reason and "\n" not in reason and len(reason) < 300, done
    else:
        assert done["state"] == "succeeded", done  # taken over and run to the end
    assert top.channels() == before
    # The other worker carries on.
    after = top.finished(top.sync(top.b))
    assert after["state"] == "succeeded", f"{after}\n{top.logs()}"
    assert top.channels() == before
