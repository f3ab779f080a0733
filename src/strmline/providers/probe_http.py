"""A minimal HTTP/1.1 GET for health checks: connect, read the first bytes, close.

httpx costs about 2 ms of CPU per request (pools, models, anyio), which made 10,000 checks at
concurrency 200 CPU-bound. A check needs none of that: one request per connection, no keep-alive,
no upload, no cookies. This client does only what a check needs on plain asyncio streams:

* ``http`` and ``https`` (system trust store, SNI), IPv6 literals and explicit ports;
* credentials in the URL become Basic auth (or are refused, ``allow_userinfo=False``);
* redirects (301/302/303/307/308) up to a limit, relative ``Location`` resolved, loops detected;
* chunked transfer-encoding and gzip/deflate content-encoding, decoded only as far as asked;
* a connect timeout, a first-byte timeout and an overall deadline; bounded header size.

An HTTP error status is an answer, not an exception. Every failure is a :class:`ProbeError` whose
message is the short human reason a check records; messages never contain the URL, because
provider URLs carry credentials.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import errno
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from strmline.providers.http import DEFAULT_USER_AGENT

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_REDIRECTS",
    "ProbeConnectError",
    "ProbeError",
    "ProbeProtocolError",
    "ProbeRedirectError",
    "ProbeResult",
    "ProbeStream",
    "ProbeTimeout",
    "ProbeURLError",
    "fetch",
    "stream",
]

MAX_REDIRECTS = 5
MAX_HEADER_BYTES = 64 * 1024
READ_SIZE = 64 * 1024
# RFC 8305's connection attempt delay: a silent address gets this long before the next starts.
HAPPY_EYEBALLS_DELAY = 0.25
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NO_BODY = frozenset({204, 304})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Everything printable except space stays as is: the request target must not contain spaces
# or control characters, but re-quoting '%' or reserved characters would change the URL.
_SAFE_TARGET = "!#$%&'()*+,-./:;=?@[]_~" + '"<>\\^`{|}'
_STATUS_LINE_PREFIXES = (b"HTTP/1.", b"ICY ")  # SHOUTcast-style servers answer "ICY 200 OK"


# ---- errors -----------------------------------------------------------------------------------


class ProbeError(Exception):
    """A check that got no HTTP answer; ``str(exc)`` is the reason to record."""

    @property
    def reason(self) -> str:
        return str(self)


class ProbeTimeout(ProbeError):
    """No progress in time. ``total`` is True when the overall deadline (not a phase limit) ran
    out, so a caller with several requests under one deadline can name its own budget."""

    def __init__(self, seconds: float, phase: str, *, total: bool) -> None:
        super().__init__(f"timeout after {seconds:g} s ({phase})")
        self.seconds = seconds
        self.phase = phase
        self.total = total


class ProbeConnectError(ProbeError):
    """Connection refused, host not found, unreachable, TLS failure."""


class ProbeRedirectError(ProbeError):
    """Too many redirects, a redirect loop, or a redirect somewhere we cannot follow."""


class ProbeProtocolError(ProbeError):
    """The server answered, but not with a usable HTTP/1.x response."""


class ProbeURLError(ProbeError):
    """The URL cannot be requested (syntax, scheme, refused credentials)."""


# ---- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: int
    reason: str
    headers: dict[str, str]  # lower-cased names; repeated fields joined with ", "
    final_url: str  # after redirects
    body_prefix: bytes  # decoded (chunked, gzip) body, at most the bytes asked for
    elapsed_ms: int  # from the start (first connect) to the end of the read
    first_byte_ms: int  # from the start to the final response's first byte


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    scheme: str
    host: str  # as for getaddrinfo: no brackets, IDNA-encoded
    port: int
    host_header: str
    request_target: str
    auth: str | None  # "Basic …" from userinfo
    literal: bool  # an IP address: one address, nothing to race

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _parse_url(url: str, *, allow_userinfo: bool) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ProbeURLError("invalid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ProbeURLError("unsupported URL (only http and https)")
    if not host:
        raise ProbeURLError("invalid URL (no host)")
    if any(ch in host for ch in " \t\r\n/\\"):
        raise ProbeURLError("invalid URL (bad host)")
    ipv6 = ":" in host
    if not ipv6 and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ProbeURLError("invalid URL (bad host name)") from None
    default = _DEFAULT_PORTS[scheme]
    port = default if port is None else port
    shown = f"[{host}]" if ipv6 else host
    host_header = shown if port == default else f"{shown}:{port}"
    target = quote(parts.path or "/", safe=_SAFE_TARGET)
    if parts.query:
        target += "?" + quote(parts.query, safe=_SAFE_TARGET)
    auth = None
    if parts.username is not None or parts.password is not None:
        if not allow_userinfo:
            raise ProbeURLError("credentials in the URL are not allowed")
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return _Target(url, scheme, host, port, host_header, target, auth, _is_ip(host))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


_ssl_context: ssl.SSLContext | None = None


def _default_ssl() -> ssl.SSLContext:
    # Loading the trust store costs milliseconds; one context serves every connection.
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


def _connect_error(exc: OSError) -> ProbeError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ProbeConnectError(f"TLS error: {exc.verify_message or 'certificate not trusted'}")
    if isinstance(exc, ssl.SSLError):
        return ProbeConnectError(f"TLS error: {exc.reason or type(exc).__name__}")
    if isinstance(exc, socket.gaierror):
        return ProbeConnectError("host not found")
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return ProbeConnectError("connection refused")
    # With several addresses (IPv6 and IPv4) that all failed, asyncio raises one OSError whose
    # text lists them and whose errno is None.
    text = str(exc)
    if f"[Errno {errno.ECONNREFUSED}]" in text:
        return ProbeConnectError("connection refused")
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return ProbeConnectError("host unreachable")
    return ProbeConnectError(f"cannot connect: {exc.strerror or type(exc).__name__}")


def _request(target: _Target, headers: Mapping[str, str], user_agent: str) -> bytes:
    fields: dict[str, tuple[str, str]] = {
        "host": ("Host", target.host_header),
        "user-agent": ("User-Agent", user_agent),
        "accept": ("Accept", "*/*"),
        # Only what we can decode; without the field any coding would be acceptable (RFC 9110).
        "accept-encoding": ("Accept-Encoding", "gzip, deflate"),
    }
    if target.auth:
        fields["authorization"] = ("Authorization", target.auth)
    for name, value in headers.items():
        key = name.lower()
        if key in ("host", "connection", "content-length", "transfer-encoding"):
            continue  # framing is ours: one request, then close
        if any(ch in name or ch in value for ch in "\r\n\0") or not name or ":" in name:
            raise ProbeURLError("invalid request header")
        fields[key] = (name, value)
    lines = [f"GET {target.request_target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.values()]
    lines.append("Connection: close")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise ProbeURLError("invalid request header (not Latin-1)") from None


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\n")
    status_line = lines[0].rstrip("\r")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit() or len(parts[1]) != 3:
        raise ProbeProtocolError("invalid HTTP response")
    status = int(parts[1])
    reason = parts[2].strip() if len(parts) > 2 else ""
    headers: dict[str, str] = {}
    last: str | None = None
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t" and last is not None:  # obsolete line folding
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue  # a broken line is skipped, as browsers do
        last = name.strip().lower()
        value = value.strip()
        headers[last] = f"{headers[last]}, {value}" if last in headers else value
    return status, reason, headers


class _Decoder:
    """gzip/deflate decoded incrementally, never producing more than asked for."""

    def __init__(self, coding: str) -> None:
        # gzip: header required (16+); deflate: zlib-wrapped per RFC, raw in practice — 32+
        # detects zlib or gzip, and a raw stream is retried below.
        self.coding = coding
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else 32 + 15)
        self._started = False
        # The last feed stopped at its limit: input (or inflated output) may be left over for
        # the next read, which must drain it before taking more from the socket.
        self.pending = False

    def feed(self, data: bytes, limit: int) -> bytes:
        tail = self._z.unconsumed_tail
        try:
            out = self._z.decompress(tail + data if tail else data, limit)
        except zlib.error:
            if self.coding == "deflate" and not self._started:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.feed(data, limit)
            raise ProbeProtocolError(
                "could not decode the response (corrupt compressed data)"
            ) from None
        self._started = True
        self.pending = len(out) >= limit and not self._z.eof
        return out


class ProbeStream:
    """An open response: status and headers read, body available through :meth:`read`."""

    def __init__(
        self,
        *,
        status: int,
        reason: str,
        headers: dict[str, str],
        final_url: str,
        started: float,
        first_byte: float,
        deadline: float,
        seconds: float,
        reader: asyncio.StreamReader,
        buffered: bytes,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.final_url = final_url
        self.first_byte_ms = int((first_byte - started) * 1000)
        self._started = started
        self._deadline = deadline
        self._seconds = seconds
        self._reader = reader
        self._buf = bytearray(buffered)
        self._eof = False
        self._ended = status in _NO_BODY or 100 <= status < 200
        self._pending = b""  # decoded bytes produced beyond what a read asked for
        self._chunk_left = 0  # chunked: bytes left in the current chunk; -1 when done
        te = headers.get("transfer-encoding", "").lower()
        self._chunked = "chunked" in te
        self._left: int | None = None  # identity with Content-Length: body bytes still to come
        if not self._chunked:
            length = headers.get("content-length", "").split(",")[0].strip()
            if length.isdigit():
                self._left = int(length)
        coding = headers.get("content-encoding", "").strip().lower()
        self._decoder: _Decoder | None = None
        self._bad_coding: str | None = None
        if coding in ("gzip", "x-gzip"):
            self._decoder = _Decoder("gzip")
        elif coding == "deflate":
            self._decoder = _Decoder("deflate")
        elif coding not in ("", "identity"):
            self._bad_coding = coding

    @property
    def decodable(self) -> bool:
        """False when the body uses a content coding we do not decode (br, zstd …)."""
        return self._bad_coding is None

    @property
    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self._started) * 1000)

    async def read(self, n: int) -> bytes:
        """Up to ``n`` more body bytes (decoded); fewer only when the body ends."""
        if n <= 0:
            return b""
        if self._bad_coding is not None:
            raise ProbeProtocolError(f"unsupported content encoding: {self._bad_coding[:40]}")
        out = bytearray(self._pending[:n])
        self._pending = self._pending[n:]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + self._deadline - time.perf_counter()):
                while len(out) < n:
                    if self._decoder is not None and self._decoder.pending:
                        raw = self._decoder.feed(b"", n - len(out))
                        if not raw:
                            continue  # drained: ``pending`` is False now
                    else:
                        piece = await self._raw(READ_SIZE)
                        if piece is None:
                            break
                        if self._decoder is not None:
                            piece = self._decoder.feed(piece, n - len(out))
                        raw = piece
                    take = n - len(out)
                    out += raw[:take]
                    self._pending += raw[take:]
        except TimeoutError:
            raise ProbeTimeout(self._seconds, "reading the body", total=True) from None
        except (ConnectionError, ssl.SSLError) as exc:
            raise ProbeProtocolError(_reset_reason(exc)) from None
        return bytes(out)

    async def _fill(self) -> bool:
        if self._eof:
            return False
        data = await self._reader.read(READ_SIZE)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    async def _raw(self, most: int) -> bytes | None:
        """The next piece of the (still encoded) body, or None at its end."""
        if self._ended:
            return None
        if self._chunked:
            return await self._raw_chunked(most)
        if self._left is not None:
            most = min(most, self._left)
            if most == 0:
                self._ended = True
                return None
        if not self._buf and not await self._fill():
            self._ended = True
            if self._left:
                raise ProbeProtocolError("connection closed before the response was complete")
            return None
        piece = bytes(self._buf[:most])
        del self._buf[: len(piece)]
        if self._left is not None:
            self._left -= len(piece)
        return piece

    async def _raw_chunked(self, most: int) -> bytes | None:
        if self._chunk_left == 0:
            size_line = await self._line()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProbeProtocolError("invalid chunked encoding") from None
            if size < 0:
                raise ProbeProtocolError("invalid chunked encoding")
            if size == 0:
                self._ended = True  # trailers are never needed
                return None
            self._chunk_left = size
        if not self._buf and not await self._fill():
            raise ProbeProtocolError("connection closed before the response was complete")
        piece = bytes(self._buf[: min(most, self._chunk_left)])
        del self._buf[: len(piece)]
        self._chunk_left -= len(piece)
        if self._chunk_left == 0:
            await self._crlf()
        return piece

    async def _line(self) -> bytes:
        while (end := self._buf.find(b"\n")) < 0:
            if len(self._buf) > 1024:
                raise ProbeProtocolError("invalid chunked encoding")
            if not await self._fill():
                raise ProbeProtocolError("connection closed before the response was complete")
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        return line

    async def _crlf(self) -> None:
        # The CRLF after a chunk's data: consumed now so the next size line starts clean.
        line = await self._line()
        if line.strip():
            raise ProbeProtocolError("invalid chunked encoding")


def _reset_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or type(exc).__name__}"
    return "connection reset while reading the response"


async def _connect(
    target: _Target, tls: ssl.SSLContext | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a connection on whatever loop runs us (asyncio's or uvloop's).

    Not ``open_connection(happy_eyeballs_delay=…)``: uvloop's ``create_connection`` has no such
    argument and raises TypeError, so ``strmline serve`` (uvicorn[standard] runs on uvloop)
    failed every check. Names get our own RFC 8305 race on plain sockets instead, which both
    loops support; an IP literal has one address and connects directly.
    """
    server_hostname = target.host if tls else None
    if target.literal:
        return await asyncio.open_connection(
            target.host, target.port, ssl=tls, server_hostname=server_hostname, limit=READ_SIZE
        )
    sock = await _happy_eyeballs(target.host, target.port)
    try:
        return await asyncio.open_connection(
            sock=sock, ssl=tls, server_hostname=server_hostname, limit=READ_SIZE
        )
    except BaseException:
        sock.close()  # a failed TLS handshake leaves the socket ours to close
        raise


