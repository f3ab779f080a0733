"""The HTTP edge of every provider: one client factory, password redaction, httpx errors → ours.

Provider URLs carry credentials in the query (``get.php?username=…&password=…``) or the path
(``/live/USER/PASS/1.ts``). Whatever leaves this package as a message, a log line or an exception
goes through :mod:`strmline.formats.redact` first, and httpx exceptions are re-raised
``from None`` because their own text (and traceback) repeats the full URL.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx

from strmline import __version__
from strmline.errors import ProviderUnavailable
from strmline.formats.redact import redact_text, redact_url

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchLimits",
    "Meter",
    "deadline",
    "describe_error",
    "header_value",
    "inflate",
    "length_framed",
    "limited_body",
    "make_client",
    "provider_errors",
    "raise_for_status",
]

DEFAULT_USER_AGENT = f"strmline/{__version__}"
MAX_REDIRECTS = 10


class _RedactingFilter(logging.Filter):
    """httpx logs every request URL at INFO; strip credentials before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _RedactingFilter) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactingFilter())


def make_client(
    *,
    timeout: float = 20.0,
    connect_timeout: float = 10.0,
    max_connections: int = 20,
    user_agent: str | None = None,
) -> httpx.AsyncClient:
    """The shared client for talking to providers: bounded pool, timeouts, redirects followed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max(1, min(max_connections, 10)),
        ),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={b"User-Agent": header_value(user_agent or DEFAULT_USER_AGENT)},
    )


def header_value(value: str) -> bytes:
    """A header value httpx can send: control characters dropped, non-ASCII as UTF-8 bytes.

    httpx encodes ``str`` header values as ASCII, so one "é" in a provider's User-Agent used to
    fail every request of every sync; a line break would split the header.
    """
    cleaned = "".join(c for c in value if c >= " " and c != "\x7f").strip()
    return cleaned.encode("utf-8")


def raise_for_status(response: httpx.Response, *, secrets: Iterable[str] = ()) -> None:
    """An HTTP error status as ProviderUnavailable("HTTP 503 Service Unavailable")."""
    if response.status_code < 400:
        return
    url = redact_url(str(response.request.url), secrets)
    raise ProviderUnavailable(
        _status_reason(response), source=url, details={"status": response.status_code}
    )


def _status_reason(response: httpx.Response) -> str:
    phrase = response.reason_phrase or ""
    return f"HTTP {response.status_code} {phrase}".rstrip()


def describe_error(exc: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """A short human reason for an httpx exception (never containing a secret)."""
    if isinstance(exc, httpx.TimeoutException):
        return _timeout_reason(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.HTTPStatusError):
        return _status_reason(exc.response)
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        return _connect_reason(exc, secrets)
    if isinstance(exc, httpx.RemoteProtocolError):
        detail = redact_text(text, secrets)
        return (
            f"connection closed before the response was complete ({detail})"
            if detail
            else ("connection closed before the response was complete")
        )
    if isinstance(exc, httpx.ReadError):
        return "connection reset while reading the response"
    if isinstance(exc, httpx.DecodingError):
        return "could not decode the response (corrupt compressed data)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL (only http and https)"
    if isinstance(exc, httpx.InvalidURL):
        return "invalid URL"
    detail = redact_text(text, secrets)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_reason(exc: httpx.ConnectError, secrets: Iterable[str]) -> str:
    # anyio reports a refused connection as "All connection attempts failed"; the OSError
    # underneath says what really happened.
    for cause in _causes(exc):
        if (
            isinstance(cause, ConnectionRefusedError)
            or getattr(cause, "errno", None) == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {redact_text(str(cause), secrets)}"
    text = redact_text(str(exc), secrets)
    lowered = text.lower()
    if "refused" in lowered or "errno 111" in lowered:
        return "connection refused"
    if any(
        m in lowered
        for m in ("name or service not known", "nodename nor servname", "name resolution")
    ):
        return "host not found"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error: {text}"
    return f"cannot connect: {text or type(exc).__name__}"


def _timeout_reason(exc: httpx.TimeoutException) -> str:
    phase, label = {
        httpx.ConnectTimeout: ("connect", "connecting"),
        httpx.ReadTimeout: ("read", "waiting for data"),
        httpx.WriteTimeout: ("write", "sending the request"),
        httpx.PoolTimeout: ("pool", "waiting for a free connection"),
    }.get(type(exc), ("read", ""))
    seconds: Any = None
    with suppress(RuntimeError):  # an exception raised without a request attached
        seconds = exc.request.extensions.get("timeout", {}).get(phase)
    amount = f" after {seconds:g} s" if isinstance(seconds, int | float) else ""
    return f"timeout{amount}" + (f" ({label})" if label else "")


@contextmanager
def provider_errors(url: str, *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Turn httpx exceptions raised inside the block into ProviderUnavailable naming ``url``.

    A plain ``with`` works around ``await`` calls too, so one helper serves sync and async code.
    """
    known = list(secrets)
    try:
        yield
    except httpx.HTTPError as exc:
        reason = describe_error(exc, secrets=known)
        raise ProviderUnavailable(
            reason, source=redact_url(url, known), details={"error": type(exc).__name__}
        ) from None


