"""One upstream for one viewer, without a hub: a specific stream or a catch-up archive.

``/play/{channel}`` shares one upstream per channel between viewers and fails over
(:mod:`strmline.playback.hub`); ``/play/stream/{id}`` names one stream and a catch-up URL one
programme of one archive, so neither has anything to share or to fail over to. They still need
what the hub gives: the provider's headers on every request, its connection limit, and HLS read
into one MPEG-TS (variant, media playlist, AES-128) so every player gets the same format, and
the stream profile: a command profile's process reads the upstream and its stdout is the body.

:meth:`SinglePipe.open` reads the first bytes before the caller answers, so a dead upstream is a
502 with the reason instead of an empty 200; :meth:`SinglePipe.body` streams the rest and
releases the connection however the viewer leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

import httpx

from strmline.config import PlaybackSettings
from strmline.formats.media import media_type, sniff
from strmline.playback.connections import ConnectionTracker, Lease
from strmline.playback.errors import ConnectionLimited, NoWorkingStream
from strmline.playback.hls import MAX_PLAYLIST_BYTES, HlsReader, UpstreamFailed
from strmline.playback.profiles import (
    CommandFailed,
    CommandStream,
    StreamProfile,
    build_args,
    find,
)
from strmline.providers.http import DEFAULT_USER_AGENT, describe_error

__all__ = ["SinglePipe", "Upstream"]


@dataclass(frozen=True, slots=True)
class Upstream:
    provider_id: int
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    limit: int | None = None  # the provider's connection limit
    profile: str | None = None  # the stream profile; a command one is read from its process


class SinglePipe:
    def __init__(self, upstream: Upstream, opts: PlaybackSettings, tracker: ConnectionTracker):
        self.upstream = upstream
        self.opts = opts
        self.tracker = tracker
        self._stack = contextlib.AsyncExitStack()
        self._first = b""
        self._rest: AsyncIterator[bytes] | None = None

    async def open(self) -> None:
        """Connect and read the first bytes; :class:`ConnectionLimited` at the provider's limit,
        :class:`NoWorkingStream` with the reason when the upstream does not play."""
        up = self.upstream
        lease: Lease | None = await self.tracker.take(up.provider_id, "view", up.limit)
        if lease is None:
            raise ConnectionLimited(
                f"the provider is at its connection limit ({up.limit}); try again when another "
                "viewer stops"
            )
        self._stack.callback(lease.release)
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _open(self) -> None:
        opts, up = self.opts, self.upstream
        profile = find(opts, up.profile)
        if profile is not None and profile.kind == "command":
            await self._open_command(profile)
            return
        headers = {"User-Agent": DEFAULT_USER_AGENT, **up.headers}
        http = await self._stack.enter_async_context(
            httpx.AsyncClient(
                timeout=httpx.Timeout(opts.stall_seconds, connect=opts.connect_timeout),
                follow_redirects=True,
                limits=httpx.Limits(max_connections=opts.hls_prefetch + 1),
            )
        )
        try:
            response = await self._stack.enter_async_context(
                http.stream("GET", up.url, headers=headers)
            )
            if response.status_code >= 400:
                raise NoWorkingStream(f"the provider answered HTTP {response.status_code}")
            chunks = response.aiter_bytes()
            async with asyncio.timeout(opts.connect_timeout + opts.stall_seconds):
                first = await anext(chunks, b"")
            if not first:
                raise NoWorkingStream("the provider sent an empty response")
            kind = sniff(response.headers.get("content-type"), first)
            if kind == "ts":
                self._first, self._rest = first, chunks
                return
            if kind != "hls":
                ctype = response.headers.get("content-type")
                raise NoWorkingStream(f"not a media stream: {media_type(ctype) if ctype else kind}")
            body = bytearray(first)
            async for chunk in chunks:
                body += chunk
                if len(body) > MAX_PLAYLIST_BYTES:
                    raise NoWorkingStream("playlist: too large")
            reader = HlsReader(
                http,
                headers,
                quality=opts.hls_quality,
                prefetch=opts.hls_prefetch,
                stall_seconds=opts.stall_seconds,
            )
            media = await reader.open(str(response.url), bytes(body))
            segments = reader.segments(media)
            self._stack.push_async_callback(segments.aclose)
            self._rest = segments
            self._first = await anext(segments)
        except UpstreamFailed as exc:
            raise NoWorkingStream(exc.reason) from None
        except TimeoutError:
            raise NoWorkingStream(
                f"no data within {opts.connect_timeout + opts.stall_seconds:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise NoWorkingStream(describe_error(exc)) from None

    async def _open_command(self, profile: StreamProfile) -> None:
        """The upstream read by a command profile's process (killed when the pipe closes)."""
        up, wait = self.upstream, self.opts.connect_timeout + self.opts.stall_seconds
        if not profile.available or profile.command is None:
            raise NoWorkingStream(
                f"stream profile {profile.name!r} needs {profile.program}, which is not installed"
            )
        args = build_args(
            profile.command,
            url=up.url,
            user_agent=up.headers.get("User-Agent") or DEFAULT_USER_AGENT,
            referer=up.headers.get("Referer"),
        )
        try:
            process = await CommandStream.start(profile.name, args, up.url)
        except CommandFailed as exc:
            raise NoWorkingStream(exc.reason) from None
        self._stack.push_async_callback(process.close)
        try:
            async with asyncio.timeout(wait):
                first = await process.read()
        except TimeoutError:
            raise NoWorkingStream(
                f"stream profile {profile.name!r}: no output for {wait:g} s"
            ) from None
        if not first:
            raise NoWorkingStream(process.reason())
        if sniff(None, first) != "ts":
            raise NoWorkingStream(f"stream profile {profile.name!r}: output is not MPEG-TS")
        self._first, self._rest = first, _output(process)

    async def body(self) -> AsyncGenerator[bytes, None]:
        """The stream from its first bytes until the upstream ends, stalls or the viewer goes."""
        try:
            if self._first:
                yield self._first
            if self._rest is None:
                return
            while True:
                try:
                    async with asyncio.timeout(self.opts.stall_seconds):
                        chunk = await anext(self._rest)
                except (StopAsyncIteration, TimeoutError, UpstreamFailed, httpx.HTTPError):
                    return  # the player sees the end of the stream and may ask again
                yield chunk
        finally:
            await self._stack.aclose()

    async def close(self) -> None:
        """Release the upstream when :meth:`body` is never iterated."""
        await self._stack.aclose()


async def _output(process: CommandStream) -> AsyncIterator[bytes]:
    while chunk := await process.read():
        yield chunk