_AddrInfo = tuple[int, int, tuple[object, ...]]  # family, proto, sockaddr


async def _happy_eyeballs(host: str, port: int) -> socket.socket:
    """A connected socket to ``host``: addresses tried in turn, each given
    :data:`HAPPY_EYEBALLS_DELAY` before the next starts (at once when one fails), first wins.

    A dead IPv6 route then costs a quarter second, not the whole connect timeout.
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addrs = _interleave([(family, proto, addr) for family, _, proto, _, addr in infos])
    if not addrs:
        raise socket.gaierror(socket.EAI_NONAME, "no addresses")
    errors: list[OSError] = []
    pending: set[asyncio.Task[socket.socket]] = set()
    try:
        for index, info in enumerate(addrs):
            pending.add(asyncio.create_task(_attempt(loop, info)))
            last = index == len(addrs) - 1
            sock = await _settle(pending, errors, None if last else HAPPY_EYEBALLS_DELAY)
            if sock is not None:
                return sock
    finally:
        for task in pending:
            # A cancelled attempt closes its own socket; one that already connected is ours.
            if not task.cancel() and not task.cancelled() and task.exception() is None:
                task.result().close()
    if len({str(exc) for exc in errors}) == 1:
        raise errors[0]
    # Several different failures: one OSError naming them all, as asyncio itself raises.
    raise OSError(f"Multiple exceptions: {', '.join(str(exc) for exc in errors)}")


async def _settle(
    pending: set[asyncio.Task[socket.socket]], errors: list[OSError], delay: float | None
) -> socket.socket | None:
    """The first socket to connect; None when ``delay`` passed or an attempt failed (time for
    the next address) or, without a delay, when every attempt failed."""
    while pending:
        done, _ = await asyncio.wait(pending, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            return None
        won: socket.socket | None = None
        for task in done:
            pending.discard(task)
            exc = task.exception()
            if exc is not None:
                if not isinstance(exc, OSError):
                    raise exc
                errors.append(exc)
            elif won is None:
                won = task.result()
            else:
                task.result().close()  # two finished together: one is enough
        if won is not None or delay is not None:
            return won
    return None


async def _attempt(loop: asyncio.AbstractEventLoop, info: _AddrInfo) -> socket.socket:
    family, proto, addr = info
    sock = socket.socket(family, socket.SOCK_STREAM, proto)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, addr)
    except BaseException:
        sock.close()
        raise
    return sock


def _interleave(infos: list[_AddrInfo]) -> list[_AddrInfo]:
    """Alternate address families, the resolver's first family first (RFC 8305 §4)."""
    families: dict[int, list[_AddrInfo]] = {}
    for info in infos:
        families.setdefault(info[0], []).append(info)
    groups = list(families.values())
    longest = max((len(group) for group in groups), default=0)
    return [group[i] for i in range(longest) for group in groups if i < len(group)]


