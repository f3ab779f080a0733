"""Proxy mode of ``/play``: one upstream connection per channel, fanned out, with failover.

A :class:`ChannelHub` per watched channel opens the best stream it may (rank order, inactive
streams last, providers at their connection limit skipped), checks that the first bytes are
MPEG-TS, and copies whole 188-byte packets to every client's bounded queue. When the upstream
fails, stalls or turns out not to be video, the hub moves on to the next stream without closing
the clients' connections; the failure is written against the stream in one batched UPDATE. A
client whose queue fills up is dropped rather than slowing everyone else; a late joiner starts at
the next PAT so its decoder can lock on. When the last client leaves, the upstream stays open
for a short grace period (a player that reconnects, a channel flip back) and then closes.

The hubs live in the process (``app.state``): with several API processes each proxies its own
clients, and the connection tracker counts per process (see :mod:`strmline.playback.connections`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Table, bindparam, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.errors import error_response
from strmline.config import PlaybackSettings, Settings
from strmline.db import recompute
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream, User, ViewingSession
from strmline.formats.media import TsAligner, find_pat, media_type, sniff
from strmline.playback.connections import ConnectionTracker, Lease, limit_from
from strmline.playback.connections import tracker as default_tracker
from strmline.playback.failures import backoff
from strmline.providers.http import DEFAULT_USER_AGENT, describe_error

log = logging.getLogger(__name__)

PAT_WAIT_SECONDS = 2.0  # a late joiner waits this long for a PAT, then starts at any packet
_STREAMS = cast(Table, Stream.__table__)
_SESSIONS = cast(Table, ViewingSession.__table__)


@dataclass(frozen=True, slots=True)
class Candidate:
    stream_id: int
    provider_id: int
    url: str
    user_agent: str | None
    limit: int | None


@dataclass(eq=False)
class _Client:
    id: int
    user_id: int | None
    joined: float
    queue: asyncio.Queue[bytes | None]
    switch_base: int
    started_at: datetime = field(default_factory=utcnow)
    need_pat: bool = False
    bytes_sent: int = 0
    session_id: int | None = None
    dropped: bool = False


class Unavailable(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ProxyRegistry:
    """The hubs of one app (one process)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
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

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def next_client_id(self) -> int:
        return next(self._ids)

    async def close(self) -> None:
        for hub in list(self.hubs.values()):
            await hub.stop()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)