# --- limits on what one download may cost --------------------------------------------------------

CHUNK_SIZE = 64 * 1024
# Below this much output a high ratio is normal (a small, repetitive playlist compresses well).
RATIO_FLOOR = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """What one download may cost: uncompressed bytes, compression ratio, entries, total time.

    ``None`` means no limit. A refusal is a ProviderUnavailable naming the limit and the URL.
    """

    max_bytes: int | None = None
    max_ratio: float | None = None
    max_entries: int | None = None
    max_seconds: float | None = None
    what: str = "response"  # "playlist", "guide"…: the noun in the refusal
    # Which entries count toward max_entries (None: all), and why the limit is what it is.
    counts: Callable[[Any], bool] | None = None
    entries_why: str = "limit"

    def check_entries(self, entries: int, source: str) -> None:
        if self.max_entries is not None and entries > self.max_entries:
            raise ProviderUnavailable(
                f"{self.what} has more than {self.max_entries:,} entries "
                f"({self.entries_why}); refused",
                source=source,
            )


class Meter:
    """Counts the bytes of one download on the wire and after decompression, against limits."""

    __slots__ = ("limits", "out", "source", "started", "wire")

    def __init__(self, limits: FetchLimits, source: str) -> None:
        self.limits = limits
        self.source = source
        self.wire = 0
        self.out = 0
        self.started = time.monotonic()

    def add_wire(self, nbytes: int) -> None:
        self.wire += nbytes

    def add_out(self, nbytes: int) -> None:
        """Count ``nbytes`` of the final (uncompressed) body; raises past a limit."""
        self.out += nbytes
        limits = self.limits
        if limits.max_bytes is not None and self.out > limits.max_bytes:
            raise ProviderUnavailable(
                f"{limits.what} larger than the {limits.max_bytes:,}-byte limit "
                "(uncompressed); refused",
                source=self.source,
            )
        if (
            limits.max_ratio is not None
            and self.out > RATIO_FLOOR
            and self.wire
            and self.out > self.wire * limits.max_ratio
        ):
            raise ProviderUnavailable(
                f"{limits.what} inflates more than {limits.max_ratio:g}x "
                f"({self.wire:,} bytes became {self.out:,}): a compression bomb; refused",
                source=self.source,
            )


@asynccontextmanager
async def deadline(limits: FetchLimits, source: str) -> AsyncIterator[None]:
    """The whole block (connect, every read, parsing) within ``limits.max_seconds``.

    Read timeouts are per read: a server sending one line every few seconds never trips them.
    """
    if limits.max_seconds is None:
        yield
        return
    try:
        async with asyncio.timeout(limits.max_seconds):
            yield
    except TimeoutError:
        raise ProviderUnavailable(
            f"{limits.what} download took longer than {limits.max_seconds:g} s (limit); refused",
            source=source,
        ) from None