async def _open(
    target: _Target,
    *,
    started: float,
    deadline: float,
    seconds: float,
    connect_timeout: float,
    first_byte_timeout: float | None,
    headers: Mapping[str, str],
    user_agent: str,
    max_header_bytes: int,
    ssl_context: ssl.SSLContext | None,
) -> tuple[ProbeStream, asyncio.StreamWriter]:
    """One request on one connection; the caller closes the writer."""
    loop = asyncio.get_running_loop()
    request = _request(target, headers, user_agent)

    def limit(phase_seconds: float | None) -> tuple[float, bool]:
        # (loop time to give up, whether that is the overall deadline rather than the phase's)
        now = time.perf_counter()
        left = deadline - now
        if phase_seconds is not None and phase_seconds < left:
            return loop.time() + phase_seconds, False
        return loop.time() + left, True

    when, total = limit(connect_timeout)
    tls = (ssl_context or _default_ssl()) if target.scheme == "https" else None
    try:
        async with asyncio.timeout_at(when):
            reader, writer = await _connect(target, tls)
    except TimeoutError:
        raise ProbeTimeout(
            seconds if total else connect_timeout, "connecting", total=total
        ) from None
    except OSError as exc:
        raise _connect_error(exc) from None
    try:
        writer.write(request)
        when, total = limit(first_byte_timeout)
        phase = "waiting for the response"
        buf = bytearray()
        first_byte = 0.0
        scan = 0  # where the blank line may start; earlier bytes were already searched
        try:
            async with asyncio.timeout_at(when) as scope:
                while True:
                    end = _head_end(buf, scan)
                    if end is None:
                        if len(buf) > max_header_bytes:
                            raise ProbeProtocolError(
                                f"response headers larger than {max_header_bytes // 1024} KB"
                            )
                        scan = max(len(buf) - 3, 0)
                        data = await reader.read(READ_SIZE)
                        if not data:
                            raise ProbeProtocolError(
                                "connection closed before the response was complete"
                                if buf or first_byte
                                else "connection closed without a response"
                            )
                        if not first_byte:
                            first_byte = time.perf_counter()
                            if not total:
                                # The first byte came: from now on only the deadline counts.
                                scope.reschedule(loop.time() + deadline - first_byte)
                                total = True
                            phase = "reading the headers"
                        buf += data
                        continue
                    if end > max_header_bytes:
                        raise ProbeProtocolError(
                            f"response headers larger than {max_header_bytes // 1024} KB"
                        )
                    if not buf.startswith(_STATUS_LINE_PREFIXES):
                        raise ProbeProtocolError("invalid HTTP response")
                    status, reason, fields = _parse_head(bytes(buf[:end]))
                    del buf[: end + (4 if buf[end : end + 4] == b"\r\n\r\n" else 2)]
                    scan = 0
                    if 100 <= status < 200 and status != 101:
                        continue  # an interim answer (100, 103): the real one follows
                    break
        except TimeoutError:
            limit_s = seconds if total or first_byte_timeout is None else first_byte_timeout
            raise ProbeTimeout(limit_s, phase, total=total) from None
        except (ConnectionError, ssl.SSLError) as exc:
            raise ProbeProtocolError(_reset_reason(exc)) from None
        response = ProbeStream(
            status=status,
            reason=reason,
            headers=fields,
            final_url=target.url,
            started=started,
            first_byte=first_byte,
            deadline=deadline,
            seconds=seconds,
            reader=reader,
            buffered=bytes(buf),
        )
    except BaseException:
        writer.transport.abort()
        raise
    return response, writer