class ChannelHub:
    def __init__(self, registry: ProxyRegistry, channel_id: int) -> None:
        self.registry = registry
        self.channel_id = channel_id
        self.opts: PlaybackSettings = registry.settings.playback
        self.clients: set[_Client] = set()
        self.current: Candidate | None = None
        self.switches = 0
        self.bytes_in = 0
        self.streaming = False
        self.finished = False
        self.failures: list[tuple[int, str]] = []
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[Unavailable | None] = loop.create_future()
        self._task: asyncio.Task[None] | None = None
        self._grace: asyncio.TimerHandle | None = None
        self._aligner = TsAligner()

    # -- clients ------------------------------------------------------------------------------

    def join(self, user_id: int | None) -> _Client:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        client = _Client(
            id=self.registry.next_client_id(),
            user_id=user_id,
            joined=time.monotonic(),
            queue=asyncio.Queue(maxsize=self.opts.client_buffer_chunks),
            switch_base=self.switches,
            need_pat=self.streaming,
        )
        self.clients.add(client)
        return client

    def leave(self, client: _Client) -> None:
        self.clients.discard(client)
        if not self.clients and not self.finished and self._grace is None:
            loop = asyncio.get_running_loop()
            self._grace = loop.call_later(self.opts.grace_seconds, self._idle)

    def _idle(self) -> None:
        self._grace = None
        if not self.clients and self._task is not None:
            self._task.cancel()

    def _drop(self, client: _Client) -> None:
        """A client that cannot keep up: end its response instead of buffering without bound."""
        client.dropped = True
        self.clients.discard(client)
        _end_queue(client.queue)
        log.info("channel %s: dropped a slow client", self.channel_id)

    def _broadcast(self, data: bytes) -> None:
        if not data:
            return
        now = time.monotonic()
        for client in list(self.clients):
            payload = data
            if client.need_pat:
                offset = find_pat(data)
                if offset is None:
                    if now - client.joined < PAT_WAIT_SECONDS:
                        continue
                else:
                    payload = data[offset:]
                client.need_pat = False
            try:
                client.queue.put_nowait(payload)
            except asyncio.QueueFull:
                self._drop(client)

    # -- upstream -----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"strmline-proxy-{self.channel_id}"
        )

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        outcome: Unavailable | None = None
        try:
            candidates = await load_candidates(self.registry.session_factory, self.channel_id)
            outcome = await self._failover(candidates)
        except asyncio.CancelledError:
            outcome = Unavailable(503, "proxy_closed", "the stream was closed")
        except Exception as exc:  # a bug must not leave clients hanging
            log.exception("proxy for channel %s crashed", self.channel_id)
            outcome = Unavailable(502, "proxy_error", f"proxy error: {type(exc).__name__}")
        finally:
            self.finished = True
            if self.registry.hubs.get(self.channel_id) is self:
                del self.registry.hubs[self.channel_id]
            if not self.ready.done():
                self.ready.set_result(outcome)
            for client in list(self.clients):
                _end_queue(client.queue)
            self.clients.clear()
            self._flush_failures()

    async def _failover(self, candidates: list[Candidate]) -> Unavailable | None:
        if not candidates:
            return Unavailable(404, "not_found", f"channel {self.channel_id} has no streams")
        blocked = 0
        tried = 0
        tracker = self.registry.tracker
        for candidate in candidates:
            if self.switches > self.opts.max_switches:
                return Unavailable(502, "too_many_switches", "too many stream failures")
            lease = tracker.acquire(candidate.provider_id, "view", candidate.limit)
            if lease is None:
                blocked += 1
                continue
            tried += 1
            reason = await self._pump(candidate, lease)
            if reason is None:
                return None  # everyone left: a normal end
            self.failures.append((candidate.stream_id, reason))
            log.info(
                "channel %s: stream %s failed (%s)", self.channel_id, candidate.stream_id, reason
            )
            if self.streaming:
                self.switches += 1
                self._flush_failures()
        if tried == 0:
            return Unavailable(
                503,
                "connection_limit",
                f"all {blocked} streams of this channel are on providers at their connection "
                "limit; try again when another viewer stops",
            )
        reasons = "; ".join(f"stream {sid}: {why}" for sid, why in self.failures[-3:])
        more = f" ({blocked} skipped: provider connection limit)" if blocked else ""
        return Unavailable(
            502, "no_working_stream", f"no stream of this channel works: {reasons}{more}"
        )

    async def _pump(self, candidate: Candidate, lease: Lease) -> str | None:
        """Copy one upstream to the clients; a failure reason, or None once nobody watches."""
        opts = self.opts
        timeout = httpx.Timeout(opts.stall_seconds, connect=opts.connect_timeout)
        headers = {"User-Agent": candidate.user_agent or DEFAULT_USER_AGENT}
        try:
            async with (
                httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http,
                http.stream("GET", candidate.url, headers=headers) as response,
            ):
                if response.status_code >= 400:
                    return f"HTTP {response.status_code}"
                chunks = response.aiter_raw()
                try:
                    async with asyncio.timeout(opts.connect_timeout + opts.stall_seconds):
                        first = await anext(chunks)
                except StopAsyncIteration:
                    return "empty response"
                kind = sniff(response.headers.get("content-type"), first)
                if kind != "ts":
                    ctype = response.headers.get("content-type")
                    return (
                        "HLS upstreams are not proxied"
                        if kind == "hls"
                        else f"not a media stream: {media_type(ctype) if ctype else kind}"
                    )
                self.current = candidate
                self._aligner.reset()
                self._send(first)
                while True:
                    try:
                        async with asyncio.timeout(opts.stall_seconds):
                            chunk = await anext(chunks)
                    except StopAsyncIteration:
                        return "upstream ended the stream"
                    except TimeoutError:
                        return f"stalled: no data for {opts.stall_seconds:g} s"
                    self._send(chunk)
                    if not self.clients and self._grace is None:
                        return None
        except TimeoutError:
            return f"timeout after {opts.connect_timeout + opts.stall_seconds:g} s"
        except httpx.TimeoutException:
            return f"stalled: no data for {opts.stall_seconds:g} s"
        except httpx.HTTPError as exc:
            return describe_error(exc)
        finally:
            lease.release()

    def _send(self, chunk: bytes) -> None:
        self.bytes_in += len(chunk)
        packets = self._aligner.feed(chunk)
        if packets:
            if not self.streaming:
                self.streaming = True
                if not self.ready.done():
                    self.ready.set_result(None)
            self._broadcast(packets)

    def _flush_failures(self) -> None:
        failures, self.failures = self.failures, []
        if failures:
            self.registry.spawn(
                record_failures(
                    self.registry.session_factory,
                    self.registry.settings,
                    self.channel_id,
                    failures,
                )
            )


