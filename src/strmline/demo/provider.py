"""A fake IPTV provider as a raw ASGI app: M3U, Xtream API, XMLTV, TS/HLS/VOD streams, faults.

Raw ASGI rather than a framework because the faults need control a framework hides: answering
with a Content-Length and then dropping the connection, sending headers and then nothing, or
never answering at all.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import logging
import re
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlencode
from xml.sax.saxutils import escape, quoteattr

import orjson

from strmline.demo.catalog import (
    Catalog,
    Episode,
    LiveChannel,
    Movie,
    Series,
)
from strmline.demo.fmp4 import Fmp4Clip, Fmp4Unavailable, load_fmp4
from strmline.demo.media import (
    CLIP_SECONDS,
    LoadedMedia,
    MediaUnavailable,
    ensure_media,
    load_media,
)
from strmline.demo.tsloop import TsLoop

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

Endpoint = Literal["m3u", "api", "xmltv", "stream"]

# Faults for playlist / API / guide endpoints. Any "http_NNN" is accepted as well.
API_FAULTS = frozenset(
    {
        "hang",
        "timeout",
        "slow",
        "truncated",
        "truncated_clean",
        "gzip",
        "gzip_raw",
        "redirect",
        "redirect_loop",
        "empty",
        "html",
        "json_error",
        "wrong_password",
        "auth_401",
        "auth_403",
    }
)
# Faults for /live, /hls, /movie and /series URLs. Any "http_NNN" is accepted as well.
STREAM_FAULTS = frozenset(
    {
        "dead",
        "hang",
        "timeout",
        "slow",
        "html",
        "flapping",
        "die_after",
        "redirect",
        "redirect_loop",
        # Not failures but provider habits a stream may have:
        "referer",  # 403 unless the request's Referer is the fault's value
        "aes128",  # HLS only: AES-128 encrypted segments (#EXT-X-KEY), key at /hls/<id>/key
        "fmp4",  # HLS only: fMP4 (CMAF) segments /hls/<id>/<n>.m4s, init at /hls/<id>/init.mp4
    }
)
_HTTP_FAULT = re.compile(r"^http_(\d{3})$")

_LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Panel Login</title></head><body>"
    b'<form method="post" action="/login"><input name="username"><input name="password" '
    b'type="password"><button>Sign in</button></form></body></html>'
)
# PHP notices in front of the JSON are how real panels usually break their API.
_PHP_WARNING = (
    b"<br />\n<b>Warning</b>:  Undefined array key &quot;username&quot; in "
    b"<b>/home/xtreamcodes/iptv_xtream_codes/wwwdir/player_api.php</b> on line <b>42</b><br />\n"
)
# 1x1 transparent PNG for logo and poster URLs.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
_VOD_MAGIC = {
    "mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    "mkv": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04",
    "avi": b"RIFF\x00\x00\x00\x00AVI LIST",
}
_VOD_TYPES = {"mp4": "video/mp4", "mkv": "video/x-matroska", "avi": "video/x-msvideo"}
TS_PACKET = 188


# ---- MPEG-TS synthesis ----------------------------------------------------------------------


def _crc32_mpeg2(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _psi_packet(pid: int, section: bytes, cc: int) -> bytes:
    section += _crc32_mpeg2(section).to_bytes(4, "big")
    header = bytes((0x47, 0x40 | (pid >> 8), pid & 0xFF, 0x10 | (cc & 0x0F)))
    payload = b"\x00" + section
    return header + payload + b"\xff" * (TS_PACKET - 4 - len(payload))


_PMT_PID = 0x1000
_VIDEO_PID = 0x0100
_PAT_SECTION = bytes((0x00, 0xB0, 13, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01)) + bytes(
    (0xE0 | (_PMT_PID >> 8), _PMT_PID & 0xFF)
)
_PMT_SECTION = bytes(
    (
        0x02,
        0xB0,
        18,
        0x00,
        0x01,
        0xC1,
        0x00,
        0x00,
        0xE0 | (_VIDEO_PID >> 8),
        _VIDEO_PID & 0xFF,
        0xF0,
        0x00,
        0x1B,
        0xE0 | (_VIDEO_PID >> 8),
        _VIDEO_PID & 0xFF,
        0xF0,
        0x00,
    )
)
_NULL_PACKET = b"\x47\x1f\xff\x10" + b"\xff" * (TS_PACKET - 4)


class TsSource:
    """Endless valid TS bytes in packet-aligned chunks: PAT + PMT + padding, or a real file looped."""

    def __init__(self, packets_per_chunk: int, ts_file: Path | None = None) -> None:
        self._packets = max(packets_per_chunk, 3)
        self._file: bytes | None = None
        if ts_file is not None:
            data = ts_file.read_bytes()
            start = data.find(b"\x47")
            data = data[max(start, 0) :]
            data = data[: len(data) - len(data) % TS_PACKET]
            if data:
                self._file = data
        self._synthetic = [
            _psi_packet(0, _PAT_SECTION, cc)
            + _psi_packet(_PMT_PID, _PMT_SECTION, cc)
            + _NULL_PACKET * (self._packets - 2)
            for cc in range(16)
        ]

    def chunks(self) -> Iterator[bytes]:
        if self._file is not None:
            size = self._packets * TS_PACKET
            data = self._file
            pos = 0
            while True:
                end = pos + size
                if end <= len(data):
                    yield data[pos:end]
                    pos = end % len(data)
                else:
                    yield data[pos:] + data[: end - len(data)]
                    pos = end - len(data)
                    while pos > len(data):
                        pos -= len(data)
        else:
            n = 0
            while True:
                yield self._synthetic[n % 16]
                n += 1

    def take(self, size: int) -> bytes:
        out = bytearray()
        for chunk in self.chunks():
            out += chunk
            if len(out) >= size:
                break
        size -= size % TS_PACKET
        return bytes(out[: max(size, TS_PACKET)])


# ---- state objects --------------------------------------------------------------------------


@dataclass
class ProviderOptions:
    """Provider-wide knobs; reset to these defaults by ``FakeProvider.reset``."""

    bitrate: int = 200_000  # bytes per second of synthetic live .ts (real media: its own rate)
    pace_interval: float = 0.1  # seconds per paced chunk
    # Serve this real TS file, looped with continuous timestamps (byte for byte when it has none).
    ts_file: Path | None = None
    # Cache of the real clip generated with ffmpeg (once per directory) for live, HLS and VOD;
    # None, or no ffmpeg: synthetic packets and filler VOD bytes.
    media_dir: Path | None = None
    stream_max_bytes: int | None = None  # end live .ts after this many bytes; None = endless
    hls_segment_seconds: float = 2.0
    hls_window: int = 3
    vod_size: int = 1 << 20
    epg_hours_before: float = 2.0
    epg_hours_after: float = 24.0
    max_hang_seconds: float = 60.0
    chunk_size: int = 64 * 1024
    timezone: str = "UTC"


@dataclass
class Account:
    username: str
    password: str
    catalog: Catalog
    # Real-world payload quirks: numbers as strings, "0"/"1" booleans, [] for objects, nulls...
    quirks: bool = True
    max_connections: int = 2
    enforce_max_connections: bool = False
    status: str = "Active"
    exp_date: int | None = None  # unix time; None → a year from now
    is_trial: bool = False


@dataclass
class Fault:
    kind: str
    scope: Literal["api", "stream"]
    account: str | None = None
    endpoint: str | None = None
    action: str | None = None
    stream_id: int | None = None
    times: int | None = None
    delay: float | None = None
    chunk_size: int | None = None
    after_bytes: int | None = None
    status: int | None = None
    value: str | None = None  # "referer": the Referer the stream demands
    hits: int = 0


class Faults:
    """Scripted failures, settable from any thread while the server runs. Newest match wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def set(
        self,
        kind: str,
        *,
        account: str | None = None,
        endpoint: Literal["m3u", "api", "xmltv"] | None = None,
        action: str | None = None,
        times: int | None = None,
        delay: float | None = None,
        chunk_size: int | None = None,
        status: int | None = None,
    ) -> Fault:
        """Fault the playlist / API / guide endpoints (all of them unless ``endpoint``)."""
        if kind not in API_FAULTS and not _HTTP_FAULT.match(kind):
            raise ValueError(f"unknown fault kind {kind!r} for playlist/API endpoints")
        fault = Fault(
            kind=kind,
            scope="api",
            account=account,
            endpoint=endpoint,
            action=action,
            times=times,
            delay=delay,
            chunk_size=chunk_size,
            status=status,
        )
        with self._lock:
            self._rules.append(fault)
        return fault

    def stream(
        self,
        stream_id: int | None,
        kind: str,
        *,
        account: str | None = None,
        times: int | None = None,
        delay: float | None = None,
        after_bytes: int | None = None,
        status: int | None = None,
        value: str | None = None,
    ) -> Fault:
        """Fault one stream id (live, movie or episode), or every stream when ``None``."""
        if kind not in STREAM_FAULTS and not _HTTP_FAULT.match(kind):
            raise ValueError(f"unknown fault kind {kind!r} for streams")
        fault = Fault(
            kind=kind,
            scope="stream",
            account=account,
            stream_id=stream_id,
            times=times,
            delay=delay,
            after_bytes=after_bytes,
            status=status,
            value=value,
        )
        with self._lock:
            self._rules.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._rules:
                self._rules.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def match(
        self,
        *,
        account: str | None,
        endpoint: Endpoint,
        action: str | None = None,
        stream_id: int | None = None,
    ) -> Fault | None:
        scope = "stream" if endpoint == "stream" else "api"
        with self._lock:
            for fault in reversed(self._rules):
                if fault.scope != scope:
                    continue
                if fault.account is not None and fault.account != account:
                    continue
                if scope == "api":
                    if fault.endpoint is not None and fault.endpoint != endpoint:
                        continue
                    if fault.action is not None and fault.action != action:
                        continue
                elif fault.stream_id is not None and fault.stream_id != stream_id:
                    continue
                fault.hits += 1
                if fault.times is not None and fault.hits >= fault.times:
                    self._rules.remove(fault)
                return fault
        return None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


