"""Scaled setup, a second API process: it accepts the first one's tokens, and a setting saved
through either process is what the other one answers within seconds.

The second `strmline serve` runs on the same PostgreSQL and Redis as the stack's, with a data
dir of its own (as a second container would) and no STRMLINE_SECRET_KEY: the signing key comes
from the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import ADMIN, Ready
from tests.e2e.harness import STRMLINE, Stack, free_port, start, wait_http

SETTING = ("sync", "default_interval_minutes")
# A saved value reaches the other processes at their next check (2 s) or at once through Redis.
WITHIN = 5.0


@pytest.fixture(scope="module")
def scaled(stack: Stack, request: pytest.FixtureRequest) -> Ready:
    if stack.mode != "scaled":
        pytest.skip("a second API process is the scaled setup's")
    ready: Ready = request.getfixturevalue("ready")
    return ready


@pytest.fixture(scope="module")
def second_api(scaled: Ready) -> Iterator[httpx.Client]:
    stack = scaled.stack
    workdir = stack.workdir / "api-2"
    workdir.mkdir(exist_ok=True)
    env = {**stack.env, "STRMLINE_DATA_DIR": str(workdir / "data")}
    assert "STRMLINE_SECRET_KEY" not in env
    port = free_port()
    proc = start("serve-2", [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                 env=env, cwd=workdir)  # fmt: skip
    stack.procs.append(proc)  # its log is shown with the others' when a test fails
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", proc)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers=dict(stack.http.headers)
        ) as client:
            yield client
    finally:
        proc.stop()
        stack.procs.remove(proc)


def _value(client: httpx.Client) -> int:
    r = client.get("/api/settings")
    assert r.status_code == 200, r.text
    group, key = SETTING
    return int(r.json()[group][key]["value"])


def _save(client: httpx.Client, value: int) -> None:
    group, key = SETTING
    r = client.patch("/api/settings", json={group: {key: value}})
    assert r.status_code == 200, r.text


def _seconds_until(client: httpx.Client, value: int, stack: Stack) -> float:
    started = time.monotonic()
    while _value(client) != value:
        if time.monotonic() - started > WITHIN:
            raise AssertionError(f"{SETTING} not {value} after {WITHIN} s\n{stack.logs()}")
        time.sleep(0.1)
    return time.monotonic() - started


def test_the_second_api_process_accepts_the_first_ones_tokens(
    scaled: Ready, second_api: httpx.Client
) -> None:
    me = second_api.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["username"] == ADMIN["username"]
    # A login on the second process works on the first.
    tokens = second_api.post("/api/auth/login", json=ADMIN).json()
    r = scaled.stack.http.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert r.status_code == 200, r.text
    assert not (scaled.stack.workdir / "api-2" / "data" / "secret.key").exists()


def test_a_setting_saved_on_one_api_process_is_in_force_on_the_other(
    scaled: Ready, second_api: httpx.Client
) -> None:
    stack = scaled.stack
    first = stack.http
    original = _value(first)
    try:
        _save(first, original + 1)
        _seconds_until(second_api, original + 1, stack)
        _save(second_api, original + 2)
        _seconds_until(first, original + 2, stack)
    finally:
        _save(first, original)
    _seconds_until(second_api, original, stack)