def _head_end(buf: bytearray, start: int) -> int | None:
    """Index where the header block ends (before its blank line), or None if not yet."""
    crlf = buf.find(b"\r\n\r\n", start)
    lf = buf.find(b"\n\n", start)
    ends = [i for i in (crlf, lf) if i >= 0]
    return min(ends) if ends else None


@contextlib.asynccontextmanager
async def stream(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    user_agent: str | None = None,
    seconds: float = 5.0,
    connect_timeout: float | None = None,
    first_byte_timeout: float | None = None,
    max_redirects: int = MAX_REDIRECTS,
    max_header_bytes: int = MAX_HEADER_BYTES,
    allow_userinfo: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[ProbeStream]:
    """GET ``url`` (following redirects) and yield the open final response; closed on exit.

    ``seconds`` bounds everything from the first connect to the last read (redirects included);
    ``connect_timeout`` and ``first_byte_timeout`` are tighter limits for those phases.
    ``headers`` (e.g. User-Agent, Referer) override the defaults; the user agent defaults to
    strmline's own. Redirects keep the headers, except credentials when the origin changes.
    """
    started = time.perf_counter()
    deadline = started + seconds
    extra = dict(headers or {})
    agent = user_agent or DEFAULT_USER_AGENT
    target = _parse_url(url, allow_userinfo=allow_userinfo)
    seen = {target.url}
    hops = 0
    while True:
        response, writer = await _open(
            target,
            started=started,
            deadline=deadline,
            seconds=seconds,
            connect_timeout=connect_timeout if connect_timeout is not None else seconds,
            first_byte_timeout=first_byte_timeout,
            headers=extra,
            user_agent=agent,
            max_header_bytes=max_header_bytes,
            ssl_context=ssl_context,
        )
        location = response.headers.get("location")
        if response.status not in _REDIRECTS or not location:
            break
        # Connection: close means nothing is reused; drop this one before the next hop.
        writer.transport.abort()
        hops += 1
        if hops > max_redirects:
            raise ProbeRedirectError("too many redirects")
        try:
            next_url = urljoin(target.url, location.strip())
        except ValueError:
            raise ProbeRedirectError("redirect to an invalid URL") from None
        if next_url in seen:
            raise ProbeRedirectError("redirect loop")
        seen.add(next_url)
        try:
            next_target = _parse_url(next_url, allow_userinfo=allow_userinfo)
        except ProbeURLError as exc:
            raise ProbeRedirectError(f"redirect refused: {exc}") from None
        if next_target.origin != target.origin:
            # Credentials are for the host they were given for (as browsers and httpx do).
            extra = {k: v for k, v in extra.items() if k.lower() != "authorization"}
        elif next_target.auth is None and target.auth is not None:
            next_target = dataclasses.replace(next_target, auth=target.auth)
        target = next_target
    try:
        yield response
    finally:
        # abort, not close: a graceful TLS shutdown can wait on the peer, and an unread live
        # stream should stop at once so a limited account gets its slot back.
        writer.transport.abort()


async def fetch(
    url: str,
    *,
    max_bytes: int = 4096,
    headers: Mapping[str, str] | None = None,
    user_agent: str | None = None,
    seconds: float = 5.0,
    connect_timeout: float | None = None,
    first_byte_timeout: float | None = None,
    max_redirects: int = MAX_REDIRECTS,
    max_header_bytes: int = MAX_HEADER_BYTES,
    allow_userinfo: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """GET ``url`` and return its status, headers and first ``max_bytes`` body bytes."""
    async with stream(
        url,
        headers=headers,
        user_agent=user_agent,
        seconds=seconds,
        connect_timeout=connect_timeout,
        first_byte_timeout=first_byte_timeout,
        max_redirects=max_redirects,
        max_header_bytes=max_header_bytes,
        allow_userinfo=allow_userinfo,
        ssl_context=ssl_context,
    ) as response:
        # An error page's body is only a detail: its status is the answer, even if we cannot
        # decode what came with it.
        readable = response.decodable or response.status < 400
        body = await response.read(max_bytes) if readable else b""
        return ProbeResult(
            status=response.status,
            reason=response.reason,
            headers=response.headers,
            final_url=response.final_url,
            body_prefix=body,
            elapsed_ms=response.elapsed_ms,
            first_byte_ms=response.first_byte_ms,
        )