def _end_queue(queue: asyncio.Queue[bytes | None]) -> None:
    while True:
        try:
            queue.put_nowait(None)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()


# ---- database ---------------------------------------------------------------------------------


async def load_candidates(
    factory: async_sessionmaker[AsyncSession], channel_id: int
) -> list[Candidate]:
    """The channel's streams in play order: rank already puts active, working, better ones first."""
    async with factory() as session:
        rows = await session.execute(
            select(
                Stream.id,
                Stream.provider_id,
                Stream.url,
                Stream.headers,
                Provider.user_agent,
                Provider.max_connections,
                Provider.account,
            )
            .join(Provider, Provider.id == Stream.provider_id)
            .join(Channel, Channel.id == Stream.channel_id)
            .where(
                Stream.channel_id == channel_id,
                Stream.removed_at.is_(None),
                Provider.enabled.is_(True),
                Channel.enabled.is_(True),
            )
            .order_by(Stream.active.desc(), Stream.rank, Stream.id)
        )
        out = []
        for sid, pid, url, headers, agent, max_conn, account in rows:
            stream_agent = (headers or {}).get("User-Agent") if isinstance(headers, dict) else None
            out.append(
                Candidate(sid, pid, url, stream_agent or agent, limit_from(max_conn, account))
            )
        return out


async def record_failures(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: int,
    failures: list[tuple[int, str]],
) -> None:
    """One executemany UPDATE for a batch of failed upstreams, then the channel's ranks."""
    opts = settings.health
    now = utcnow()
    threshold = opts.failures_to_deactivate
    failed = _STREAMS.c.consecutive_failures + 1
    stmt = (
        update(_STREAMS)
        .where(_STREAMS.c.id == bindparam("sid"))
        .values(
            status="failed",
            consecutive_failures=failed,
            failure_reason=bindparam("reason"),
            checked_at=now,
            active=case((failed >= threshold, False), else_=_STREAMS.c.active),
            next_check_at=case(
                (failed >= threshold, now + backoff(opts, threshold)),
                else_=_STREAMS.c.next_check_at,
            ),
        )
    )
    try:
        async with session_scope(factory) as session:
            await session.execute(
                stmt, [{"sid": sid, "reason": why[:300]} for sid, why in failures]
            )
            await recompute.channels(session, [channel_id])
    except Exception:
        log.exception("could not record stream failures of channel %s", channel_id)


