"""One upstream per watched channel, fanned out to its viewers, with failover.

A :class:`ChannelHub` opens the best stream it may (rank order, inactive streams last, providers
at their connection limit skipped) with the stream's headers (User-Agent, Referer, Origin,
Cookie), and looks at the first bytes: MPEG-TS is copied as it comes, an HLS playlist is read
by :class:`~strmline.playback.hls.HlsReader` (variant, polled media playlist, segments in order,
AES-128 decrypted, fMP4 segments remuxed through ffmpeg by :mod:`~strmline.playback.remux`)
into the same continuous MPEG-TS. A stream whose profile is a command
(:mod:`~strmline.playback.profiles`: ffmpeg, streamlink…) is read from that process's stdout
instead, one process per upstream. Whole 188-byte packets go to every
viewer's bounded queue. When the upstream fails, stalls or turns out not to be video, the hub
moves on to the next stream without ending the viewers' streams; the failure is written against
the stream in one batched UPDATE (a format the proxy cannot read is skipped, not recorded). A
viewer whose queue fills up is dropped rather than slowing everyone else; a late joiner gets the
channel's PAT, PMT and packets since the last keyframe (:mod:`~strmline.playback.gop`), so its
first picture decodes. When the last viewer leaves, the upstream stays open for a short grace
period (a player that reconnects, a channel flip back) and then closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
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
from strmline.playback.gop import GopCache
from strmline.playback.hls import MAX_PLAYLIST_BYTES, HlsReader, Unsupported, UpstreamFailed
from strmline.playback.profiles import (
    CommandFailed,
    CommandStream,
    StreamProfile,
    build_args,
    find,
)
from strmline.playback.remux import Remuxer, RemuxFailed, find_ffmpeg
from strmline.providers.http import DEFAULT_USER_AGENT, describe_error

if TYPE_CHECKING:
    from strmline.playback.registry import ProxyRegistry

__all__ = ["KEY_WAIT_SECONDS", "PAT_WAIT_SECONDS", "ChannelHub", "Viewer"]

log = logging.getLogger(__name__)

PAT_WAIT_SECONDS = 2.0  # a late joiner waits this long for a PAT, then starts at any packet
# With video known but no keyframe cached, a joiner waits this long for one, then takes a PAT.
KEY_WAIT_SECONDS = 6.0


@dataclass(eq=False)
class Viewer:
    """One viewer of a hub: its queue of packets (None ends it) and what it was sent."""

    id: int
    user_id: int | None
    joined: float
    queue: asyncio.Queue[bytes | None]
    switch_base: int
    started_at: datetime = field(default_factory=utcnow)
    need_start: bool = False  # waiting for a keyframe (or a PAT) to start on
    bytes_sent: int = 0
    session_id: int | None = None
    dropped: bool = False
    user_agent: str | None = None  # the player's
    address: str | None = None  # where it connects from


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
        self.gop = GopCache()
        self.skipped: list[tuple[int, str]] = []  # streams in formats the proxy does not read

    # -- viewers ------------------------------------------------------------------------------

    def join(
        self, user_id: int | None, *, user_agent: str | None = None, address: str | None = None
    ) -> Viewer:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        client = Viewer(
            id=self.registry.next_client_id(),
            user_id=user_id,
            joined=time.monotonic(),
            queue=asyncio.Queue(maxsize=self.opts.client_buffer_chunks),
            switch_base=self.switches,
            need_start=self.streaming,
            user_agent=user_agent,
            address=address,
        )
        if client.need_start:
            start = self.gop.snapshot()
            if start is not None:
                # PAT, PMT and the packets since the last keyframe: the first picture decodes.
                client.queue.put_nowait(start)
                client.need_start = False
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

    def stop_viewer(self, client: Viewer) -> None:
        """An admin ended this viewer's stream (the others of the channel go on)."""
        self.clients.discard(client)
        end_queue(client.queue)
        log.info("channel %s: an admin stopped viewer %s", self.channel_id, client.id)

    def _drop(self, client: Viewer) -> None:
        """A viewer that cannot keep up: end its stream instead of buffering without bound."""
        client.dropped = True
        self.clients.discard(client)
        end_queue(client.queue)
        log.info("channel %s: dropped a slow client", self.channel_id)

    def _broadcast(self, data: bytes, key: int | None = None) -> None:
        """Send aligned packets to every viewer; ``key`` is the offset of the first keyframe
        in ``data`` (where a joiner without a cached GOP starts, after the PAT and PMT)."""
        if not data:
            return
        now = time.monotonic()
        for client in list(self.clients):
            payload = data
            if client.need_start:
                waited = now - client.joined
                if key is not None and self.gop.knows_video:
                    payload = self.gop.header() + data[key:]
                elif self.gop.knows_video and waited < KEY_WAIT_SECONDS:
                    continue
                else:
                    offset = find_pat(data)
                    if offset is None:
                        if waited < PAT_WAIT_SECONDS + (
                            KEY_WAIT_SECONDS if self.gop.knows_video else 0.0
                        ):
                            continue
                    else:
                        payload = data[offset:]
                client.need_start = False
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
            lease = await tracker.take(candidate.provider_id, "view", candidate.limit)
            if lease is None:
                blocked += 1
                continue
            tried += 1
            reason = await self._pump(candidate, lease)
            if reason is None:
                return None  # everyone left: a normal end
            if isinstance(reason, Unsupported):
                # The stream may be fine for players that read it: try the next, record nothing.
                self.skipped.append((candidate.stream_id, reason.reason))
                log.info(
                    "channel %s: stream %s skipped (%s)",
                    self.channel_id,
                    candidate.stream_id,
                    reason.reason,
                )
                if self.streaming:
                    self.switches += 1
                continue
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
        reasons = "; ".join(
            f"stream {sid}: {why}" for sid, why in [*self.failures[-3:], *self.skipped[-2:]]
        )
        more = f" ({blocked} skipped: provider connection limit)" if blocked else ""
        return NoWorkingStream(f"no stream of this channel works: {reasons}{more}")

    async def _pump(self, candidate: Candidate, lease: Lease) -> str | Unsupported | None:
        """Copy one upstream to the viewers; a failure reason (an :class:`Unsupported` for a
        format the proxy does not read), or None once nobody watches."""
        profile = find(self.opts, candidate.profile)
        if profile is not None and profile.kind == "command":
            try:
                return await self._pump_command(candidate, profile)
            finally:
                lease.release()
        opts = self.opts
        timeout = httpx.Timeout(opts.stall_seconds, connect=opts.connect_timeout)
        headers = {"User-Agent": DEFAULT_USER_AGENT, **candidate.headers}
        if candidate.user_agent and "User-Agent" not in candidate.headers:
            headers["User-Agent"] = candidate.user_agent
        limits = httpx.Limits(max_connections=opts.hls_prefetch + 1)
        try:
            async with httpx.AsyncClient(
                timeout=timeout, follow_redirects=True, limits=limits
            ) as http:
                playlist: tuple[str, bytes] | None = None
                async with http.stream("GET", candidate.url, headers=headers) as response:
                    if response.status_code >= 400:
                        return f"HTTP {response.status_code}"
                    # Decoded: a playlist may come gzipped; TS never is, so this costs it nothing.
                    chunks = response.aiter_bytes()
                    try:
                        async with asyncio.timeout(opts.connect_timeout + opts.stall_seconds):
                            first = await anext(chunks)
                    except StopAsyncIteration:
                        return "empty response"
                    kind = sniff(response.headers.get("content-type"), first)
                    if kind == "hls":
                        body = bytearray(first)
                        async for chunk in chunks:
                            body += chunk
                            if len(body) > MAX_PLAYLIST_BYTES:
                                return "playlist: too large"
                        playlist = (str(response.url), bytes(body))
                    elif kind != "ts":
                        ctype = response.headers.get("content-type")
                        return f"not a media stream: {media_type(ctype) if ctype else kind}"
                    else:
                        return await self._pump_ts(candidate, first, chunks)
                return await self._pump_hls(candidate, http, headers, *playlist)
        except UpstreamFailed as exc:
            return exc if isinstance(exc, Unsupported) else exc.reason
        except TimeoutError:
            return f"timeout after {opts.connect_timeout + opts.stall_seconds:g} s"
        except httpx.TimeoutException:
            return f"stalled: no data for {opts.stall_seconds:g} s"
        except httpx.HTTPError as exc:
            return describe_error(exc)
        finally:
            lease.release()

    async def _pump_command(
        self, candidate: Candidate, profile: StreamProfile
    ) -> str | Unsupported | None:
        """One upstream read by a command profile's process, whose stdout is the channel's TS;
        the process is killed when this returns (failover, stop, nobody left watching)."""
        assert profile.command is not None
        if not profile.available:  # not the stream's fault: try the next, record nothing
            return Unsupported(
                f"stream profile {profile.name!r} needs {profile.program}, which is not installed"
            )
        args = build_args(
            profile.command,
            url=candidate.url,
            user_agent=candidate.headers.get("User-Agent") or DEFAULT_USER_AGENT,
            referer=candidate.headers.get("Referer"),
        )
        try:
            process = await CommandStream.start(profile.name, args, candidate.url)
        except CommandFailed as exc:
            return exc.reason
        wait = self.opts.connect_timeout + self.opts.stall_seconds
        started = False
        try:
            while True:
                try:
                    async with asyncio.timeout(wait):
                        chunk = await process.read()
                except TimeoutError:
                    return f"stream profile {profile.name!r}: no output for {wait:g} s"
                if not chunk:
                    return process.reason()
                if not started:
                    kind = sniff(None, chunk)
                    if kind != "ts":
                        return f"stream profile {profile.name!r}: output is not MPEG-TS ({kind})"
                    started, wait = True, self.opts.stall_seconds
                    self._switch_to(candidate)
                self._send(chunk)
                if not self.clients and self._grace is None:
                    return None
        finally:
            await process.close()

    def _switch_to(self, candidate: Candidate) -> None:
        self.current = candidate
        self._aligner.reset()
        self.gop.reset()

    async def _pump_ts(
        self, candidate: Candidate, first: bytes, chunks: AsyncIterator[bytes]
    ) -> str | None:
        opts = self.opts
        self._switch_to(candidate)
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

    async def _pump_hls(
        self,
        candidate: Candidate,
        http: httpx.AsyncClient,
        headers: dict[str, str],
        url: str,
        body: bytes,
    ) -> str | None:
        opts = self.opts
        reader = HlsReader(
            http,
            headers,
            quality=opts.hls_quality,
            prefetch=opts.hls_prefetch,
            stall_seconds=opts.stall_seconds,
            ffmpeg=find_ffmpeg(),
        )
        media = await reader.open(url, body)
        segments = reader.segments(media)
        remux: tuple[Remuxer, asyncio.Task[str | None]] | None = None
        try:
            async for segment in segments:
                if reader.fmp4:
                    if remux is None:
                        remux = await self._start_remux(candidate)
                    if remux[1].done():
                        return remux[1].result()
                    await remux[0].write(segment)
                else:
                    if self.current is not candidate:
                        self._switch_to(candidate)
                    else:
                        self._aligner.reset()  # a segment's stray tail must not swallow the next
                    self._send(segment)
                if not self.clients and self._grace is None:
                    return None
        except RemuxFailed as exc:
            return exc.reason
        finally:
            await segments.aclose()
            if remux is not None:
                remux[1].cancel()
                await remux[0].close()
        return "upstream ended the stream"  # pragma: no cover - segments() ends by raising

    async def _start_remux(self, candidate: Candidate) -> tuple[Remuxer, asyncio.Task[str | None]]:
        """An ffmpeg for this upstream's fMP4 segments and the task sending its MPEG-TS on."""
        ffmpeg = find_ffmpeg()
        if ffmpeg is None:  # removed since the reader looked: not the stream's fault
            raise Unsupported("fMP4 (CMAF) HLS segments need ffmpeg, which is not installed")
        remuxer = await Remuxer.start(ffmpeg, write_timeout=self.opts.stall_seconds)

        async def forward() -> str | None:
            async for chunk in remuxer.output():
                if self.current is not candidate:
                    self._switch_to(candidate)
                self._send(chunk)
            return remuxer.reason()

        task = asyncio.get_running_loop().create_task(forward())
        return remuxer, task

    def _send(self, chunk: bytes) -> None:
        self.bytes_in += len(chunk)
        packets = self._aligner.feed(chunk)
        if packets:
            if not self.streaming:
                self.streaming = True
                if not self.ready.done():
                    self.ready.set_result(None)
            self._broadcast(packets, self.gop.feed(packets))

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
