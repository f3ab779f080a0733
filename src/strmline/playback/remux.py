"""fMP4 (CMAF) HLS segments into MPEG-TS through one long-lived ffmpeg per upstream.

Players and media servers behind the proxy read MPEG-TS; an HLS upstream whose segments are
fragmented MP4 (``#EXT-X-MAP``) is fed, init section first and then each segment in order, into
``ffmpeg -f mp4 -i pipe:0 -c copy -f mpegts pipe:1``. Copying costs little CPU; the process lives
as long as the hub reads that upstream and is killed when it moves on or stops. Memory stays
bounded: writes wait for ffmpeg to take the bytes (pipe back-pressure) under a timeout, output is
read in fixed chunks, and only the last lines of ffmpeg's error output are kept for the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections import deque
from collections.abc import AsyncIterator

__all__ = ["READ_BYTES", "RemuxFailed", "Remuxer", "find_ffmpeg"]

READ_BYTES = 64 * 1024
_ERROR_LINES = 5


class RemuxFailed(Exception):
    """ffmpeg could not start, took too long to accept data, or stopped: ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def find_ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def _args(ffmpeg: str) -> list[str]:
    return [
        ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error",
        # The init section carries every track's parameters: nothing to probe for.
        "-probesize", "65536", "-analyzeduration", "0",
        "-f", "mp4", "-i", "pipe:0",
        "-map", "0:v?", "-map", "0:a?", "-c", "copy",
        "-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0", "pipe:1",
    ]  # fmt: skip


class Remuxer:
    """One ffmpeg: :meth:`write` fMP4 in, iterate :meth:`output` for MPEG-TS out, then
    :meth:`close` (always; it kills the process)."""

    def __init__(self, process: asyncio.subprocess.Process, write_timeout: float) -> None:
        self.process = process
        self.write_timeout = write_timeout
        self.errors: deque[str] = deque(maxlen=_ERROR_LINES)
        self._stderr = asyncio.get_running_loop().create_task(self._drain_errors())

    @classmethod
    async def start(cls, ffmpeg: str, *, write_timeout: float = 8.0) -> Remuxer:
        try:
            process = await asyncio.create_subprocess_exec(
                *_args(ffmpeg),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a Ctrl-C meant for the server is not ffmpeg's
            )
        except OSError as exc:
            raise RemuxFailed(f"ffmpeg could not start: {exc}") from exc
        return cls(process, write_timeout)

    async def _drain_errors(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            text = line.decode(errors="replace").strip()
            if text:
                self.errors.append(text[:300])

    def reason(self) -> str:
        code = self.process.returncode
        said = f": {self.errors[-1]}" if self.errors else ""
        return f"ffmpeg remux of fMP4 segments stopped (exit {code}){said}"

    async def write(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        if self.process.returncode is not None or stdin.is_closing():
            raise RemuxFailed(self.reason())
        try:
            stdin.write(data)
            async with asyncio.timeout(self.write_timeout):
                await stdin.drain()
        except TimeoutError as exc:
            raise RemuxFailed(
                f"ffmpeg remux did not take a segment in {self.write_timeout:g} s"
            ) from exc
        except (BrokenPipeError, ConnectionResetError) as exc:
            await self._settle()
            raise RemuxFailed(self.reason()) from exc

    async def output(self) -> AsyncIterator[bytes]:
        """MPEG-TS as ffmpeg writes it, until it exits."""
        stdout = self.process.stdout
        assert stdout is not None
        while chunk := await stdout.read(READ_BYTES):
            yield chunk
        await self._settle()

    async def _settle(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self.process.wait()
                await self._stderr

    async def close(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        # Shielded: a hub cancelled while closing must still reap its ffmpeg.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self.process.wait())
        self._stderr.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._stderr
