"""Browser tests: the built web UI in Debian's Chromium, driven by Playwright for Python.

They need ``/usr/bin/chromium`` (``apt-get install chromium``), the Python package ``playwright``
(never ``playwright install``: no browser download) and a built UI (``make web``). Each test starts
the real server in a subprocess on 127.0.0.1 with its own data dir. Screenshots of failed tests go
to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from strmline.api.web import WEB_DIR

CHROMIUM = Path(os.environ.get("STRMLINE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN = {"username": "admin", "password": "correct horse battery"}


def _skip_reason() -> str | None:
    if not CHROMIUM.is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not (WEB_DIR / "index.html").is_file():
        return "web UI not built: run `make web` (or `cd frontend && npm ci && npm run build`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install playwright)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(Exception):  # the page may already be gone
                page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
    return report


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)


def _start(data_dir: Path, log: Path) -> LiveServer:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRMLINE_")}
    env |= {
        "STRMLINE_DATA_DIR": str(data_dir),
        "STRMLINE_SECRET_KEY": "browser-test-secret-" + "x" * 32,
        "STRMLINE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "strmline.api.app:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    # Open event streams would otherwise hold the shutdown until their next keep-alive.
    cmd += ["--timeout-graceful-shutdown", "1"]
    out = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return LiveServer(url=url, data_dir=data_dir, process=proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def _stop(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh server with an empty database (first-run setup not done)."""
    server = _start(tmp_path, tmp_path / "server.log")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, Callable[[Path], None] | None], LiveServer]]:
    """Start a server on a data dir prepared by ``prepare(data_dir)`` (e.g. a seeded database)."""
    started: list[LiveServer] = []

    def make(name: str, prepare: Callable[[Path], None] | None = None) -> LiveServer:
        data_dir = tmp_path_factory.mktemp(name)
        if prepare is not None:
            prepare(data_dir)
        server = _start(data_dir, data_dir / "server.log")
        started.append(server)
        return server

    yield make
    for server in started:
        _stop(server)


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, so it must be closed before the asyncio tests of other packages run.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def admin_tokens(server: LiveServer) -> dict[str, str]:
    """Create the admin through first-run setup (or log in) and return the token pair."""
    r = server.api("POST", "/api/setup", json=ADMIN)
    if r.status_code == 409:
        r = server.api("POST", "/api/auth/login", json=ADMIN)
    r.raise_for_status()
    body: dict[str, str] = r.json()
    return body


def log_in_page(page: Any, server: LiveServer, tokens: dict[str, str]) -> None:
    """Start the page already logged in (tokens in localStorage, as the UI keeps them)."""
    import json

    value = json.dumps(
        {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"]}
    )
    page.add_init_script(f"window.localStorage.setItem('strmline.tokens', {json.dumps(value)});")


VIEWER = {"username": "viewer", "password": "viewer password 1"}
# The fake provider's Xtream accounts (strmline.demo.FakeProviderServer).
ACCOUNTS = {"Acme": ("acme", "secret"), "Globex": ("globex", "hunter2")}


def expect(obj: Any) -> Any:
    """Playwright's ``expect``, imported late: the module must import without Playwright, so
    its tests can be skipped with the reason shown."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(obj)


def wait_job(server: LiveServer, token: str, job_id: int) -> dict[str, Any]:
    """The job once it has finished; it must have succeeded."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = server.api("GET", f"/api/jobs/{job_id}", token).json()
        if job["state"] not in ("queued", "running"):
            assert job["state"] == "succeeded", job
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def add_synced_provider(server: LiveServer, token: str, url: str, name: str = "Acme") -> int:
    """One of the fake provider's Xtream accounts, added over the API and synced; its id."""
    user, password = ACCOUNTS[name]
    body = {"name": name, "kind": "xtream", "url": url, "username": user, "password": password}
    provider = server.api("POST", "/api/providers", token, json=body)
    provider.raise_for_status()
    sync = server.api("POST", f"/api/providers/{provider.json()['id']}/sync", token)
    wait_job(server, token, sync.json()["job_id"])
    return int(provider.json()["id"])
