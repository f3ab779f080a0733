"""An admin stops one viewer's stream from the list of who is watching: that player's stream
ends, the others go on, and in the scaled setup the stop reaches a viewer served by another API
process."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.e2e.conftest import Ready
from tests.e2e.test_flow import _m3u_entries
from tests.e2e.test_playback_limits import Watcher, second_server


def _channels(ready: Ready, count: int) -> list[str]:
    """Play URLs of ``count`` channels whose streams are all healthy, from the top of the list
    (the failover tests take theirs from the bottom)."""
    found = []
    for _, url in _m3u_entries(ready.m3u):
        channel_id = int(urlsplit(url).path.rstrip("/").split("/")[-1])
        streams = ready.stack.api("GET", f"/api/channels/{channel_id}")["streams"]
        if streams and all(s["active"] and not s.get("failure_reason") for s in streams):
            found.append(url)
            if len(found) == count:
                return found
    raise AssertionError(f"fewer than {count} healthy channels")


def _viewers(ready: Ready) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ready.stack.api("GET", "/api/streams/active")["items"]
    return items


def _on(base: str, url: str) -> str:
    parts = urlsplit(url)
    return f"{base}{parts.path}?{parts.query}"


def _user_token(ready: Ready) -> str:
    name, password = f"user-{uuid.uuid4().hex[:6]}", "a user password"
    ready.stack.api(
        "POST", "/api/users", json={"username": name, "password": password, "role": "user"}
    )
    tokens = ready.stack.api(
        "POST", "/api/auth/login", json={"username": name, "password": password}
    )
    return str(tokens["access_token"])


def test_an_admin_stops_one_viewer_and_the_others_go_on(ready: Ready) -> None:
    stack = ready.stack
    stack.wait_no_viewers()
    first_url, second_url = _channels(ready, 2)
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        with ExitStack() as cleanup:
            # Scaled: the viewer to stop is served by another API process than the one asked.
            other = stack.url
            if stack.mode == "scaled":
                other, _ = cleanup.enter_context(second_server(stack))
            target = Watcher(_on(other, first_url))
            keeper = Watcher(_on(stack.url, second_url))
            for w in (target, keeper):
                cleanup.callback(w.close)
                w.start().wait_started()
                assert w.status == 200, (w.body, stack.logs())
            listed = stack.wait_for("both viewers listed", lambda: len(_viewers(ready)) == 2)
            assert listed
            items = _viewers(ready)
            assert len({v["id"] for v in items}) == 2
            for v in items:
                assert v["user_agent"].startswith("python-httpx/"), v
                assert v["address"] == "127.0.0.1", v
            channel = int(urlsplit(first_url).path.rstrip("/").split("/")[-1])
            (victim,) = [v for v in items if v["channel_id"] == channel]

            # Only admins stop viewers: not a user (who may watch).
            refused = httpx.delete(
                f"{stack.url}/api/streams/active/{victim['id']}",
                headers={"Authorization": f"Bearer {_user_token(ready)}"},
                timeout=10,
            )
            assert refused.status_code == 403, refused.text

            answer = stack.http.delete(f"/api/streams/active/{victim['id']}")
            assert answer.status_code == 204, answer.text
            assert target.thread is not None
            target.thread.join(timeout=15)
            assert not target.thread.is_alive(), "the stopped player's stream did not end"
            # The list no longer shows it once the stop answered; the other viewer stays.
            assert [v["id"] for v in _viewers(ready)] == [v["id"] for v in items if v is not victim]
            before = keeper.received
            time.sleep(1.5)
            assert keeper.received > before, "the other viewer's stream stopped too"

            gone = stack.http.delete(f"/api/streams/active/{victim['id']}")
            assert gone.status_code == 404, gone.text
            assert "no viewer" in gone.json()["error"]["message"]
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