async def _start_session(
    factory: async_sessionmaker[AsyncSession],
    client: _Client,
    channel_id: int,
    stream_id: int | None,
) -> None:
    try:
        async with session_scope(factory) as session:
            client.session_id = (
                await session.execute(
                    insert(_SESSIONS)
                    .values(
                        user_id=client.user_id,
                        channel_id=channel_id,
                        stream_id=stream_id,
                        kind="live",
                        client="proxy",
                        started_at=client.started_at,
                        bytes_sent=0,
                        switches=0,
                    )
                    .returning(_SESSIONS.c.id)
                )
            ).scalar_one()
    except Exception:
        log.exception("could not record a viewing session")


async def _end_session(
    factory: async_sessionmaker[AsyncSession], client: _Client, stream_id: int | None, switches: int
) -> None:
    if client.session_id is None:
        return
    try:
        async with session_scope(factory) as session:
            await session.execute(
                update(_SESSIONS)
                .where(_SESSIONS.c.id == client.session_id)
                .values(
                    ended_at=utcnow(),
                    bytes_sent=client.bytes_sent,
                    switches=switches,
                    stream_id=stream_id,
                )
            )
    except Exception:
        log.exception("could not close viewing session %s", client.session_id)


# ---- the HTTP side ----------------------------------------------------------------------------


def registry_for(
    app: FastAPI,
    settings: Settings | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> ProxyRegistry:
    registry: ProxyRegistry | None = getattr(app.state, "proxy_registry", None)
    if registry is None:
        registry = ProxyRegistry(
            settings or app.state.settings, session_factory or app.state.session_factory
        )
        app.state.proxy_registry = registry
    return registry


def active_sessions(app: FastAPI) -> list[dict[str, Any]]:
    """Every client of every hub in this process (GET /api/streams/active)."""
    registry: ProxyRegistry | None = getattr(app.state, "proxy_registry", None)
    if registry is None:
        return []
    out = []
    for hub in registry.hubs.values():
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


async def play_mode(session: AsyncSession, channel_id: int, settings: Settings) -> str:
    """``redirect`` or ``proxy``: the channel's own override, else the setting.

    In proxy mode the request's (read-only) transaction is ended here: the request's session
    lives until the response is over, and a proxied stream must not hold a pooled connection
    for hours.
    """
    override = await session.scalar(select(Channel.play_mode).where(Channel.id == channel_id))
    mode = override if override in ("redirect", "proxy") else settings.playback.mode
    if mode == "proxy":
        await session.commit()
    return mode


async def proxy_response(
    request: Request,
    *,
    channel_id: int,
    user: User | None,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> Response:
    """Join (or start) the channel's hub and stream its packets; 503/502 when nothing can play."""
    registry = registry_for(request.app, settings, session_factory)
    hub = registry.hub(channel_id)
    client = hub.join(user.id if user is not None else None)
    outcome = await asyncio.shield(hub.ready)
    if outcome is not None or client.dropped or (hub.finished and client.queue.empty()):
        hub.leave(client)
        problem = outcome or Unavailable(502, "no_working_stream", "the stream ended")
        return error_response(problem.status, problem.code, problem.message)
    await _start_session(
        session_factory, client, channel_id, hub.current.stream_id if hub.current else None
    )

    async def body() -> AsyncIterator[bytes]:
        try:
            while (data := await client.queue.get()) is not None:
                client.bytes_sent += len(data)
                yield data
        finally:
            hub.leave(client)
            registry.spawn(
                _end_session(
                    session_factory,
                    client,
                    hub.current.stream_id if hub.current else None,
                    hub.switches - client.switch_base,
                )
            )

    return StreamingResponse(body(), media_type="video/mp2t", headers={"Cache-Control": "no-store"})


__all__ = [
    "Candidate",
    "ChannelHub",
    "ProxyRegistry",
    "active_sessions",
    "load_candidates",
    "play_mode",
    "proxy_response",
    "record_failures",
    "registry_for",
]
