"""Stream profiles: how a proxied stream is read, and the processes command profiles run.

Built in: ``proxy`` (the hub reads the upstream itself: TS copied, HLS followed; the default),
``redirect`` (players are sent to the provider), and command profiles whose program writes
MPEG-TS to stdout: ``ffmpeg-remux``, ``ffmpeg-transcode`` and ``streamlink`` (offered only when
streamlink is on PATH). People add their own command profiles in the settings
(``playback.stream_profiles``, checked by :class:`strmline.config.CommandProfile`). A profile is
chosen per provider and may be overridden per channel.

A command is split like a shell would split it but never run by one: ``{url}``, ``{user_agent}``
and ``{referer}`` are filled in inside each argument, so a value with spaces or quotes stays one
argument and cannot become a second command. An argument whose placeholders are all empty (no
Referer for this stream) is left out, with the option just before it (``-headers``).

:class:`CommandStream` runs one such process per upstream with bounded resources: stdin closed,
stdout read in fixed chunks, only the last lines of stderr kept, its own session (a Ctrl-C meant
for the server is not its), and killed when the hub moves on or stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections import deque
from dataclasses import dataclass
from typing import Literal

from strmline.config import (
    BUILTIN_STREAM_PROFILES,
    PROFILE_PLACEHOLDERS,
    PlaybackSettings,
    command_words,
)
from strmline.formats.redact import redact_text, redact_url

__all__ = [
    "BUILTIN_COMMANDS",
    "READ_BYTES",
    "CommandFailed",
    "CommandStream",
    "StreamProfile",
    "build_args",
    "find",
    "profiles",
]

READ_BYTES = 64 * 1024
_ERROR_LINES = 5
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PROFILE_PLACEHOLDERS) + r")\}")

_QUIET = "-hide_banner -nostdin -nostats -loglevel error"
_FFMPEG_IN = '-user_agent {user_agent} -headers "Referer: {referer}" -i {url}'
BUILTIN_COMMANDS: dict[str, str] = {
    "ffmpeg-remux": f"ffmpeg {_QUIET} {_FFMPEG_IN} -c copy -f mpegts pipe:1",
    # Bounded: H.264 at a capped bitrate with a keyframe every 2 s (late joiners start soon),
    # stereo AAC, two encoder threads so one channel cannot take every core.
    "ffmpeg-transcode": (
        f"ffmpeg {_QUIET} {_FFMPEG_IN} -map 0:v:0? -map 0:a:0? "
        "-c:v libx264 -preset veryfast -tune zerolatency -threads 2 "
        "-b:v 3000k -maxrate 3000k -bufsize 6000k -force_key_frames expr:gte(t,n_forced*2) "
        "-c:a aac -b:a 128k -ac 2 -f mpegts pipe:1"
    ),
    "streamlink": (
        "streamlink --stdout --loglevel error --http-header User-Agent={user_agent} "
        "--http-header Referer={referer} {url} best"
    ),
}
assert set(BUILTIN_COMMANDS) | {"proxy", "redirect"} == set(BUILTIN_STREAM_PROFILES)


@dataclass(frozen=True, slots=True)
class StreamProfile:
    name: str
    kind: Literal["proxy", "redirect", "command"]
    command: str | None = None
    builtin: bool = True

    @property
    def program(self) -> str | None:
        return command_words(self.command)[0] if self.command else None

    @property
    def available(self) -> bool:
        """A command profile needs its program on PATH; the others always work."""
        program = self.program
        return program is None or shutil.which(program) is not None


def profiles(opts: PlaybackSettings) -> list[StreamProfile]:
    """Every profile: the built-in ones, then the user's, in the order they were saved."""
    out = [StreamProfile("proxy", "proxy"), StreamProfile("redirect", "redirect")]
    out += [StreamProfile(name, "command", cmd) for name, cmd in BUILTIN_COMMANDS.items()]
    out += [StreamProfile(p.name, "command", p.command, False) for p in opts.stream_profiles]
    return out


def find(opts: PlaybackSettings, name: str | None) -> StreamProfile | None:
    if not name:
        return None
    return next((p for p in profiles(opts) if p.name == name), None)


def build_args(command: str, *, url: str, user_agent: str, referer: str | None) -> list[str]:
    """The argument list of ``command`` for one stream (see the module docstring)."""
    values = {"url": url, "user_agent": user_agent, "referer": referer or ""}
    args: list[str] = []
    for word in command_words(command):
        names = _PLACEHOLDER.findall(word)
        if names and not any(values[n] for n in names):
            # Nothing to say: drop the argument, and the option that introduces it.
            if len(args) > 1 and args[-1].startswith("-"):
                args.pop()
            continue
        args.append(_PLACEHOLDER.sub(lambda m: values[m.group(1)], word))
    return args


class CommandFailed(Exception):
    """The profile's process could not start or stopped: ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CommandStream:
    """One profile process: :meth:`read` its MPEG-TS, then :meth:`close` (always; it kills it)."""

    def __init__(self, name: str, url: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.url = url
        self.process = process
        self.errors: deque[str] = deque(maxlen=_ERROR_LINES)
        self._stderr = asyncio.get_running_loop().create_task(self._drain_errors())

    @classmethod
    async def start(cls, name: str, args: list[str], url: str) -> CommandStream:
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise CommandFailed(
                f"stream profile {name!r} could not start {args[0]}: {exc}"
            ) from exc
        return cls(name, url, process)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _drain_errors(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            text = line.decode(errors="replace").strip()
            if text:
                self.errors.append(text[:300])

    async def read(self) -> bytes:
        """The next chunk of output; empty once the process closed it (it has exited)."""
        assert self.process.stdout is not None
        chunk = await self.process.stdout.read(READ_BYTES)
        if not chunk:
            await self._settle()
        return chunk

    def reason(self) -> str:
        """Why the output ended: the exit code and the last thing it said, credentials masked."""
        code = self.process.returncode
        said = f": {self.errors[-1]}" if self.errors else ""
        text = f"stream profile {self.name!r} exited (code {code}){said}"
        return redact_text(text.replace(self.url, redact_url(self.url)))

    async def _settle(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self.process.wait()
                await self._stderr

    async def close(self) -> None:
        # The whole process group: streamlink, for one, starts an ffmpeg of its own.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        # Shielded: a hub cancelled while closing must still reap its process.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self.process.wait())
        self._stderr.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._stderr
