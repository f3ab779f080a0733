"""Run an ASGI app with uvicorn on 127.0.0.1, in a background thread or in the current loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import uvicorn

from strmline.demo.catalog import Catalog
from strmline.demo.provider import Account, FakeProvider, Faults, ProviderOptions, Stats

HOST = "127.0.0.1"


def _bind(port: int) -> socket.socket:
    # Binding ourselves (port 0) gives a free port with no race between choosing and listening.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _server(app: Any, graceful_timeout: float) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_level="warning",
        # None leaves the process's logging configuration alone (uvicorn's default rewrites it).
        log_config=None,
        timeout_graceful_shutdown=max(1, round(graceful_timeout)),
        timeout_keep_alive=5,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_thread(
    app: Any,
    *,
    port: int = 0,
    startup_timeout: float = 10.0,
    graceful_timeout: float = 2.0,
    on_stop: Callable[[], None] | None = None,
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 from a daemon thread; yields the base URL.

    ``on_stop`` runs before shutdown so the app can release long-lived responses; requests still
    open after ``graceful_timeout`` are cancelled.
    """
    sock = _bind(port)
    server = _server(app, graceful_timeout)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit included: uvicorn exits on startup failure.
            errors.append(exc)

    thread = threading.Thread(target=run, name="strmline-demo-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=graceful_timeout + 1)
            sock.close()
            raise RuntimeError(f"server did not start within {startup_timeout}s: {errors!r}")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        if on_stop is not None:
            on_stop()
        server.should_exit = True
        thread.join(timeout=graceful_timeout + 3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=2)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("server thread did not stop")


@contextlib.asynccontextmanager
async def serve_async(
    app: Any,
    *,
    port: int = 0,
    startup_timeout: float = 10.0,
    graceful_timeout: float = 2.0,
    on_stop: Callable[[], None] | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` as a task in the running event loop; yields the base URL.

    Clients in the same loop must be async, or they block the server they are talking to.
    """
    sock = _bind(port)
    server = _server(app, graceful_timeout)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server exited during startup")
                await asyncio.sleep(0.01)
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        if on_stop is not None:
            on_stop()
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=graceful_timeout + 3)
        except TimeoutError:
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sock.close()


@dataclass
class FakeProviderServer:
    """A running fake provider: its base URL plus the handles tests script it through."""

    provider: FakeProvider
    url: str

    @property
    def catalog(self) -> Catalog:
        return self.provider.catalog

    @property
    def faults(self) -> Faults:
        return self.provider.faults

    @property
    def stats(self) -> Stats:
        return self.provider.stats

    @property
    def options(self) -> ProviderOptions:
        return self.provider.options

    @property
    def accounts(self) -> dict[str, Account]:
        return self.provider.accounts

    def account(self, username: str) -> Account:
        return self.provider.accounts[username]

    def reset(self) -> None:
        self.provider.reset()

    def _creds(self, username: str | None) -> tuple[str, str]:
        account = (
            self.provider.accounts[username]
            if username is not None
            else next(iter(self.provider.accounts.values()))
        )
        return account.username, account.password

    def playlist_url(self, username: str | None = None, type: str = "live") -> str:
        user, _ = self._creds(username)
        suffix = "" if type == "live" else f"?type={type}"
        return f"{self.url}/playlist/{user}.m3u{suffix}"

    def get_php_url(
        self, username: str | None = None, type: str = "m3u_plus", output: str = "ts"
    ) -> str:
        user, password = self._creds(username)
        qs = urlencode({"username": user, "password": password, "type": type, "output": output})
        return f"{self.url}/get.php?{qs}"

    def api_url(self, username: str | None = None, **params: str | int) -> str:
        user, password = self._creds(username)
        qs = urlencode({"username": user, "password": password, **params})
        return f"{self.url}/player_api.php?{qs}"

    def xmltv_url(self, username: str | None = None) -> str:
        user, password = self._creds(username)
        return f"{self.url}/xmltv.php?{urlencode({'username': user, 'password': password})}"

    def epg_url(self, username: str | None = None, gz: bool = False) -> str:
        user, _ = self._creds(username)
        return f"{self.url}/epg/{user}.xml{'.gz' if gz else ''}"

    def stream_url(
        self, stream_id: int, username: str | None = None, kind: str = "live", ext: str = "ts"
    ) -> str:
        """``kind`` is live, movie or series (episode id)."""
        user, password = self._creds(username)
        return f"{self.url}/{kind}/{user}/{password}/{stream_id}.{ext}"


def demo_provider(seed: int = 0, *, options: ProviderOptions | None = None) -> FakeProvider:
    """Two accounts with the same channels spelt differently, for cross-provider merging."""
    provider = FakeProvider(options)
    provider.add_account(
        "acme",
        "secret",
        lambda: Catalog.generate(seed, name_style="us_prefix"),
        baseline=True,
    )
    provider.add_account(
        "globex",
        "hunter2",
        lambda: Catalog.generate(seed, live=60, name_style="pipe", id_offset=10_000),
        baseline=True,
    )
    return provider


@contextlib.contextmanager
def run_fake_provider(
    provider: FakeProvider | None = None, *, port: int = 0
) -> Iterator[FakeProviderServer]:
    """Start ``provider`` (default: ``demo_provider()``) in a thread; stop it cleanly on exit."""
    provider = provider if provider is not None else demo_provider()
    provider.resume()
    with serve_in_thread(provider, port=port, on_stop=provider.shutdown) as url:
        yield FakeProviderServer(provider, url)


@contextlib.asynccontextmanager
async def run_fake_provider_async(
    provider: FakeProvider | None = None, *, port: int = 0
) -> AsyncIterator[FakeProviderServer]:
    """Like ``run_fake_provider`` but served by the running event loop."""
    provider = provider if provider is not None else demo_provider()
    provider.resume()
    async with serve_async(provider, port=port, on_stop=provider.shutdown) as url:
        yield FakeProviderServer(provider, url)