class Stats:
    """Request counts and stream concurrency, for asserting what a client actually did."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.actions: Counter[tuple[str, str]] = Counter()
        self.open_streams: Counter[str] = Counter()
        self.max_open_streams: Counter[str] = Counter()
        self.log: deque[RequestRecord] = deque(maxlen=10_000)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.actions.clear()
            self.open_streams.clear()
            self.max_open_streams.clear()
            self.log.clear()

    def record(self, record: RequestRecord, account: str | None, action: str | None) -> None:
        with self._lock:
            self.requests[record.path] += 1
            if action is not None or record.path == "/player_api.php":
                self.actions[(account or "", action or "")] += 1
            self.log.append(record)

    def count(self, prefix: str = "/") -> int:
        """Requests whose path starts with ``prefix``."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.startswith(prefix))

    def api_calls(self, action: str = "", account: str | None = None) -> int:
        """player_api.php calls with this action ("" = no action); all accounts unless given."""
        with self._lock:
            return sum(
                n
                for (acc, act), n in self.actions.items()
                if act == action and (account is None or acc == account)
            )

    def stream_opened(self, account: str) -> int:
        with self._lock:
            self.open_streams[account] += 1
            now = self.open_streams[account]
            if now > self.max_open_streams[account]:
                self.max_open_streams[account] = now
            return now

    def stream_closed(self, account: str) -> None:
        with self._lock:
            self.open_streams[account] -= 1

    def open_now(self, account: str) -> int:
        with self._lock:
            return self.open_streams[account]


# ---- request plumbing -----------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    base: str
    redirected: bool = False
    looped: bool = False


@dataclass
class _Route:
    endpoint: Endpoint | Literal["static", "unknown"]
    username: str | None = None
    password: str | None = None
    by_name: bool = False  # /playlist/{account}.m3u: no password in the URL
    action: str | None = None
    stream_kind: str | None = None
    stream_id: int | None = None
    ext: str | None = None
    extra: int | None = None


@dataclass
class _Reply:
    status: int
    content_type: str
    chunks: Iterable[bytes]
    headers: list[tuple[str, str]] = field(default_factory=list)
    length: int | None = None


