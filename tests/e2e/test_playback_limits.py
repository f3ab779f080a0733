"""Two API processes on one database and Redis never hold more connections to a provider than
its account allows: viewers through either process are counted together (scaled setup only)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Ready
from tests.e2e.harness import STRMLINE, Proc, Stack, free_port, start, wait_http
from tests.e2e.test_flow import _m3u_entries

PROVIDER = "globex xtream ts"


@dataclass
class Watcher:
    """One player on a channel: reads the stream until told to stop."""

    url: str
    status: int | None = None
    body: str = ""
    received: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(20, connect=5)) as client,
                client.stream("GET", self.url) as response,
            ):
                self.status = response.status_code
                if response.status_code != 200:
                    self.body = response.read().decode(errors="replace")
                    return
                for chunk in response.iter_raw():
                    self.received += len(chunk)
                    if self.stop.is_set():
                        return
        except httpx.HTTPError as exc:
            self.body = f"{type(exc).__name__}: {exc}"

    def start(self) -> Watcher:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def wait_started(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received > 0 or (self.status is not None and self.status != 200) or self.body:
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.url}: no answer in {timeout} s")

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)


@contextmanager
def second_server(stack: Stack) -> Iterator[tuple[str, Proc]]:
    """Another ``strmline serve`` on the same database and Redis, as behind a load balancer."""
    port = free_port()
    args = [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = start("serve-2", args, env=stack.env, cwd=stack.workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.stop()


def provider_limit(stack: Stack, pid: int) -> int:
    provider = stack.api("GET", f"/api/providers/{pid}")
    account = provider.get("account") or {}
    limit = account.get("max_connections") or provider.get("max_connections")
    assert limit, provider
    return int(limit)


def channels_on(ready: Ready, pid: int, count: int) -> list[tuple[int, str, int]]:
    """(channel id, play URL, the provider's stream) of channels with a stream of ``pid`` and
    one of another provider to fall back on."""
    found = []
    for _, url in _m3u_entries(ready.m3u):
        cid = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        streams = ready.stack.api("GET", f"/api/channels/{cid}")["streams"]
        ours = [s for s in streams if s["provider_id"] == pid]
        if ours and any(s["provider_id"] != pid for s in streams):
            found.append((cid, url, ours[0]["id"]))
            if len(found) == count:
                return found
    raise AssertionError(f"fewer than {count} channels with a stream of provider {pid}")


def watching(stack: Stack, pid: int) -> tuple[int, int]:
    """(viewers on the provider, viewers in all) as the API lists them, every process included."""
    items = stack.api("GET", "/api/streams/active")["items"]
    return sum(1 for v in items if v["provider_id"] == pid), len(items)


def test_two_api_processes_share_a_providers_connection_limit(ready: Ready) -> None:
    stack = ready.stack
    if stack.mode != "scaled":
        pytest.skip("connection limits across processes need Redis (the scaled setup)")
    stack.wait_no_viewers()
    pid = ready.providers[PROVIDER]
    limit = provider_limit(stack, pid)
    targets = channels_on(ready, pid, limit + 2)
    for _, _, sid in targets:  # the provider's stream first on each channel, as a user pins it
        stack.api("POST", f"/api/streams/{sid}/pin", json={"rank": 1})
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    watchers: list[Watcher] = []
    try:
        with second_server(stack) as (other, proc):
            bases = [stack.url, other]
            # The limit's worth of viewers, alternating between the two processes ...
            for n, (_, url, _) in enumerate(targets[:limit]):
                parts = urlsplit(url)
                watchers.append(Watcher(f"{bases[n % 2]}{parts.path}?{parts.query}").start())
                watchers[-1].wait_started()
                assert watchers[-1].status == 200, (watchers[-1].body, stack.logs())
            assert watching(stack, pid) == (limit, limit)
            # ... and one more.
            parts = urlsplit(targets[limit][1])
            extra = Watcher(f"{bases[limit % 2]}{parts.path}?{parts.query}").start()
            watchers.append(extra)
            extra.wait_started()
            assert extra.status in (200, 503), extra.body
            if extra.status == 503:
                assert "connection limit" in extra.body, extra.body
            # For a few seconds, all of them together: never more than the account allows.
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                assert stack.provider.control("stats")["globex"] <= limit
                on_provider, total = watching(stack, pid)
                assert on_provider == limit and total == limit + (extra.status == 200)
                time.sleep(0.5)
            # The second process dies without a word: its leases are no longer refreshed and
            # expire, and the slot it held serves a viewer of the first process again.
            proc.popen.send_signal(signal.SIGKILL)
            proc.popen.wait(timeout=10)
            stack.wait_for(
                "the dead process's viewers and leases to expire",
                lambda: watching(stack, pid)[0] == limit // 2 + limit % 2,
                timeout=40,
            )
            parts = urlsplit(targets[limit + 1][1])
            fresh = Watcher(f"{stack.url}{parts.path}?{parts.query}").start()
            watchers.append(fresh)
            fresh.wait_started()
            assert fresh.status == 200, fresh.body
            time.sleep(0.5)
            assert watching(stack, pid)[0] == limit // 2 + limit % 2 + 1
            assert stack.provider.control("stats")["globex"] <= limit
    finally:
        for w in watchers:
            w.close()
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
        for _, _, sid in targets:
            stack.api("POST", f"/api/streams/{sid}/pin", json={"rank": None})
