"""The proxy's hubs of one process, and the viewer's side of a hub: a :class:`Subscription`.

The registry lives as long as the app (the API keeps it in ``app.state``): with several API
processes each proxies its own viewers; provider connections, each user's streams and the list of
viewers are counted by the connection tracker, in Redis for every process when one is configured
(see :mod:`strmline.playback.connections`). Viewing sessions and failures are written through the
session factory the registry was given, never through a request's session: a proxied stream
outlives its request's transaction by hours.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from strmline.config import Settings
from strmline.playback.connections import ConnectionTracker, Lease, tracker_for
from strmline.playback.errors import ConnectionLimited, NoWorkingStream
from strmline.playback.hub import ChannelHub, Viewer
from strmline.playback.sessions import SessionFactory, end_session, start_session

__all__ = ["ProxyRegistry", "Subscription"]


class ProxyRegistry:
    """The hubs of one app (one process)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        tracker: ConnectionTracker | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.tracker = tracker or tracker_for(settings.redis_url, settings.jobs.redis_prefix)
        self.hubs: dict[int, ChannelHub] = {}
        self.background: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)

    def hub(self, channel_id: int) -> ChannelHub:
        hub = self.hubs.get(channel_id)
        if hub is None or hub.finished:
            # Created and stored without an await in between: two requests never race two hubs.
            hub = self.hubs[channel_id] = ChannelHub(self, channel_id)
            hub.start()
        return hub

    def forget(self, hub: ChannelHub) -> None:
        """A hub that finished: the next viewer of its channel starts a new one."""
        if self.hubs.get(hub.channel_id) is hub:
            del self.hubs[hub.channel_id]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def next_client_id(self) -> int:
        return next(self._ids)

    async def subscribe(
        self,
        channel_id: int,
        user_id: int | None,
        *,
        user_agent: str | None = None,
        address: str | None = None,
    ) -> Subscription:
        """Join (or start) the channel's hub once its first packets are ready.

        Raises :class:`~strmline.errors.NotFound` for a channel without streams and a
        :class:`~strmline.playback.errors.PlaybackError` when nothing can play."""
        slot = await self._user_slot(user_id)
        hub = self.hub(channel_id)
        viewer = hub.join(user_id, user_agent=user_agent, address=address)
        try:
            outcome = await asyncio.shield(hub.ready)
        except BaseException:  # the client went away while the channel was starting
            hub.leave(viewer)
            if slot is not None:
                slot.release()
            raise
        if outcome is not None or viewer.dropped or (hub.finished and viewer.queue.empty()):
            hub.leave(viewer)
            if slot is not None:
                slot.release()
            # One outcome answers every viewer of the hub: raise it without the last traceback.
            raise (outcome or NoWorkingStream("the stream ended")).with_traceback(None)
        viewer.session_id = await start_session(
            self.session_factory,
            user_id=viewer.user_id,
            channel_id=channel_id,
            stream_id=hub.current.stream_id if hub.current else None,
            started_at=viewer.started_at,
        )
        self.tracker.watch(
            str(viewer.id), lambda: describe(hub, viewer, iso=True), lambda: hub.stop_viewer(viewer)
        )
        return Subscription(self, hub, viewer, slot)

    async def _user_slot(self, user_id: int | None) -> Lease | None:
        """One of the user's stream slots; ConnectionLimited when the user is at the limit."""
        limit = self.settings.playback.max_streams_per_user
        if user_id is None or limit <= 0:
            return None
        slot = await self.tracker.take_user(user_id, limit)
        if slot is None:
            raise ConnectionLimited(
                f"this user already watches {limit} channel{'s' if limit > 1 else ''} at once "
                "(playback.max_streams_per_user); stop one to watch another"
            )
        return slot

    def active_sessions(self) -> list[dict[str, Any]]:
        """Every viewer of every hub in this process."""
        return [describe(hub, client) for hub in self.hubs.values() for client in hub.clients]

    async def all_sessions(self) -> list[dict[str, Any]]:
        """Every viewer of every process sharing the tracker's Redis (this process's alone
        without Redis)."""
        return await self.tracker.viewers(self.active_sessions())

    async def stop(self, viewer_id: str, *, settle: float = 2.0) -> bool:
        """End one viewer's stream (an id from :meth:`all_sessions`), in whichever process
        serves it; False when there is no such viewer (any more).

        Returns once the viewer has left the list (or after ``settle`` seconds), so a list asked
        for next no longer shows it."""
        if not await self.tracker.stop(viewer_id):
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle
        while loop.time() < deadline:
            if all(v.get("id") != viewer_id for v in await self.all_sessions()):
                break
            await asyncio.sleep(0.05)
        return True

    async def close(self) -> None:
        for hub in list(self.hubs.values()):
            await hub.stop()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        await self.tracker.close()


def describe(hub: ChannelHub, client: Viewer, *, iso: bool = False) -> dict[str, Any]:
    """One viewer as ``GET /api/streams/active`` lists it (``iso``: times as text, for Redis)."""
    current = hub.current
    return {
        "id": hub.registry.tracker.viewer_name(str(client.id)),
        "channel_id": hub.channel_id,
        "stream_id": current.stream_id if current else None,
        "provider_id": current.provider_id if current else None,
        "user_id": client.user_id,
        "user_agent": client.user_agent,
        "address": client.address,
        "session_id": client.session_id,
        "started_at": client.started_at.isoformat() if iso else client.started_at,
        "bytes_sent": client.bytes_sent,
        "switches": hub.switches - client.switch_base,
        "viewers_on_channel": len(hub.clients),
    }


@dataclass(eq=False)
class Subscription:
    """One viewer's stream of a channel: iterate :meth:`packets` once, to the end or until the
    viewer goes away; leaving the hub and closing the viewing session happen either way."""

    registry: ProxyRegistry
    hub: ChannelHub
    viewer: Viewer
    slot: Lease | None = None  # the user's stream slot (playback.max_streams_per_user)

    async def packets(self) -> AsyncIterator[bytes]:
        viewer, hub = self.viewer, self.hub
        try:
            while (data := await viewer.queue.get()) is not None:
                viewer.bytes_sent += len(data)
                yield data
        finally:
            hub.leave(viewer)
            self.registry.tracker.unwatch(str(viewer.id))
            if self.slot is not None:
                self.slot.release()
            self.registry.spawn(
                end_session(
                    self.registry.session_factory,
                    viewer.session_id,
                    stream_id=hub.current.stream_id if hub.current else None,
                    bytes_sent=viewer.bytes_sent,
                    switches=hub.switches - viewer.switch_base,
                )
            )