def _simple(status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> _Reply:
    return _Reply(status, content_type, [body], length=len(body))


def _json(value: Any, status: int = 200) -> _Reply:
    return _simple(status, orjson.dumps(value), "application/json")


def _batched(parts: Iterable[bytes], size: int) -> Iterator[bytes]:
    buf: list[bytes] = []
    n = 0
    for part in parts:
        buf.append(part)
        n += len(part)
        if n >= size:
            yield b"".join(buf)
            buf.clear()
            n = 0
    if buf:
        yield b"".join(buf)


def _json_array(items: Iterable[Any], size: int) -> Iterator[bytes]:
    def parts() -> Iterator[bytes]:
        yield b"["
        first = True
        for item in items:
            if not first:
                yield b","
            first = False
            yield orjson.dumps(item)
        yield b"]"

    return _batched(parts(), size)


def _gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = comp.compress(chunk)
        if out:
            yield out
    yield comp.flush()


def _attr(value: str) -> str:
    return value.replace('"', "'")


def _fmt_time(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def _xmltv_time(ts: int) -> str:
    return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(ts))


_RE_PLAYLIST = re.compile(r"^/playlist/([^/]+)\.m3u8?$")
_RE_EPG = re.compile(r"^/epg/([^/]+)\.xml(\.gz)?$")
_RE_STREAM = re.compile(r"^/(live|movie|series)/([^/]+)/([^/]+)/(\d+)(?:\.(\w+))?$")
_RE_HLS = re.compile(r"^/hls/(\d+)/(v?)(\d+)\.(ts|m3u8|m4s)$")
_RE_HLS_KEY = re.compile(r"^/hls/(\d+)/key$")
# Xtream catch-up: /timeshift/USER/PASS/MINUTES/YYYY-MM-DD:HH-MM/ID.ts
_RE_TIMESHIFT = re.compile(r"^/timeshift/([^/]+)/([^/]+)/(\d+)/([^/]+)/(\d+)\.(\w+)$")
# A CDN-style live URL without credentials, refused without the playlist's Referer (?cdn=1).
_RE_CDN = re.compile(r"^/cdn/([^/]+)/(\d+)\.ts$")
CDN_USER_AGENT = "DemoPlayer/1.0"
_RE_HLS_INIT = re.compile(r"^/hls/(\d+)/init\.mp4$")
_RE_STATIC = re.compile(r"^/(logos|posters)/[^/]+$")


def _parse_route(req: _Request) -> _Route:
    path = req.path
    q = req.query
    if path == "/player_api.php":
        return _Route("api", q.get("username"), q.get("password"), action=q.get("action") or None)
    if path == "/get.php":
        return _Route("m3u", q.get("username"), q.get("password"))
    if path == "/xmltv.php":
        return _Route("xmltv", q.get("username"), q.get("password"))
    if m := _RE_PLAYLIST.match(path):
        return _Route("m3u", m.group(1), by_name=True)
    if m := _RE_EPG.match(path):
        return _Route("xmltv", m.group(1), by_name=True, ext="gz" if m.group(2) else "xml")
    if m := _RE_STREAM.match(path):
        kind, user, password, sid, ext = m.groups()
        return _Route(
            "stream",
            user,
            password,
            stream_kind=kind,
            stream_id=int(sid),
            ext=ext or ("ts" if kind == "live" else None),
        )
    if m := _RE_HLS.match(path):
        sid, variant, n, ext = m.groups()
        return _Route(
            "stream",
            q.get("account"),
            by_name=True,
            stream_kind="hls_variant" if variant else "hls_segment",
            stream_id=int(sid),
            ext=ext,
            extra=int(n),
        )
    if m := _RE_HLS_INIT.match(path):
        return _Route(
            "stream", q.get("account"), by_name=True, stream_kind="hls_init", stream_id=int(m[1])
        )
    if m := _RE_TIMESHIFT.match(path):
        user, password, minutes, _start, sid, ext = m.groups()
        return _Route("stream", user, password, stream_kind="timeshift", stream_id=int(sid),
                      ext=ext, extra=int(minutes))  # fmt: skip
    if m := _RE_CDN.match(path):
        return _Route(
            "stream", m[1], by_name=True, stream_kind="cdn", stream_id=int(m[2]), ext="ts"
        )
    if m := _RE_HLS_KEY.match(path):
        return _Route(
            "stream", q.get("account"), by_name=True, stream_kind="hls_key", stream_id=int(m[1])
        )
    if _RE_STATIC.match(path):
        return _Route("static")
    return _Route("unknown")


class _Conn:
    """One request's response side, aware of client disconnects and server shutdown."""

    def __init__(self, send: Send, method: str, stopping: threading.Event) -> None:
        self._send = send
        self.head_only = method == "HEAD"
        self.stopping = stopping
        self.disconnected = asyncio.Event()
        self.started = False

    @property
    def gone(self) -> bool:
        return self.disconnected.is_set() or self.stopping.is_set()

    async def pause(self, seconds: float) -> bool:
        """Sleep; False if cut short by disconnect or shutdown (polled: shutdown is cross-thread)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            if self.gone:
                return False
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await asyncio.sleep(min(remaining, 0.05))

    async def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.started = True
        await self._send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers],
            }
        )

    async def body(self, data: bytes, more: bool = True) -> None:
        if self.head_only and more:
            return
        await self._send(
            {
                "type": "http.response.body",
                "body": b"" if self.head_only else data,
                "more_body": more,
            }
        )

    async def end(self) -> None:
        await self.body(b"", more=False)

    async def reply(self, reply: _Reply) -> None:
        headers = [("content-type", reply.content_type), *reply.headers]
        if reply.length is not None:
            headers.append(("content-length", str(reply.length)))
        await self.start(reply.status, headers)
        if not self.head_only:
            for chunk in reply.chunks:
                if self.gone:
                    return
                if chunk:
                    await self.body(chunk)
                # Yield so one huge playlist does not starve every other request.
                await asyncio.sleep(0)
        await self.end()


# ---- the app --------------------------------------------------------------------------------


@dataclass
class _AccountSpec:
    username: str
    password: str
    factory: Callable[[], Catalog]
    options: dict[str, Any]


class FakeProvider:
    """ASGI app hosting one or more accounts (username/password → catalog)."""

    def __init__(self, options: ProviderOptions | None = None) -> None:
        self.options = options or ProviderOptions()
        self._default_options = ProviderOptions(**vars(self.options))
        self.accounts: dict[str, Account] = {}
        self.faults = Faults()
        self.stats = Stats()
        self._specs: list[_AccountSpec] = []
        self._stopping = threading.Event()
        self._ts_cache: dict[tuple[int, Path | None], TsSource] = {}
        self._vod_cache: dict[tuple[str, int], bytes] = {}
        self._file_loops: dict[Path, TsLoop] = {}
        self._media: dict[Path, LoadedMedia | None] = {}
        self._media_errors: dict[Path, str] = {}
        self._media_lock = threading.Lock()
        self._fmp4: dict[float, Fmp4Clip | str] = {}  # by segment seconds: the clip, or why not

    # ---- accounts ---------------------------------------------------------------------------

    def add_account(
        self,
        username: str,
        password: str,
        catalog: Catalog | Callable[[], Catalog] | None = None,
        *,
        quirks: bool = True,
        max_connections: int = 2,
        enforce_max_connections: bool = False,
        status: str = "Active",
        exp_date: int | None = None,
        is_trial: bool = False,
        baseline: bool = False,
    ) -> Account:
        """Host an account. With ``baseline`` (and a factory), ``reset`` rebuilds it fresh."""
        if catalog is None:
            catalog = Catalog.generate
        cat = catalog() if callable(catalog) else catalog
        extra: dict[str, Any] = {
            "quirks": quirks,
            "max_connections": max_connections,
            "enforce_max_connections": enforce_max_connections,
            "status": status,
            "exp_date": exp_date,
            "is_trial": is_trial,
        }
        account = Account(username, password, cat, **extra)
        self.accounts[username] = account
        if baseline:
            factory = catalog if callable(catalog) else (lambda: cat)
            self._specs.append(_AccountSpec(username, password, factory, extra))
        return account

    def reset(self) -> None:
        """Back to the baseline: baseline accounts with fresh catalogs, no faults, no stats."""
        self.faults.clear()
        self.stats.reset()
        self.options = ProviderOptions(**vars(self._default_options))
        self.accounts = {}
        for spec in self._specs:
            self.accounts[spec.username] = Account(
                spec.username, spec.password, spec.factory(), **spec.options
            )

    @property
    def catalog(self) -> Catalog:
        """The first account's catalog."""
        return next(iter(self.accounts.values())).catalog

    def shutdown(self) -> None:
        """Release hanging and endless responses so the server can stop promptly."""
        self._stopping.set()

    def resume(self) -> None:
        self._stopping.clear()

    # ---- ASGI entry -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        req = self._request(scope)
        conn = _Conn(send, req.method, self._stopping)
        watcher = asyncio.create_task(self._watch_disconnect(receive, conn.disconnected))
        try:
            await self._dispatch(req, conn)
        finally:
            watcher.cancel()

    @staticmethod
    async def _watch_disconnect(receive: Receive, event: asyncio.Event) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                event.set()
                return

    @staticmethod
    def _request(scope: Scope) -> _Request:
        raw_qs = scope.get("query_string", b"").decode("latin-1")
        query = {k: v[0] for k, v in parse_qs(raw_qs, keep_blank_values=True).items()}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        path: str = scope["path"]
        req = _Request(scope["method"], path, query, raw_qs, headers, f"http://{host}")
        # Redirect faults send clients to these prefixes; strip them to reach the real handler.
        if path.startswith("/rd/"):
            req.path, req.redirected = path[3:], True
        elif path.startswith("/loop/"):
            req.path, req.looped = path[5:], True
        return req

    def _account_for(self, route: _Route) -> tuple[Account | None, bool]:
        account = self.accounts.get(route.username or "")
        if account is None:
            return None, False
        return account, route.by_name or account.password == route.password

    async def _dispatch(self, req: _Request, conn: _Conn) -> None:
        route = _parse_route(req)
        self.stats.record(
            RequestRecord(req.method, req.path, req.query, req.headers, time.time()),
            route.username,
            route.action if route.endpoint == "api" else None,
        )
        if route.endpoint == "static":
            await conn.reply(
                _Reply(200, "image/png", [_PNG], [("cache-control", "max-age=86400")], len(_PNG))
            )
            return
        if route.endpoint == "unknown":
            await conn.reply(_simple(404, b"Not Found"))
            return
        if route.endpoint == "stream":
            await self._stream(req, route, conn)
            return
        account, auth_ok = self._account_for(route)
        fault = self.faults.match(
            account=route.username, endpoint=route.endpoint, action=route.action
        )
        if fault is not None and await self._api_fault(req, route, conn, fault, account):
            return
        if fault is not None and fault.kind == "wrong_password":
            auth_ok = False
        reply = self._content(req, route, account, auth_ok, fault)
        if fault is not None:
            await self._shaped(conn, reply, fault)
        else:
            await conn.reply(reply)

    # ---- faults on playlist/API/guide -------------------------------------------------------

    def _redirect(self, req: _Request, fault: Fault) -> _Reply:
        if fault.kind == "redirect_loop" and req.looped:
            target = req.path
        elif fault.kind == "redirect_loop":
            target = "/loop" + req.path
        else:
            target = "/rd" + req.path
        if req.query_string:
            target += "?" + req.query_string
        reply = _simple(fault.status or 302, b"")
        reply.headers.append(("location", req.base + target))
        return reply

    async def _api_fault(
        self, req: _Request, route: _Route, conn: _Conn, fault: Fault, account: Account | None
    ) -> bool:
        """Handle faults that replace the response; False for those that shape real content."""
        kind = fault.kind
        if m := _HTTP_FAULT.match(kind):
            status = int(m.group(1))
            await conn.reply(_simple(status, f"<html><body>{status}</body></html>".encode()))
        elif kind in ("hang", "timeout"):
            await self._hang(conn, fault)
        elif kind in ("redirect", "redirect_loop"):
            if req.redirected:
                return False
            await conn.reply(self._redirect(req, fault))
        elif kind == "html":
            await conn.reply(_simple(200, _LOGIN_PAGE, "text/html; charset=utf-8"))
        elif kind in ("auth_401", "auth_403"):
            status = 401 if kind == "auth_401" else 403
            await conn.reply(_simple(status, b"Access denied"))
        elif kind == "json_error":
            if route.endpoint == "api":
                body = _PHP_WARNING + b'{"user_info":{"auth":1,"status":"Active",'
                await conn.reply(_simple(200, body, "application/json"))
            else:
                await conn.reply(_json({"error": "Server is busy, try again later"}))
        elif kind == "empty":
            if route.endpoint == "m3u":
                await conn.reply(_simple(200, b"#EXTM3U\n", "audio/x-mpegurl"))
            elif route.endpoint == "xmltv":
                body = b'<?xml version="1.0" encoding="UTF-8"?>\n<tv></tv>\n'
                await conn.reply(_simple(200, body, "application/xml"))
            else:
                await conn.reply(_json([]))
        else:
            return False
        return True

    async def _hang(self, conn: _Conn, fault: Fault) -> None:
        limit = fault.delay if fault.delay is not None else self.options.max_hang_seconds
        finished = await conn.pause(limit)
        if conn.disconnected.is_set():
            return
        # Shutdown or the bounded hang ran out: answer in full (reply() would stop early on
        # shutdown) so the connection ends cleanly.
        await conn.start(504 if finished else 503, [("content-type", "text/plain")])
        await conn.body(b"gateway timeout", more=False)

    async def _shaped(self, conn: _Conn, reply: _Reply, fault: Fault) -> None:
        """Deliver real content badly: slowly, cut short, or compressed."""
        kind = fault.kind
        if kind == "gzip":
            reply.headers.append(("content-encoding", "gzip"))
            await conn.reply(
                _Reply(reply.status, reply.content_type, _gzip_stream(reply.chunks), reply.headers)
            )
        elif kind == "gzip_raw":
            body = gzip.compress(b"".join(reply.chunks))
            await conn.reply(
                _Reply(reply.status, reply.content_type, [body], reply.headers, len(body))
            )
        elif kind in ("truncated", "truncated_clean"):
            body = b"".join(reply.chunks)
            half = body[: len(body) // 2]
            if kind == "truncated_clean":
                await conn.reply(
                    _Reply(reply.status, reply.content_type, [half], reply.headers, len(half))
                )
                return
            # Promise the whole body, deliver half, then return: the server drops the connection.
            headers = [("content-type", reply.content_type), *reply.headers]
            headers.append(("content-length", str(len(body))))
            await conn.start(reply.status, headers)
            await conn.body(half)
        elif kind == "slow":
            delay = fault.delay if fault.delay is not None else 0.2
            size = fault.chunk_size or 512
            headers = [("content-type", reply.content_type), *reply.headers]
            if reply.length is not None:
                headers.append(("content-length", str(reply.length)))
            await conn.start(reply.status, headers)
            for chunk in reply.chunks:
                for i in range(0, len(chunk), size):
                    if not await conn.pause(delay):
                        return
                    await conn.body(chunk[i : i + size])
            await conn.end()
        else:
            await conn.reply(reply)

    # ---- content ----------------------------------------------------------------------------

    def _content(
        self,
        req: _Request,
        route: _Route,
        account: Account | None,
        auth_ok: bool,
        fault: Fault | None,
    ) -> _Reply:
        if route.endpoint == "api":
            if account is None or not auth_ok:
                # Real panels answer a bad login with 200 and auth 0.
                return _json({"user_info": {"auth": 0}})
            return self._api(req, route, account)
        if account is None:
            return _simple(404, b"Not Found")
        if not auth_ok:
            return _simple(401, b"")
        if route.endpoint == "m3u":
            return self._m3u(req, route, account)
        return self._xmltv(req, route, account)

    def _live_url(self, base: str, account: Account, channel: LiveChannel, ext: str) -> str:
        return f"{base}/live/{quote(account.username)}/{quote(account.password)}/{channel.stream_id}.{ext}"

    def _asset(self, base: str, path: str | None) -> str:
        if not path:
            return ""
        return path if "://" in path else f"{base}/{path}"

    def _xmltv_url(self, base: str, account: Account) -> str:
        qs = urlencode({"username": account.username, "password": account.password})
        return f"{base}/xmltv.php?{qs}"

    def _cdn_m3u(self, req: _Request, account: Account) -> _Reply:
        """Live channels at credential-free /cdn/ URLs that need the Referer the playlist names
        (#EXTVLCOPT), archive channels with catch-up attributes as such playlists write them."""
        base = req.base
        out = ["#EXTM3U\n"]  # no guide: the account's own playlist names it
        for ch in account.catalog.live.values():
            catchup = (
                ' catchup="append" catchup-days="3" catchup-source="?utc={utc}&lutc={lutc}"'
                if ch.tv_archive
                else ""
            )
            out.append(
                f'#EXTINF:-1 tvg-id="{_attr(ch.tvg_id or "")}" tvg-name="{_attr(ch.name)}"'
                f"{catchup},{ch.name}\n#EXTVLCOPT:http-referrer={base}/\n"
                f"#EXTVLCOPT:http-user-agent={CDN_USER_AGENT}\n"
                f"{base}/cdn/{quote(account.username)}/{ch.stream_id}.ts\n"
            )
        body = "".join(out).encode()
        return _simple(200, body, "audio/x-mpegurl; charset=utf-8")

    def _m3u(self, req: _Request, route: _Route, account: Account) -> _Reply:
        q = req.query
        kind = q.get("type", "m3u_plus" if not route.by_name else "live")
        plain = kind == "m3u"
        with_live = kind in ("m3u", "m3u_plus", "all", "live")
        with_vod = kind in ("m3u", "m3u_plus", "all", "vod")
        live_ext = "m3u8" if q.get("output") in ("m3u8", "hls") else "ts"
        if q.get("cdn") == "1":
            return self._cdn_m3u(req, account)
        cat = account.catalog
        live = list(cat.live.values()) if with_live else []
        movies = list(cat.movies.values()) if with_vod else []
        shows = list(cat.series.values()) if with_vod else []
        base = req.base
        user, pw = quote(account.username), quote(account.password)

        def group(table: dict[int, Any], cat_id: int | None) -> str:
            category = table.get(cat_id) if cat_id is not None else None
            return _attr(category.name) if category is not None else ""

        def extinf(
            name: str, tvg_id: str, logo: str, grp: str, chno: int | None, url: str
        ) -> bytes:
            if plain:
                return f"#EXTINF:-1,{name}\n{url}\n".encode()
            chno_attr = f' tvg-chno="{chno}"' if chno is not None else ""
            return (
                f'#EXTINF:-1 tvg-id="{_attr(tvg_id)}" tvg-name="{_attr(name)}" '
                f'tvg-logo="{_attr(logo)}"{chno_attr} group-title="{grp}",{name}\n{url}\n'
            ).encode()

        def lines() -> Iterator[bytes]:
            xmltv = self._xmltv_url(base, account)
            yield f'#EXTM3U x-tvg-url="{xmltv}" url-tvg="{xmltv}"\n'.encode()
            for ch in live:
                yield extinf(
                    ch.name,
                    ch.tvg_id or "",
                    self._asset(base, ch.logo),
                    group(cat.live_categories, ch.category_id),
                    ch.chno,
                    self._live_url(base, account, ch, live_ext),
                )
            for mv in movies:
                yield extinf(
                    mv.name,
                    "",
                    self._asset(base, mv.logo),
                    group(cat.vod_categories, mv.category_id),
                    None,
                    f"{base}/movie/{user}/{pw}/{mv.stream_id}.{mv.container_extension or 'mp4'}",
                )
            for show in shows:
                grp = group(cat.series_categories, show.category_id)
                for season in cat.episodes_of(show.series_id).values():
                    for ep in season:
                        yield extinf(
                            f"{show.name} S{ep.season:02d} E{ep.episode_num:02d}",
                            "",
                            self._asset(base, show.cover),
                            grp,
                            None,
                            f"{base}/series/{user}/{pw}/{ep.id}.{ep.container_extension or 'mkv'}",
                        )

        return _Reply(
            200,
            "audio/x-mpegurl; charset=utf-8",
            _batched(lines(), self.options.chunk_size),
            [("content-disposition", f'attachment; filename="{account.username}.m3u"')],
        )

    def _xmltv(self, req: _Request, route: _Route, account: Account) -> _Reply:
        now = int(time.time())
        start = now - int(self.options.epg_hours_before * 3600)
        stop = now + int(self.options.epg_hours_after * 3600)
        cat = account.catalog
        channels = cat.guide_channels()
        base = req.base

        def parts() -> Iterator[bytes]:
            yield (
                b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n'
                b'<tv generator-info-name="strmline-fake-provider">\n'
            )
            for ch in channels:
                assert ch.tvg_id is not None
                icon = self._asset(base, ch.logo)
                icon_el = f"<icon src={quoteattr(icon)}/>" if icon else ""
                base_name = ch.identity.split(":", 1)[-1]
                yield (
                    f"<channel id={quoteattr(ch.tvg_id)}><display-name>{escape(base_name)}"
                    f"</display-name><display-name>{escape(ch.name)}</display-name>"
                    f"{icon_el}</channel>\n"
                ).encode()
            for ch in channels:
                for p in cat.programmes(ch, start, stop):
                    sub = f"<sub-title>{escape(p.sub_title)}</sub-title>" if p.sub_title else ""
                    epnum = ""
                    if p.season is not None and p.episode is not None:
                        epnum = (
                            f'<episode-num system="xmltv_ns">{p.season - 1}.{p.episode - 1}.'
                            f'</episode-num><episode-num system="onscreen">'
                            f"S{p.season:02d}E{p.episode:02d}</episode-num>"
                        )
                    yield (
                        f'<programme start="{_xmltv_time(p.start)}" stop="{_xmltv_time(p.stop)}" '
                        f"channel={quoteattr(p.channel)}>"
                        f'<title lang="en">{escape(p.title)}</title>{sub}'
                        f'<desc lang="en">{escape(p.desc)}</desc>'
                        f'<category lang="en">{escape(p.category)}</category>{epnum}'
                        "</programme>\n"
                    ).encode()
            yield b"</tv>\n"

        chunks: Iterable[bytes] = _batched(parts(), self.options.chunk_size)
        if route.ext == "gz":
            return _Reply(200, "application/gzip", _gzip_stream(chunks))
        return _Reply(200, "application/xml; charset=utf-8", chunks)

    # ---- Xtream API -------------------------------------------------------------------------

    def _api(self, req: _Request, route: _Route, account: Account) -> _Reply:
        action = route.action
        q = req.query
        cat = account.catalog
        quirks = account.quirks
        size = self.options.chunk_size
        if action is None:
            return _json(self._login(req, account))
        if action in ("get_live_categories", "get_vod_categories", "get_series_categories"):
            table = {
                "get_live_categories": cat.live_categories,
                "get_vod_categories": cat.vod_categories,
                "get_series_categories": cat.series_categories,
            }[action]
            return _json(
                [
                    {
                        "category_id": str(c.id),
                        "category_name": c.name,
                        "parent_id": c.parent_id,
                    }
                    for c in list(table.values())
                ]
            )
        category = q.get("category_id") or None
        if action == "get_live_streams":
            live = [
                ch
                for ch in list(cat.live.values())
                if category is None or str(ch.category_id) == category
            ]
            items = (self._live_item(req.base, i, ch, quirks) for i, ch in enumerate(live, 1))
            return _Reply(200, "application/json", _json_array(items, size))
        if action == "get_vod_streams":
            movies = [
                mv
                for mv in list(cat.movies.values())
                if category is None or str(mv.category_id) == category
            ]
            items = (self._vod_item(req.base, i, mv, quirks) for i, mv in enumerate(movies, 1))
            return _Reply(200, "application/json", _json_array(items, size))
        if action == "get_series":
            shows = [
                s
                for s in list(cat.series.values())
                if category is None or str(s.category_id) == category
            ]
            items = (self._series_item(req.base, i, s, quirks) for i, s in enumerate(shows, 1))
            return _Reply(200, "application/json", _json_array(items, size))
        if action == "get_series_info":
            return _json(self._series_info(req.base, cat, q.get("series_id", ""), quirks))
        if action == "get_vod_info":
            return _json(self._vod_info(req.base, cat, q.get("vod_id", ""), quirks))
        if action in ("get_short_epg", "get_simple_data_table"):
            return _json(self._short_epg(cat, q, quirks))
        return _json([])

    def _login(self, req: _Request, account: Account) -> dict[str, Any]:
        now = int(time.time())
        exp = account.exp_date if account.exp_date is not None else now + 365 * 86400
        host, _, port = req.base.removeprefix("http://").partition(":")
        return {
            "user_info": {
                "username": account.username,
                "password": account.password,
                "message": "Welcome to the fake provider",
                "auth": 1,
                "status": account.status,
                "exp_date": str(exp),
                "is_trial": "1" if account.is_trial else "0",
                "active_cons": str(self.stats.open_now(account.username)),
                "created_at": str(now - 30 * 86400),
                "max_connections": str(account.max_connections),
                "allowed_output_formats": ["m3u8", "ts"],
            },
            "server_info": {
                "url": host,
                "port": port or "80",
                "https_port": "443",
                "server_protocol": "http",
                "rtmp_port": "8880",
                "timezone": self.options.timezone,
                "timestamp_now": now,
                "time_now": _fmt_time(now),
                "process": True,
            },
        }

    def _live_item(self, base: str, num: int, ch: LiveChannel, quirks: bool) -> dict[str, Any]:
        sid = ch.stream_id
        item: dict[str, Any] = {
            "num": num,
            "name": ch.name,
            "stream_type": "live",
            "stream_id": sid,
            "stream_icon": self._asset(base, ch.logo),
            "epg_channel_id": ch.tvg_id,
            "added": str(ch.added),
            "is_adult": 0,
            "category_id": str(ch.category_id) if ch.category_id is not None else None,
            "category_ids": [ch.category_id] if ch.category_id is not None else [],
            "custom_sid": "",
            "tv_archive": int(ch.tv_archive),
            "direct_source": "",
            "tv_archive_duration": 3 if ch.tv_archive else 0,
        }
        if quirks:
            # Spread the quirks over different items, the way mixed panel versions produce them.
            if sid % 3 == 0:
                item["stream_id"] = str(sid)
                item["num"] = str(num)
            if sid % 4 == 0:
                item["tv_archive"] = "1" if ch.tv_archive else "0"
                item["is_adult"] = "0"
                item["tv_archive_duration"] = str(item["tv_archive_duration"])
            if sid % 5 == 0:
                item["category_id"] = None
            if sid % 7 == 0:
                item["added"] = ""
            if sid % 11 == 0:
                del item["custom_sid"]
                del item["direct_source"]
                del item["category_ids"]
            if ch.tvg_id is None and sid % 2 == 0:
                item["epg_channel_id"] = ""
        return item

    def _vod_item(self, base: str, num: int, mv: Movie, quirks: bool) -> dict[str, Any]:
        sid = mv.stream_id
        item: dict[str, Any] = {
            "num": num,
            "name": mv.name,
            "title": mv.title,
            "year": str(mv.year),
            "stream_type": "movie",
            "stream_id": sid,
            "stream_icon": self._asset(base, mv.logo),
            "rating": mv.rating,
            "rating_5based": round(mv.rating / 2, 1),
            "tmdb": str(mv.tmdb_id) if mv.tmdb_id is not None else "",
            "added": str(mv.added),
            "is_adult": 0,
            "category_id": str(mv.category_id) if mv.category_id is not None else None,
            "category_ids": [mv.category_id] if mv.category_id is not None else [],
            "custom_sid": None,
            "direct_source": "",
        }
        if mv.container_extension is not None:
            item["container_extension"] = mv.container_extension
        if quirks:
            if sid % 3 == 0:
                item["stream_id"] = str(sid)
                item["num"] = str(num)
                item["rating"] = str(mv.rating)
            if sid % 4 == 0:
                item["is_adult"] = "0"
                item["year"] = mv.year
            if sid % 5 == 0:
                item["category_id"] = None
                item["category_ids"] = []
            if sid % 7 == 0:
                item["added"] = ""
                item["stream_icon"] = None
            if sid % 11 == 0:
                del item["title"]
                del item["year"]
                item["tmdb"] = None
        return item

    def _series_item(self, base: str, num: int, s: Series, quirks: bool) -> dict[str, Any]:
        sid = s.series_id
        backdrop = self._asset(base, s.cover)
        item: dict[str, Any] = {
            "num": num,
            "name": s.name,
            "title": s.title,
            "year": str(s.year),
            "series_id": sid,
            "cover": self._asset(base, s.cover),
            "plot": s.plot,
            "cast": "",
            "director": "",
            "genre": s.genre,
            "releaseDate": f"{s.year}-01-01",
            "release_date": f"{s.year}-01-01",
            "last_modified": str(s.last_modified),
            "rating": str(s.rating),
            "rating_5based": round(s.rating / 2, 1),
            "backdrop_path": [backdrop] if s.backdrop_as_list and backdrop else [],
            "youtube_trailer": "",
            "tmdb": str(s.tmdb_id) if s.tmdb_id is not None else "",
            "episode_run_time": "45",
            "category_id": str(s.category_id) if s.category_id is not None else None,
            "category_ids": [s.category_id] if s.category_id is not None else [],
        }
        if quirks:
            if not s.backdrop_as_list:
                item["backdrop_path"] = backdrop
            if sid % 3 == 0:
                item["series_id"] = str(sid)
                item["num"] = str(num)
                item["rating"] = s.rating
            if sid % 5 == 0:
                item["category_id"] = None
            if sid % 7 == 0:
                item["releaseDate"] = ""
                item["episode_run_time"] = ""
                item["tmdb"] = None
            if sid % 4 == 0:
                del item["release_date"]
                del item["title"]
                del item["year"]
        return item

    def _episode_item(self, base: str, s: Series, ep: Episode, quirks: bool) -> dict[str, Any]:
        info: dict[str, Any] | list[Any] = {
            "tmdb_id": (s.tmdb_id or 0) * 100 + ep.episode_num if s.tmdb_id else "",
            "releasedate": _fmt_time(ep.added)[:10],
            "plot": f"Episode {ep.episode_num} of season {ep.season}.",
            "duration_secs": ep.duration_secs,
            "duration": time.strftime("%H:%M:%S", time.gmtime(ep.duration_secs)),
            "movie_image": self._asset(base, s.cover),
            "rating": s.rating,
            "season": ep.season,
        }
        item: dict[str, Any] = {
            "id": str(ep.id),
            "episode_num": ep.episode_num,
            "title": ep.title,
            "info": info,
            "custom_sid": "",
            "added": str(ep.added),
            "season": ep.season,
            "direct_source": "",
        }
        if ep.container_extension is not None:
            item["container_extension"] = ep.container_extension
        if quirks:
            if ep.episode_num % 3 == 0:
                item["episode_num"] = str(ep.episode_num)
            if s.info_empty:
                item["info"] = []
            if ep.episode_num % 4 == 0:
                item["added"] = ""
        return item

    def _series_info(self, base: str, cat: Catalog, raw_id: str, quirks: bool) -> Any:
        try:
            show = cat.series[int(raw_id)]
        except (ValueError, KeyError):
            return {"seasons": [], "info": [], "episodes": []}
        seasons = cat.episodes_of(show.series_id)
        cover = self._asset(base, show.cover)
        info: dict[str, Any] | list[Any] = {
            "name": show.name,
            "title": show.title,
            "year": str(show.year),
            "cover": cover,
            "plot": show.plot,
            "cast": "",
            "director": "",
            "genre": show.genre,
            "releaseDate": f"{show.year}-01-01",
            "last_modified": str(show.last_modified),
            "rating": str(show.rating),
            "rating_5based": round(show.rating / 2, 1),
            "backdrop_path": [cover] if show.backdrop_as_list else cover,
            "youtube_trailer": "",
            "tmdb": str(show.tmdb_id) if show.tmdb_id is not None else "",
            "episode_run_time": "45",
            "category_id": str(show.category_id) if show.category_id is not None else None,
        }
        if quirks and show.info_empty:
            info = []
        season_list = [
            {
                "air_date": f"{show.year + n - 1}-01-01",
                "episode_count": len(eps),
                "id": show.series_id * 100 + n,
                "name": f"Season {n}",
                "overview": "",
                "season_number": n,
                "cover": cover,
                "cover_big": cover,
            }
            for n, eps in sorted(seasons.items())
        ]
        per_season = {
            n: [self._episode_item(base, show, ep, quirks) for ep in eps]
            for n, eps in sorted(seasons.items())
        }
        episodes: Any
        if quirks and show.episodes_as_list:
            episodes = list(per_season.values())
        else:
            episodes = {str(n): eps for n, eps in per_season.items()}
        return {"seasons": season_list, "info": info, "episodes": episodes}

    def _vod_info(self, base: str, cat: Catalog, raw_id: str, quirks: bool) -> Any:
        try:
            mv = cat.movies[int(raw_id)]
        except (ValueError, KeyError):
            return {"info": [], "movie_data": []}
        poster = self._asset(base, mv.logo)
        info: dict[str, Any] = {
            "tmdb_id": str(mv.tmdb_id) if mv.tmdb_id is not None else "",
            "name": mv.title,
            "o_name": mv.title,
            "cover_big": poster,
            "movie_image": poster,
            "releasedate": f"{mv.year}-06-01",
            "youtube_trailer": "",
            "director": "",
            "actors": "",
            "cast": "",
            "description": mv.plot,
            "plot": mv.plot,
            "age": "",
            "country": "",
            "genre": "",
            "backdrop_path": [poster] if poster else [],
            "duration_secs": mv.duration_secs,
            "duration": time.strftime("%H:%M:%S", time.gmtime(mv.duration_secs)),
            "bitrate": 4500,
            "rating": str(mv.rating),
        }
        if quirks and mv.stream_id % 7 == 0:
            info["releasedate"] = ""
            info["backdrop_path"] = poster
        data: dict[str, Any] = {
            "stream_id": mv.stream_id,
            "name": mv.name,
            "added": str(mv.added),
            "category_id": str(mv.category_id) if mv.category_id is not None else None,
            "custom_sid": "",
            "direct_source": "",
        }
        if mv.container_extension is not None:
            data["container_extension"] = mv.container_extension
        return {"info": info, "movie_data": data}

    def _short_epg(self, cat: Catalog, q: dict[str, str], quirks: bool) -> Any:
        try:
            ch = cat.live[int(q.get("stream_id", ""))]
        except (ValueError, KeyError):
            return {"epg_listings": []}
        try:
            limit = int(q.get("limit", "4"))
        except ValueError:
            limit = 4
        now = int(time.time())
        listings: list[dict[str, Any]] = []
        for p in cat.programmes(ch, now, now + 24 * 3600):
            if len(listings) >= limit:
                break
            listings.append(
                {
                    "id": str(p.start),
                    "epg_id": "1",
                    "title": base64.b64encode(p.title.encode()).decode(),
                    "lang": "en",
                    "start": _fmt_time(p.start),
                    "end": _fmt_time(p.stop),
                    "description": base64.b64encode(p.desc.encode()).decode(),
                    "channel_id": p.channel,
                    "start_timestamp": str(p.start),
                    "stop_timestamp": str(p.stop),
                }
            )
        return {"epg_listings": listings}

    # ---- streams ----------------------------------------------------------------------------

    def _ts_source(self) -> TsSource:
        packets = max(int(self.options.bitrate * self.options.pace_interval) // TS_PACKET, 3)
        key = (packets, self.options.ts_file)
        source = self._ts_cache.get(key)
        if source is None:
            source = self._ts_cache[key] = TsSource(packets, self.options.ts_file)
        return source

    def prepare_media(self) -> str | None:
        """Generate (once per cache dir) and load the real clip now rather than on the first
        stream request; returns why streams will carry no video, or None when they will."""
        directory = self.options.media_dir
        if directory is None:
            return "no media directory is configured"
        self._load_media(directory)
        return self._media_errors.get(directory)

    def _load_media(self, directory: Path) -> LoadedMedia | None:
        with self._media_lock:
            if directory in self._media:
                return self._media[directory]
            media: LoadedMedia | None = None
            try:
                media = load_media(directory)
            except MediaUnavailable as exc:
                # Info, not warning: the demo tells the user once, in its own words.
                log.info("fake provider streams carry no video: %s", exc)
                self._media_errors[directory] = str(exc)
            self._media[directory] = media
            return media

    async def _real_media(self) -> LoadedMedia | None:
        directory = self.options.media_dir
        if directory is None:
            return None
        if directory in self._media:
            return self._media[directory]
        # Generating takes seconds: off the event loop, other requests keep being served.
        return await asyncio.to_thread(self._load_media, directory)

    async def _live_loop(self) -> TsLoop | None:
        """The timestamp-continuous loop for live and HLS, or None for byte-level sources."""
        path = self.options.ts_file
        if path is not None:
            loop = self._file_loops.get(path)
            if loop is None:
                loop = self._file_loops[path] = TsLoop(path.read_bytes())
            return loop if loop.duration else None
        media = await self._real_media()
        return media.loop if media is not None else None

    def _vod_bytes(self, ext: str) -> bytes:
        size = self.options.vod_size
        data = self._vod_cache.get((ext, size))
        if data is None:
            magic = _VOD_MAGIC.get(ext, b"")
            pattern = bytes(range(256)) * (size // 256 + 1)
            data = (magic + pattern)[:size]
            self._vod_cache[(ext, size)] = data
        return data

    async def _stream(self, req: _Request, route: _Route, conn: _Conn) -> None:
        assert route.stream_id is not None
        account = self.accounts.get(route.username or "")
        sid = route.stream_id
        if route.stream_kind in ("hls_segment", "hls_variant", "hls_key", "hls_init"):
            auth_ok = True
        else:
            _, auth_ok = self._account_for(route)
        if account is None or not auth_ok:
            await conn.reply(_simple(401 if account is None else 403, b"Access denied"))
            return
        cat = account.catalog
        exists = {
            "live": sid in cat.live,
            "hls_segment": sid in cat.live,
            "hls_variant": sid in cat.live,
            "hls_key": sid in cat.live,
            "cdn": sid in cat.live,
            "timeshift": sid in cat.live and cat.live[sid].tv_archive,
            "hls_init": sid in cat.live,
            "movie": sid in cat.movies,
            "series": route.stream_kind == "series" and cat.find_episode(sid) is not None,
        }.get(route.stream_kind or "", False)
        if not exists:
            await conn.reply(_simple(404, b"Stream not found"))
            return
        fault = self.faults.match(account=account.username, endpoint="stream", stream_id=sid)
        limit: int | None = None
        if fault is not None:
            kind = fault.kind
            status_match = _HTTP_FAULT.match(kind)
            if kind == "flapping":
                # Odd requests fail, even ones work: never three failures in a row.
                if fault.hits % 2 == 1:
                    await conn.reply(_simple(fault.status or 503, b"Service Unavailable"))
                    return
            elif kind == "dead":
                await conn.reply(_simple(404, b"Not Found"))
                return
            elif status_match:
                await conn.reply(_simple(int(status_match.group(1)), b"stream error"))
                return
            elif kind == "html":
                await conn.reply(_simple(200, _LOGIN_PAGE, "text/html; charset=utf-8"))
                return
            elif kind == "timeout":
                await self._hang(conn, fault)
                return
            elif kind in ("redirect", "redirect_loop") and not req.redirected:
                await conn.reply(self._redirect(req, fault))
                return
            elif kind == "slow":
                if not await conn.pause(fault.delay if fault.delay is not None else 3.0):
                    return
            elif kind == "die_after":
                limit = fault.after_bytes if fault.after_bytes is not None else 64 * 1024
            elif kind == "referer" and req.headers.get("referer") != fault.value:
                await conn.reply(_simple(403, b"Forbidden: hotlinking is not allowed"))
                return
        if route.stream_kind == "cdn" and req.headers.get("referer") != f"{req.base}/":
            await conn.reply(_simple(403, b"Forbidden: hotlinking is not allowed"))
            return
        if account.enforce_max_connections and (
            self.stats.open_now(account.username) >= account.max_connections
        ):
            await conn.reply(_simple(403, b"Maximum connections reached"))
            return
        hang = fault is not None and fault.kind == "hang"
        aes = fault is not None and fault.kind == "aes128"
        if route.stream_kind == "hls_key":
            await conn.reply(_simple(200, hls_key(sid), "application/octet-stream"))
            return
        if route.stream_kind == "hls_init" or route.ext == "m4s":
            await conn.reply(await self._fmp4_reply(None if route.ext != "m4s" else route.extra))
            return
        if route.stream_kind == "hls_variant" or (
            route.stream_kind == "live" and route.ext == "m3u8"
        ):
            fmp4 = fault is not None and fault.kind == "fmp4"
            playlist = self._hls_playlist(req, account, cat.live[sid], route, aes=aes, fmp4=fmp4)
            await conn.reply(playlist)
            return
        self.stats.stream_opened(account.username)
        try:
            if route.stream_kind in ("live", "cdn", "timeshift"):
                await self._live_ts(conn, limit, hang)
            elif route.stream_kind == "hls_segment":
                key = hls_key(sid) if aes else None
                await self._hls_segment(conn, route.extra or 0, limit, hang, key)
            else:
                await self._vod(req, route, conn, limit, hang)
        finally:
            self.stats.stream_closed(account.username)

    async def _hang_after_headers(self, conn: _Conn, headers: list[tuple[str, str]]) -> None:
        await conn.start(200, headers)
        await conn.pause(self.options.max_hang_seconds)
        if not conn.disconnected.is_set():
            await conn.end()

    async def _live_ts(self, conn: _Conn, limit: int | None, hang: bool) -> None:
        headers = [("content-type", "video/mp2t"), ("cache-control", "no-cache")]
        if hang:
            await self._hang_after_headers(conn, headers)
            return
        await conn.start(200, headers)
        if conn.head_only:
            await conn.end()
            return
        opts = self.options
        if opts.stream_max_bytes is not None:
            limit = opts.stream_max_bytes if limit is None else min(limit, opts.stream_max_bytes)
        media = await self._live_loop()
        if media is not None:
            # Paced at the clip's own rate so timestamps keep up with the wall clock.
            packets = round(media.byte_rate * opts.pace_interval / TS_PACKET)
            chunks = media.chunks(packets)
        else:
            chunks = self._ts_source().chunks()
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        sent = 0
        for chunk in chunks:
            if conn.gone:
                return
            if limit is not None and sent + len(chunk) >= limit:
                await conn.body(chunk[: limit - sent])
                break
            await conn.body(chunk)
            sent += len(chunk)
            # Pace against a running deadline so the average rate holds whatever the send cost.
            next_at += opts.pace_interval
            if not await conn.pause(next_at - loop.time()):
                return
        await conn.end()

    def _hls_playlist(
        self,
        req: _Request,
        account: Account,
        ch: LiveChannel,
        route: _Route,
        *,
        aes: bool = False,
        fmp4: bool = False,
    ) -> _Reply:
        base = req.base
        suffix = "?" + urlencode({"account": account.username})
        ctype = "application/vnd.apple.mpegurl"
        if route.stream_kind == "live" and ch.hls_master:
            body = (
                "#EXTM3U\n#EXT-X-VERSION:3\n"
                '#EXT-X-STREAM-INF:BANDWIDTH=1600000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"\n'
                f"{base}/hls/{ch.stream_id}/v0.m3u8{suffix}\n"
                '#EXT-X-STREAM-INF:BANDWIDTH=4000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"\n'
                f"{base}/hls/{ch.stream_id}/v1.m3u8{suffix}\n"
            )
            return _simple(200, body.encode(), ctype)
        seg = self.options.hls_segment_seconds
        window = self.options.hls_window
        first = int(time.time() // seg) - window + 1
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{max(1, round(seg + 0.499))}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        if aes:  # no IV attribute: each segment's IV is its media sequence number
            lines.append(f'#EXT-X-KEY:METHOD=AES-128,URI="{base}/hls/{ch.stream_id}/key{suffix}"')
        if fmp4:
            lines[1] = "#EXT-X-VERSION:7"
            lines.append(f'#EXT-X-MAP:URI="{base}/hls/{ch.stream_id}/init.mp4{suffix}"')
        for n in range(first, first + window):
            lines.append(f"#EXTINF:{seg:.3f},")
            lines.append(f"{base}/hls/{ch.stream_id}/{n}.{'m4s' if fmp4 else 'ts'}{suffix}")
        return _simple(200, ("\n".join(lines) + "\n").encode(), ctype)

    async def _hls_segment(
        self, conn: _Conn, n: int, limit: int | None, hang: bool, key: bytes | None = None
    ) -> None:
        media = await self._live_loop()
        if media is not None:
            # Segment n continues segment n-1 on the endless timeline and opens on a keyframe.
            data = media.segment(n, self.options.hls_segment_seconds)
        else:
            size = int(self.options.bitrate * self.options.hls_segment_seconds)
            data = self._ts_source().take(size)
        if key is not None:
            data = encrypt_aes128(data, key, n.to_bytes(16, "big"))
        headers = [("content-type", "video/mp2t")]
        if hang:
            await self._hang_after_headers(conn, headers)
            return
        if limit is not None:
            await conn.start(200, [*headers, ("content-length", str(len(data)))])
            await conn.body(data[:limit])
            return
        await conn.reply(_Reply(200, "video/mp2t", [data], length=len(data)))

    async def _fmp4_reply(self, n: int | None) -> _Reply:
        """The fMP4 init section (``n`` None) or segment ``n``; 503 without real media."""
        seconds = self.options.hls_segment_seconds
        clip = self._fmp4.get(seconds)
        if clip is None and self.options.media_dir is not None:
            directory = self.options.media_dir

            def cut() -> Fmp4Clip | str:
                try:
                    return load_fmp4(ensure_media(directory).ts, CLIP_SECONDS, seconds)
                except (MediaUnavailable, Fmp4Unavailable) as exc:
                    return str(exc)

            clip = self._fmp4[seconds] = await asyncio.to_thread(cut)
        if not isinstance(clip, Fmp4Clip):
            return _simple(503, f"no fMP4 media: {clip or 'no media directory'}".encode())
        data = clip.init if n is None else clip.segment(n)
        return _Reply(
            200, "video/mp4" if n is None else "video/iso.segment", [data], length=len(data)
        )

    async def _vod(
        self, req: _Request, route: _Route, conn: _Conn, limit: int | None, hang: bool
    ) -> None:
        ext = (route.ext or "mp4").lower()
        ctype = _VOD_TYPES.get(ext, "application/octet-stream")
        media = await self._real_media()
        real = media.vod.get(ext) if media is not None else None
        data = real if real is not None else self._vod_bytes(ext)
        total = len(data)
        headers = [("accept-ranges", "bytes")]
        if hang:
            await self._hang_after_headers(conn, [("content-type", ctype), *headers])
            return
        start, end = 0, total - 1
        status = 200
        spec = req.headers.get("range")
        if spec:
            parsed = _parse_range(spec, total)
            if parsed is None:
                reply = _simple(416, b"")
                reply.headers.append(("content-range", f"bytes */{total}"))
                await conn.reply(reply)
                return
            start, end = parsed
            status = 206
            headers.append(("content-range", f"bytes {start}-{end}/{total}"))
        body = data[start : end + 1]
        if limit is not None:
            await conn.start(
                status, [("content-type", ctype), *headers, ("content-length", str(len(body)))]
            )
            await conn.body(body[:limit])
            return
        size = self.options.chunk_size
        chunks = (body[i : i + size] for i in range(0, len(body), size))
        await conn.reply(_Reply(status, ctype, chunks, headers, len(body)))


def hls_key(stream_id: int) -> bytes:
    """The AES-128 key of a stream's encrypted HLS (the ``aes128`` fault): fixed per stream."""
    return hashlib.sha256(f"strmline-demo-key-{stream_id}".encode()).digest()[:16]


def encrypt_aes128(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-128-CBC with PKCS#7 padding, as HLS packagers encrypt segments."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    pad = 16 - len(data) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def _parse_range(spec: str, total: int) -> tuple[int, int] | None:
    """Single byte range per RFC 9110; None when unsatisfiable or malformed."""
    unit, _, ranges = spec.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None
    first, _, last = ranges.strip().partition("-")
    try:
        if not first:
            suffix = int(last)
            if suffix <= 0:
                return None
            return max(total - suffix, 0), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total or end < start:
        return None
    return start, min(end, total - 1)
