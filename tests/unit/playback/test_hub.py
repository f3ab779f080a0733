"""The proxy engine without a web framework or a database: hubs fed by hand, candidates faked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strmline.config import Settings
from strmline.errors import NotFound
from strmline.formats.media import find_pat
from strmline.playback import hub as hub_module
from strmline.playback.candidates import Candidate
from strmline.playback.connections import ConnectionTracker
from strmline.playback.errors import ConnectionLimited, PlaybackError
from strmline.playback.hub import ChannelHub, end_queue
from strmline.playback.registry import ProxyRegistry, Subscription

NULL = b"\x47\x1f\xff\x10" + b"\xff" * 184
PAT = b"\x47\x40\x00\x10" + b"\x00" * 184


class _NoDatabase:
    """A session factory that must not be used by these tests."""

    def __call__(self) -> Any:
        raise AssertionError("the database was touched")


def make_registry(tmp_path: Path, **playback: Any) -> ProxyRegistry:
    settings = Settings(data_dir=tmp_path, playback={"grace_seconds": 0.05, **playback})
    return ProxyRegistry(settings, _NoDatabase(), tracker=ConnectionTracker())  # type: ignore[arg-type]


async def test_slow_viewers_are_dropped_and_late_joiners_start_at_a_pat(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, client_buffer_chunks=4)
    hub = ChannelHub(registry, 1)  # not started: fed by hand
    fast, slow = hub.join(None), hub.join(7)
    for _ in range(6):
        hub._broadcast(NULL * 4)
        assert fast.queue.get_nowait() == NULL * 4
    assert slow.dropped and slow not in hub.clients and fast in hub.clients
    assert slow.queue.get_nowait() is not None  # the end marker comes after what it had
    hub.streaming = True
    late = hub.join(None)
    assert late.need_start
    hub._broadcast(NULL * 3)
    assert late.queue.empty()
    hub._broadcast(NULL * 2 + PAT + NULL)
    data = late.queue.get_nowait()
    assert data == PAT + NULL and find_pat(data) == 0


def test_end_queue_makes_room_for_the_end_marker() -> None:
    import asyncio

    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=2)
    queue.put_nowait(b"a")
    queue.put_nowait(b"b")
    end_queue(queue)
    assert [queue.get_nowait(), queue.get_nowait()] == [b"b", None]


async def test_subscription_counts_bytes_and_leaves_the_hub(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    hub = ChannelHub(registry, 1)
    viewer = hub.join(3)
    sub = Subscription(registry, hub, viewer)
    hub._broadcast(NULL)
    hub._broadcast(NULL * 2)
    end_queue(viewer.queue)
    assert [chunk async for chunk in sub.packets()] == [NULL, NULL * 2]
    assert viewer.bytes_sent == 3 * len(NULL) and viewer not in hub.clients
    assert registry.active_sessions() == []  # the hub was never registered
    await registry.close()  # the session close (no session id) touched nothing


@pytest.mark.parametrize("limited", [False, True])
async def test_subscribe_raises_domain_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limited: bool
) -> None:
    registry = make_registry(tmp_path)
    candidates = [Candidate(11, 5, "http://127.0.0.1:9/x.ts", None, 1)] if limited else []

    async def load(factory: Any, channel_id: int) -> list[Candidate]:
        assert channel_id == 42
        return candidates

    monkeypatch.setattr(hub_module, "load_candidates", load)
    other_viewer = registry.tracker.acquire(5, "view", 1)
    with pytest.raises(ConnectionLimited if limited else NotFound) as caught:
        await registry.subscribe(42, None)
    assert isinstance(caught.value, PlaybackError) == limited
    expected = "connection limit" if limited else "has no streams"
    assert expected in caught.value.message
    assert registry.hubs == {}  # a finished hub is forgotten: the next viewer starts anew
    assert other_viewer is not None
    other_viewer.release()
    await registry.close()
