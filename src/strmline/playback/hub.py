"""One upstream per watched channel, fanned out to its viewers, with failover.

A :class:`ChannelHub` opens the best stream it may (rank order, inactive streams last, providers
at their connection limit skipped), checks that the first bytes are MPEG-TS, and copies whole
188-byte packets to every viewer's bounded queue. When the upstream fails, stalls or turns out
not to be video, the hub moves on to the next stream without ending the viewers' streams; the
failure is written against the stream in one batched UPDATE. A viewer whose queue fills up is
dropped rather than slowing everyone else; a late joiner starts at the next PAT so its decoder
can lock on. When the last viewer leaves, the upstream stays open for a short grace period (a
player that reconnects, a channel flip back) and then closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from strmline.config import PlaybackSettings
from strmline.db.base import utcnow
from strmline.errors import NotFound, StrmlineError
from strmline.formats.media import TsAligner, find_pat, media_type, sniff
from strmline.playback.candidates import Candidate, load_candidates
from strmline.playback.connections import Lease
from strmline.playback.errors import (
    ConnectionLimited,
    NoWorkingStream,
    ProxyClosed,
    ProxyFailed,
    TooManySwitches,
)
from strmline.playback.failures import record_failures
from strmline.providers.http import DEFAULT_USER_AGENT, describe_error

if TYPE_CHECKING:
    from strmline.playback.registry import ProxyRegistry

__all__ = ["PAT_WAIT_SECONDS", "ChannelHub", "Viewer"]

log = logging.getLogger(__name__)

PAT_WAIT_SECONDS = 2.0  # a late joiner waits this long for a PAT, then starts at any packet


@dataclass(eq=False)
class Viewer:
    """One viewer of a hub: its queue of packets (None ends it) and what it was sent."""

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


class ChannelHub:
    def __init__(self, registry: ProxyRegistry, channel_id: int) -> None:
        self.registry = registry
        self.channel_id = channel_id
        self.opts: PlaybackSettings = registry.settings.playback
        self.clients: set[Viewer] = set()
        self.current: Candidate | None = None
        self.switches = 0
        self.bytes_in = 0
        self.streaming = False
        self.finished = False
        self.failures: list[tuple[int, str]] = []
        loop = asyncio.get_running_loop()
        # None once packets flow; the reason nothing plays otherwise.
        self.ready: asyncio.Future[StrmlineError | None] = loop.create_future()
        self._task: asyncio.Task[None] | None = None
        self._grace: asyncio.TimerHandle | None = None
        self._aligner = TsAligner()

    # -- viewers ------------------------------------------------------------------------------

    def join(self, user_id: int | None) -> Viewer:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        client = Viewer(
            id=self.registry.next_client_id(),
            user_id=user_id,
            joined=time.monotonic(),
            queue=asyncio.Queue(maxsize=self.opts.client_buffer_chunks),
            switch_base=self.switches,
            need_pat=self.streaming,
        )
        self.clients.add(client)
        return client

    def leave(self, client: Viewer) -> None:
        self.clients.discard(client)
        if not self.clients and not self.finished and self._grace is None:
            loop = asyncio.get_running_loop()
            self._grace = loop.call_later(self.opts.grace_seconds, self._idle)

    def _idle(self) -> None:
        self._grace = None
        if not self.clients and self._task is not None:
            self._task.cancel()

    def _drop(self, client: Viewer) -> None:
        """A viewer that cannot keep up: end its stream instead of buffering without bound."""
        client.dropped = True
        self.clients.discard(client)
        end_queue(client.queue)
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
        outcome: StrmlineError | None = None
        try:
            candidates = await load_candidates(self.registry.session_factory, self.channel_id)
            outcome = await self._failover(candidates)
        except asyncio.CancelledError:
            outcome = ProxyClosed("the stream was closed")
        except Exception as exc:  # a bug must not leave viewers hanging
            log.exception("proxy for channel %s crashed", self.channel_id)
            outcome = ProxyFailed(f"proxy error: {type(exc).__name__}")
        finally:
            self.finished = True
            self.registry.forget(self)
            if not self.ready.done():
                self.ready.set_result(outcome)
            for client in list(self.clients):
                end_queue(client.queue)
            self.clients.clear()
            self._flush_failures()

    async def _failover(self, candidates: list[Candidate]) -> StrmlineError | None:
        if not candidates:
            return NotFound(f"channel {self.channel_id} has no streams")
        blocked = 0
        tried = 0
        tracker = self.registry.tracker
        for candidate in candidates:
            if self.switches > self.opts.max_switches:
                return TooManySwitches("too many stream failures")
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
            return ConnectionLimited(
                f"all {blocked} streams of this channel are on providers at their connection "
                "limit; try again when another viewer stops"
            )
        reasons = "; ".join(f"stream {sid}: {why}" for sid, why in self.failures[-3:])
        more = f" ({blocked} skipped: provider connection limit)" if blocked else ""
        return NoWorkingStream(f"no stream of this channel works: {reasons}{more}")

    async def _pump(self, candidate: Candidate, lease: Lease) -> str | None:
        """Copy one upstream to the viewers; a failure reason, or None once nobody watches."""
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


def end_queue(queue: asyncio.Queue[bytes | None]) -> None:
    """Put the end marker in, dropping the oldest chunk when the queue is full."""
    while True:
        try:
            queue.put_nowait(None)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
