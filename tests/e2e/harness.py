"""Processes and clients for the end-to-end tier: real ``strmline`` commands, HTTP only.

Nothing here imports the app: the server, the worker, the scheduler and the fake provider each
run as their own process, started the way a user starts them, and are talked to over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FFMPEG = shutil.which("ffmpeg")
TV_VALIDATE = shutil.which("tv_validate_file")
STRMLINE = [sys.executable, "-m", "strmline"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """A child process whose output goes to a log file (read back when a test fails)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        # Successful requests are noise next to the error that made a test read this.
        kept = [line for line in text.splitlines() if 'HTTP/1.1" 2' not in line]
        return "\n".join(kept[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)


def start(name: str, args: list[str], *, env: dict[str, str], cwd: Path) -> Proc:
    log = cwd / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    handle.close()
    return Proc(name, popen, log)


def run_cli(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [*STRMLINE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"strmline {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class FakeProviderProc:
    proc: Proc
    url: str
    accounts: dict[str, str]

    def control(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        method = "GET" if payload is None and action == "stats" else "POST"
        resp = httpx.request(method, f"{self.url}/_control/{action}", json=payload, timeout=10)
        resp.raise_for_status()
        return resp.json()


def start_fake_provider(workdir: Path, media_dir: Path, env: dict[str, str]) -> FakeProviderProc:
    args = [sys.executable, "-m", "strmline.demo", "--control", "--media-dir", str(media_dir)]
    proc = start("fake-provider", args, env=env, cwd=workdir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in proc.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"url"' in line:
                info = json.loads(line)
                return FakeProviderProc(proc, info["url"], info["accounts"])
        if proc.popen.poll() is not None:
            break
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"fake provider did not start:\n{proc.tail()}")


@dataclass
class Stack:
    """One running strmline (embedded, or scaled with worker and beat) and its fake provider."""

    mode: str
    url: str
    workdir: Path
    data_dir: Path
    env: dict[str, str]
    provider: FakeProviderProc
    procs: list[Proc] = field(default_factory=list)
    http: httpx.Client = field(init=False)
    token: str = ""  # the admin's API token, for outputs

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.procs)

    def check_alive(self) -> None:
        for p in self.procs:
            if p.popen.poll() is not None:
                raise AssertionError(f"{p.name} exited with {p.popen.returncode}:\n{p.tail()}")

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise AssertionError(f"{method} {path} → {resp.status_code}: {resp.text[:500]}")
        return resp.json() if resp.content else None

    def wait_job(self, job_id: int, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.api("GET", f"/api/jobs/{job_id}")
            if job["state"] in ("succeeded", "failed", "cancelled", "interrupted"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
            self.check_alive()
            time.sleep(0.3)

    def run_job(self, path: str, body: dict[str, Any] | None = None, timeout: float = 180) -> dict:
        resp = self.http.post(path, json=body or {})
        running = resp.json().get("error", {}).get("details", {}) if resp.status_code == 409 else {}
        if "job_id" in running:
            # The scheduler started the same job a moment earlier (a provider never synced is
            # due at once): the user sees "already running" and waits for that one.
            job_id = int(running["job_id"])
        else:
            assert resp.status_code < 400, f"POST {path} → {resp.status_code}: {resp.text[:500]}"
            job_id = int(resp.json()["job_id"])
        job = self.wait_job(job_id, timeout)
        assert job["state"] == "succeeded", f"{path}: {job}\n{self.logs()}"
        assert job["message"] and job["message"] != "done", f"{path}: no summary: {job}"
        return job

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            self.check_alive()
            time.sleep(0.5)

    def wait_no_viewers(self, timeout: float = 60) -> None:
        """Until no viewer is listed in any process: players of earlier tests hold provider
        connections (a browser's live HLS lingers until its idle timeout)."""
        self.wait_for(
            "earlier tests' viewers to leave",
            lambda: not self.api("GET", "/api/streams/active")["items"],
            timeout=timeout,
        )

    def wait_idle(self, grace_seconds: float = 5.0) -> None:
        """Until no viewer is listed and their channels' upstreams have closed: a hub outlives
        its last viewer by ``playback.grace_seconds``, and a new viewer of that channel would
        join it, played as it was started (mode, profile) rather than as now configured."""
        self.wait_no_viewers()
        time.sleep(grace_seconds + 1)

    def close(self) -> None:
        self.http.close()
        for p in reversed(self.procs):
            p.stop()


def wait_http(url: str, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s:\n{proc.tail()}")


_FRAME = re.compile(r"frame=\s*(\d+)")


def decode_frames(url: str, *, frames: int = 50, timeout: float = 60) -> int:
    """Decode up to ``frames`` video frames with ffmpeg; returns how many it decoded."""
    assert FFMPEG, "ffmpeg is required"
    args = [
        FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-stats",
        "-rw_timeout", "15000000", "-i", url,
        "-map", "0:v:0", "-frames:v", str(frames), "-f", "null", "-",
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    counts = [int(n) for n in _FRAME.findall(done.stderr)]
    decoded = max(counts, default=0)
    if decoded < frames:
        raise AssertionError(
            f"ffmpeg decoded {decoded} of {frames} frames from {url} "
            f"(exit {done.returncode}):\n{done.stderr[-1500:]}"
        )
    return decoded


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no test-only or leftover strmline settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRMLINE_")}
    env.update(extra)
    return env
