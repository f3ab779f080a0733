"""``strmline serve --workers 2`` in embedded mode: jobs and schedules run in one elected process.

A real server with two uvicorn worker processes on SQLite, a real HTTP server for the playlist
(counting its downloads), and clients that open a new connection per request so requests land
on both processes. Each sync asked for runs once, in the elected process; the scheduler's sync
fires once; killing the elected process hands the jobs to another one.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import STRMLINE, Proc, clean_env, free_port, start, wait_http

PLAYLIST = (
    b"#EXTM3U\n"
    b'#EXTINF:-1 tvg-id="one.example" group-title="News",One News HD\n'
    b"http://127.0.0.1:9/one.ts\n"
    b'#EXTINF:-1 tvg-id="two.example" group-title="Sports",Two Sports\n'
    b"http://127.0.0.1:9/two.ts\n"
)
ADMIN = {"username": "admin", "password": "workers test password"}
REQUESTS = 4
MAX_REQUESTS = 30


class Playlist(ThreadingHTTPServer):
    downloads = 0


class _Handler(BaseHTTPRequestHandler):
    server: Playlist

    def do_GET(self) -> None:
        self.server.downloads += 1
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-mpegurl")
        self.send_header("Content-Length", str(len(PLAYLIST)))
        self.end_headers()
        self.wfile.write(PLAYLIST)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def playlist() -> Iterator[Playlist]:
    server = Playlist(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Proc, Path]]:
    data_dir = tmp_path / "data"
    port = free_port()
    env = clean_env(
        STRMLINE_DATA_DIR=str(data_dir),
        STRMLINE_SECRET_KEY="workers-test-secret-" + "x" * 32,
        STRMLINE_JOBS__SCHEDULE_TICK_SECONDS="1",
    )
    args = [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    proc = start("serve", args, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/health", proc, timeout=90)
        yield base, proc, data_dir
    finally:
        proc.stop(timeout=20)


def call(base: str, method: str, path: str, **kwargs: Any) -> Any:
    """One request on a connection of its own, so the kernel may give it to either process."""
    with httpx.Client(base_url=base, timeout=30) as client:
        resp = client.request(method, path, **kwargs)
    assert resp.status_code < 400, f"{method} {path} → {resp.status_code}: {resp.text[:500]}"
    return resp.json() if resp.content else None


def db_rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{data_dir / 'strmline.db'}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql).fetchall()


def worker_pids(proc: Proc) -> set[int]:
    text = proc.log.read_text(errors="replace")
    return {
        int(line.rsplit("[", 1)[1].rstrip("]"))
        for line in text.splitlines()
        if "Started server process [" in line
    }


def runner_pid(data_dir: Path) -> int:
    return int((data_dir / "runner.lock").read_text().strip())


def wait_job(base: str, auth: dict[str, str], job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = call(base, "GET", f"/api/jobs/{job_id}", headers=auth)
        if job["state"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']}"
        time.sleep(0.2)


def sync_once(base: str, auth: dict[str, str], provider_id: int) -> dict[str, Any]:
    """Ask for a sync (waiting out one already running) and return the finished job."""
    deadline = time.monotonic() + 60
    while True:
        with httpx.Client(base_url=base, timeout=30) as client:
            resp = client.post(f"/api/providers/{provider_id}/sync", headers=auth)
        if resp.status_code == 202:
            return wait_job(base, auth, int(resp.json()["job_id"]))
        assert resp.status_code == 409, resp.text  # the one before is still running
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_jobs_and_schedules_run_in_one_elected_process(
    served: tuple[str, Proc, Path], playlist: Playlist
) -> None:
    base, proc, data_dir = served
    token = call(base, "POST", "/api/setup", json=ADMIN)["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{playlist.server_address[1]}/list.m3u"
    provider = call(
        base,
        "POST",
        "/api/providers",
        json={"name": "local", "kind": "m3u", "url": url},
        headers=auth,
    )
    # Never synced, so due at once: the scheduler (ticking every second) syncs it, once.
    deadline = time.monotonic() + 30
    while not db_rows(data_dir, "SELECT id FROM jobs WHERE trigger = 'schedule'"):
        assert time.monotonic() < deadline, proc.tail()
        time.sleep(0.3)
    time.sleep(3)  # three more ticks, in whichever processes tick

    pids = worker_pids(proc)
    assert len(pids) == 2, proc.tail()
    runner = runner_pid(data_dir)
    assert runner in pids
    log = proc.log.read_text(errors="replace")
    assert log.count("elected to run jobs and the scheduler") == 1, log
    assert log.count("hands jobs over") == 1, log

    # New connections until both processes took some (the kernel picks; bounded).
    jobs: list[dict[str, Any]] = []
    while len(jobs) < REQUESTS or "handed over by process" not in proc.log.read_text():
        assert len(jobs) < MAX_REQUESTS, f"no request reached the other process\n{proc.tail()}"
        jobs.append(sync_once(base, auth, provider["id"]))
    assert [j["state"] for j in jobs] == ["succeeded"] * len(jobs), jobs
    assert len({j["id"] for j in jobs}) == len(jobs)
    rows = db_rows(data_dir, "SELECT trigger, worker, state FROM jobs WHERE kind = 'sync'")
    scheduled = [r for r in rows if r[0] == "schedule"]
    assert len(scheduled) == 1, rows  # one scheduled sync, however many ticks
    assert len(rows) == len(jobs) + 1, rows
    # Every sync ran in the elected process, and each downloaded the playlist exactly once.
    assert {int(r[1].rsplit(":", 1)[1]) for r in rows} == {runner}, rows
    assert playlist.downloads == len(jobs) + 1
    claims = db_rows(
        data_dir,
        f"SELECT value FROM settings WHERE key LIKE 'lock:schedule:sync:{int(provider['id'])}:%'",
    )
    assert len(claims) == 1 and f":{runner}" in claims[0][0], claims

    # The elected process dies: another one takes over within a few seconds.
    os.kill(runner, signal.SIGKILL)
    deadline = time.monotonic() + 45
    while runner_pid(data_dir) == runner:
        assert time.monotonic() < deadline, proc.tail()
        time.sleep(0.3)
    successor = runner_pid(data_dir)
    assert successor != runner
    job = sync_once(base, auth, provider["id"])
    assert job["state"] == "succeeded", job
    (worker,) = db_rows(data_dir, f"SELECT worker FROM jobs WHERE id = {int(job['id'])}")[0]
    assert int(worker.rsplit(":", 1)[1]) == successor
    assert playlist.downloads == len(jobs) + 2
    assert "Traceback" not in proc.log.read_text(errors="replace"), proc.tail()