class _Inflater:
    """gzip (several members too) or zlib/deflate, inflated in pieces of at most CHUNK_SIZE."""

    def __init__(self, kind: str, source: str) -> None:
        self._kind = kind
        self._source = source
        self._z = self._new()
        self.eof = False

    def _new(self) -> Any:
        if self._kind == "gzip":
            return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        return zlib.decompressobj(wbits=zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                # Bounded output per call: a small bomb must never become one huge bytes.
                piece = self._z.decompress(data, CHUNK_SIZE)
            except zlib.error:
                if self._kind == "deflate":
                    # Some servers send raw deflate under "deflate"; retry once that way.
                    self._kind = "raw"
                    self._z = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
                    continue
                what = "gzip" if self._kind == "gzip" else "compressed"
                raise ProviderUnavailable(f"corrupt {what} data", source=self._source) from None
            if piece:
                yield piece
            if self._z.eof:
                rest = self._z.unused_data
                self.eof = True
                if self._kind != "gzip" or not rest.startswith(GZIP_MAGIC):
                    return  # trailing padding after the last member
                self._z = self._new()
                self.eof = False
                data = rest
            else:
                data = self._z.unconsumed_tail


async def inflate(
    chunks: AsyncIterator[bytes], source: str, meter: Meter | None = None
) -> AsyncGenerator[bytes, None]:
    """Plain data through; a gzip *file* sent as the body (``.m3u.gz``) inflated in pieces.

    Recognised by its magic bytes rather than by name or content type, which providers get
    wrong. ``meter`` counts the output (the uncompressed document) against its limits.
    """
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    if not head.startswith(GZIP_MAGIC):
        if head:
            if meter is not None:
                meter.add_out(len(head))
            yield head
        async for chunk in chunks:
            if meter is not None:
                meter.add_out(len(chunk))
            yield chunk
        return
    inflater = _Inflater("gzip", source)
    for piece in inflater.feed(head):
        if meter is not None:
            meter.add_out(len(piece))
        yield piece
    async for chunk in chunks:
        for piece in inflater.feed(chunk):
            if meter is not None:
                meter.add_out(len(piece))
            yield piece
    if not inflater.eof:
        raise ProviderUnavailable("truncated gzip data", source=source)


async def limited_body(
    response: httpx.Response, meter: Meter, *, source: str
) -> AsyncGenerator[bytes, None]:
    """The body with its Content-Encoding undone here, in bounded pieces, under ``meter``.

    httpx would inflate a whole network read at once (a 64 KB read of a gzip bomb is 64 MB),
    so the raw bytes are read and decoded by :class:`_Inflater` instead. A body shorter than its
    Content-Length is an error: a cut-off list must not look like a shorter one.
    """
    if response.is_stream_consumed and hasattr(response, "_content"):
        # Already read into memory (and decoded) by whoever built it: an in-memory transport.
        content = response.content
        for start in range(0, len(content), CHUNK_SIZE):
            piece = content[start : start + CHUNK_SIZE]
            meter.add_wire(len(piece))
            yield piece
        return
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater: _Inflater | None = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater("deflate" if encoding == "deflate" else "gzip", source)
    elif encoding not in ("", "identity"):
        raise ProviderUnavailable(f"unsupported Content-Encoding {encoding!r}", source=source)
    async for raw in response.aiter_raw(CHUNK_SIZE):
        meter.add_wire(len(raw))
        if inflater is None:
            yield raw
            continue
        for piece in inflater.feed(raw):
            yield piece
    expected = response.headers.get("content-length", "").strip()
    if expected.isdigit() and meter.wire < int(expected):
        raise ProviderUnavailable(
            f"truncated response: received {meter.wire:,} of {int(expected):,} bytes",
            source=source,
        )
    if inflater is not None and not inflater.eof and meter.wire:
        raise ProviderUnavailable("truncated compressed response", source=source)


def length_framed(response: httpx.Response) -> bool:
    """Whether the body's end is marked (Content-Length or chunked), not just a closed socket."""
    headers = response.headers
    return "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()


# Only encodings :func:`limited_body` decodes itself.
ACCEPT_ENCODING = b"gzip, deflate"
