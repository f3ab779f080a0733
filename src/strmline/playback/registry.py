"""The proxy's hubs of one process, and the viewer's side of a hub: a :class:`Subscription`.

The registry lives as long as the app (the API keeps it in ``app.state``): with several API
processes each proxies its own viewers, and the connection tracker counts per process (see
:mod:`strmline.playback.connections`). Viewing sessions and failures are written through the
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
from strmline.playback.connections import ConnectionTracker
from strmline.playback.connections import tracker as default_tracker
from strmline.playback.errors import NoWorkingStream
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
        self.tracker = tracker or default_tracker
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

    async def subscribe(self, channel_id: int, user_id: int | None) -> Subscription:
        """Join (or start) the channel's hub once its first packets are ready.

        Raises :class:`~strmline.errors.NotFound` for a channel without streams and a
        :class:`~strmline.playback.errors.PlaybackError` when nothing can play."""
        hub = self.hub(channel_id)
        viewer = hub.join(user_id)
        outcome = await asyncio.shield(hub.ready)
        if outcome is not None or viewer.dropped or (hub.finished and viewer.queue.empty()):
            hub.leave(viewer)
            # One outcome answers every viewer of the hub: raise it without the last traceback.
            raise (outcome or NoWorkingStream("the stream ended")).with_traceback(None)
        viewer.session_id = await start_session(
            self.session_factory,
            user_id=viewer.user_id,
            channel_id=channel_id,
            stream_id=hub.current.stream_id if hub.current else None,
            started_at=viewer.started_at,
        )
        return Subscription(self, hub, viewer)

    def active_sessions(self) -> list[dict[str, Any]]:
        """Every viewer of every hub in this process."""
        out = []
        for hub in self.hubs.values():
            current = hub.current
            for client in hub.clients:
                out.append(
                    {
                        "channel_id": hub.channel_id,
                        "stream_id": current.stream_id if current else None,
                        "provider_id": current.provider_id if current else None,
                        "user_id": client.user_id,
                        "session_id": client.session_id,
                        "started_at": client.started_at,
                        "bytes_sent": client.bytes_sent,
                        "switches": hub.switches - client.switch_base,
                        "viewers_on_channel": len(hub.clients),
                    }
                )
        return out

    async def close(self) -> None:
        for hub in list(self.hubs.values()):
            await hub.stop()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)


@dataclass(eq=False)
class Subscription:
    """One viewer's stream of a channel: iterate :meth:`packets` once, to the end or until the
    viewer goes away; leaving the hub and closing the viewing session happen either way."""

    registry: ProxyRegistry
    hub: ChannelHub
    viewer: Viewer

    async def packets(self) -> AsyncIterator[bytes]:
        viewer, hub = self.viewer, self.hub
        try:
            while (data := await viewer.queue.get()) is not None:
                viewer.bytes_sent += len(data)
                yield data
        finally:
            hub.leave(viewer)
            self.registry.spawn(
                end_session(
                    self.registry.session_factory,
                    viewer.session_id,
                    stream_id=hub.current.stream_id if hub.current else None,
                    bytes_sent=viewer.bytes_sent,
                    switches=hub.switches - viewer.switch_base,
                )
            )
