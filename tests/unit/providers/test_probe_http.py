"""probe_http against a tiny asyncio server on 127.0.0.1: framing, codings, redirects, limits."""

from __future__ import annotations

import asyncio
import base64
import gzip
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
import uvloop

from strmline.pipelines.health import check_url
from strmline.providers import probe_http
from strmline.providers.probe_http import (
    ProbeConnectError,
    ProbeProtocolError,
    ProbeRedirectError,
    ProbeTimeout,
    ProbeURLError,
    fetch,
)

pytestmark = pytest.mark.timeout(20)

TS = bytes([0x47] + [0] * 187) * 40  # 40 TS packets: sync bytes every 188
Route = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(": ")
                    headers[name.lower()] = value
            self.requests.append((target, headers))
            route = self.routes.get(target.split("?")[0])
            if route is None:
                writer.write(reply(404, b"nope", reason="Not Found"))
            else:
                await route(reader, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def raw(self, path: str, data: bytes) -> None:
        async def route(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(data)

        self.routes[path] = route


def reply(
    status: int,
    body: bytes,
    *,
    reason: str = "OK",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(*parts: bytes) -> bytes:
    out = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts)
    return out + b"0\r\nX-Trailer: yes\r\n\r\n"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    s = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    port = s.sockets[0].getsockname()[1]
    srv.base = f"http://127.0.0.1:{port}"
    try:
        yield srv
    finally:
        s.close()


async def test_plain_response_and_request_headers(server: Server) -> None:
    server.raw("/a.ts", reply(200, TS, headers={"Content-Type": "video/MP2T", "X-A": "1"}))
    r = await fetch(
        f"{server.base}/a.ts?x=1 2", max_bytes=1000, headers={"Referer": "http://r/", "X-A": "b"}
    )
    assert (r.status, r.reason) == (200, "OK")
    assert r.headers["content-type"] == "video/MP2T" and r.headers["x-a"] == "1"
    assert r.body_prefix == TS[:1000]
    assert r.final_url == f"{server.base}/a.ts?x=1 2"
    assert 0 <= r.first_byte_ms <= r.elapsed_ms
    target, sent = server.requests[0]
    assert target == "/a.ts?x=1%202"
    assert sent["host"] == server.base.removeprefix("http://")
    assert sent["user-agent"].startswith("strmline/")
    assert sent["connection"] == "close" and sent["accept"] == "*/*"
    assert sent["referer"] == "http://r/" and sent["x-a"] == "b"


async def test_error_status_is_an_answer(server: Server) -> None:
    r = await fetch(f"{server.base}/missing")
    assert (r.status, r.reason, r.body_prefix) == (404, "Not Found", b"nope")


async def test_close_delimited_body_and_short_body(server: Server) -> None:
    server.raw("/eof", reply(200, b"abc", length=False))
    assert (await fetch(f"{server.base}/eof")).body_prefix == b"abc"
    server.raw("/204", b"HTTP/1.1 204 No Content\r\n\r\n")
    assert (await fetch(f"{server.base}/204")).body_prefix == b""


async def test_chunked_read_stops_at_n(server: Server) -> None:
    body = chunked(TS[:100], TS[100:188], TS[188:5000], TS[5000:])
    server.raw("/c", reply(200, body, headers={"Transfer-Encoding": "chunked"}, length=False))
    assert (await fetch(f"{server.base}/c", max_bytes=4096)).body_prefix == TS[:4096]
    assert (await fetch(f"{server.base}/c", max_bytes=10**6)).body_prefix == TS
    server.raw("/bad", reply(200, b"zz\r\nxx", headers={"Transfer-Encoding": "chunked"}))
    with pytest.raises(ProbeProtocolError, match="invalid chunked encoding"):
        await fetch(f"{server.base}/bad")


async def test_gzip_decoded_only_as_far_as_asked(server: Server) -> None:
    big = b"#EXTM3U\n" + b"#EXTINF:10,\nseg.ts\n" * 200_000  # ~3.8 MB, compresses to ~10 KB
    packed = gzip.compress(big)
    server.raw("/g", reply(200, packed, headers={"Content-Encoding": "gzip"}))
    r = await fetch(f"{server.base}/g", max_bytes=5000)
    assert r.body_prefix == big[:5000]
    # Reads continue where the last one stopped, even mid-way through inflated data.
    async with probe_http.stream(f"{server.base}/g") as resp:
        parts = [await resp.read(n) for n in (1, 100, 7000, 70_000)]
    assert b"".join(parts) == big[:77_101]
    # gzip inside chunked, split mid-stream.
    half = len(packed) // 2
    body = chunked(packed[:7], packed[7:half], packed[half:])
    headers = {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}
    server.raw("/gc", reply(200, body, headers=headers, length=False))
    assert (await fetch(f"{server.base}/gc", max_bytes=300_000)).body_prefix == big[:300_000]
    assert server.requests[-1][1]["accept-encoding"] == "gzip, deflate"
    server.raw("/corrupt", reply(200, b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ProbeProtocolError, match="corrupt compressed data"):
        await fetch(f"{server.base}/corrupt")
    server.raw("/br", reply(200, b"xx", headers={"Content-Encoding": "br"}))
    with pytest.raises(ProbeProtocolError, match="unsupported content encoding: br"):
        await fetch(f"{server.base}/br")
    server.raw("/br404", reply(404, b"xx", headers={"Content-Encoding": "br"}))
    assert (await fetch(f"{server.base}/br404")).status == 404


async def test_redirects_absolute_relative_and_limits(server: Server) -> None:
    def redirect(path: str, to: str, status: int = 302) -> None:
        server.raw(path, reply(status, b"", headers={"Location": to}, reason="Moved"))

    server.raw("/dir/final.ts", reply(200, TS))
    redirect("/start", f"{server.base}/hop1", 301)
    redirect("/hop1", "/dir/hop2", 307)  # path-absolute
    redirect("/dir/hop2", "hop3", 303)  # relative to /dir/
    redirect("/dir/hop3", "../dir/final.ts?t=1", 308)
    r = await fetch(f"{server.base}/start", max_bytes=188)
    assert r.status == 200 and r.body_prefix == TS[:188]
    assert r.final_url == f"{server.base}/dir/final.ts?t=1"
    assert [t for t, _ in server.requests] == [
        "/start",
        "/hop1",
        "/dir/hop2",
        "/dir/hop3",
        "/dir/final.ts?t=1",
    ]

    redirect("/loop-a", "/loop-b")
    redirect("/loop-b", "/loop-a")
    with pytest.raises(ProbeRedirectError, match="redirect loop"):
        await fetch(f"{server.base}/loop-a")
    for i in range(7):
        redirect(f"/r{i}", f"/r{i + 1}")
    server.raw("/r7", reply(200, TS))
    with pytest.raises(ProbeRedirectError, match="too many redirects"):
        await fetch(f"{server.base}/r0")
    assert (await fetch(f"{server.base}/r0", max_redirects=7)).status == 200
    redirect("/ftp", "ftp://example.com/x")
    with pytest.raises(ProbeRedirectError, match=r"redirect refused: unsupported URL"):
        await fetch(f"{server.base}/ftp")
    # A 3xx without Location is just an answer.
    server.raw("/noloc", reply(302, b"x", reason="Found"))
    assert (await fetch(f"{server.base}/noloc")).status == 302


async def test_interim_responses_are_skipped(server: Server) -> None:
    server.raw(
        "/i",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n" + reply(200, b"ok"),
    )
    r = await fetch(f"{server.base}/i")
    assert (r.status, r.body_prefix) == (200, b"ok") and "link" not in r.headers


async def test_slow_first_byte_within_and_beyond_its_limit(server: Server) -> None:
    async def slow(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.4)
        w.write(reply(200, TS))

    server.routes["/slow"] = slow
    r = await fetch(f"{server.base}/slow", first_byte_timeout=2, seconds=3)
    assert r.first_byte_ms >= 350 and r.body_prefix == TS[:4096]
    with pytest.raises(ProbeTimeout) as info:
        await fetch(f"{server.base}/slow", first_byte_timeout=0.1, seconds=3)
    assert str(info.value) == "timeout after 0.1 s (waiting for the response)"
    assert not info.value.total
    with pytest.raises(ProbeTimeout) as info:
        await fetch(f"{server.base}/slow", seconds=0.15)
    assert str(info.value) == "timeout after 0.15 s (waiting for the response)"
    assert info.value.total


async def test_hang_after_headers_hits_the_deadline(server: Server) -> None:
    async def hang(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n\r\n" + TS[:100])
        await w.drain()
        await r.read()  # until the client goes away
        server.closed.set()

    server.routes["/hang"] = hang
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(ProbeTimeout) as info:
        await fetch(f"{server.base}/hang", seconds=0.3, first_byte_timeout=0.2)
    assert 0.25 < loop.time() - t0 < 1.0
    assert str(info.value) == "timeout after 0.3 s (reading the body)" and info.value.total
    # The connection is closed at once (a limited account gets its slot back).
    await asyncio.wait_for(server.closed.wait(), 2)


async def test_stream_closes_an_endless_body_on_exit(server: Server) -> None:
    async def endless(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\n\r\n")
        try:
            while True:
                w.write(TS)
                await w.drain()
                await asyncio.sleep(0.01)
        except ConnectionError:
            server.closed.set()

    server.routes["/live"] = endless
    async with probe_http.stream(f"{server.base}/live", seconds=2) as resp:
        assert len(await resp.read(10_000)) == 10_000
        assert len(await resp.read(100)) == 100
    await asyncio.wait_for(server.closed.wait(), 2)


async def test_early_close_and_garbage(server: Server) -> None:
    server.raw("/short", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + TS[:10])
    with pytest.raises(ProbeProtocolError, match="closed before the response was complete"):
        await fetch(f"{server.base}/short")
    # Fewer bytes than declared but all we asked for: fine.
    assert (await fetch(f"{server.base}/short", max_bytes=10)).body_prefix == TS[:10]
    server.raw("/half-head", b"HTTP/1.1 200 OK\r\nContent-Ty")
    with pytest.raises(ProbeProtocolError, match="closed before the response was complete"):
        await fetch(f"{server.base}/half-head")
    server.raw("/nothing", b"")
    with pytest.raises(ProbeProtocolError, match="closed without a response"):
        await fetch(f"{server.base}/nothing")
    server.raw("/garbage", b"<html>hello</html>\r\n\r\n")
    with pytest.raises(ProbeProtocolError, match="invalid HTTP response"):
        await fetch(f"{server.base}/garbage")
    server.raw("/chunk-cut", reply(200, b"10\r\nabc", headers={"Transfer-Encoding": "chunked"}))
    with pytest.raises(ProbeProtocolError, match="closed before the response was complete"):
        await fetch(f"{server.base}/chunk-cut")


async def test_huge_headers_are_refused(server: Server) -> None:
    filler = "".join(f"X-Pad-{i}: {'y' * 1000}\r\n" for i in range(70))
    server.raw("/huge", f"HTTP/1.1 200 OK\r\n{filler}\r\n".encode() + TS)
    with pytest.raises(ProbeProtocolError, match="headers larger than 64 KB"):
        await fetch(f"{server.base}/huge")
    assert (await fetch(f"{server.base}/huge", max_header_bytes=128 * 1024)).status == 200

    # Endless headers: refused once past the limit, not read forever.
    async def endless(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\n")
        with pytest.raises(ConnectionError):
            while True:
                w.write(b"X-A: " + b"a" * 4000 + b"\r\n")
                await w.drain()

    server.routes["/endless"] = endless
    with pytest.raises(ProbeProtocolError, match="headers larger than 64 KB"):
        await fetch(f"{server.base}/endless", seconds=3)


async def test_userinfo_becomes_basic_auth_or_is_refused(server: Server) -> None:
    server.raw("/auth", reply(200, b"ok"))
    host = server.base.removeprefix("http://")
    await fetch(f"http://bob:p%40ss@{host}/auth")
    expected = "Basic " + base64.b64encode(b"bob:p@ss").decode()
    assert server.requests[-1][1]["authorization"] == expected
    with pytest.raises(ProbeURLError, match="credentials in the URL are not allowed"):
        await fetch(f"http://bob:pw@{host}/auth", allow_userinfo=False)


async def test_credentials_do_not_follow_to_another_origin(server: Server) -> None:
    other = Server()
    s = await asyncio.start_server(other.handle, "127.0.0.1", 0)
    try:
        other.raw("/x", reply(200, b"ok"))
        port = s.sockets[0].getsockname()[1]
        to = f"http://127.0.0.1:{port}/x"
        server.raw("/go", reply(302, b"", headers={"Location": to}))
        host = server.base.removeprefix("http://")
        await fetch(f"http://u:p@{host}/go", headers={"Authorization": "Bearer t"})
        assert server.requests[-1][1]["authorization"] == "Bearer t"
        assert "authorization" not in other.requests[-1][1]
        # Same origin: the URL's credentials stay with the request.
        server.raw("/here", reply(302, b"", headers={"Location": "/x"}))
        server.raw("/x", reply(200, b"ok"))
        await fetch(f"http://u:p@{host}/here")
        target, sent = server.requests[-1]
        assert target == "/x"
        assert sent["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    finally:
        s.close()


async def test_bad_urls_and_headers() -> None:
    for url, reason in [
        ("ftp://example.com/x", "unsupported URL"),
        ("http:///x", "no host"),
        ("http://example.com:99999/x", "invalid URL"),
        ("http://[::1/x", "invalid URL"),
    ]:
        with pytest.raises(ProbeURLError, match=reason):
            await fetch(url)
    with pytest.raises(ProbeURLError, match="invalid request header"):
        await fetch("http://127.0.0.1:9/x", headers={"Referer": "a\r\nX-Evil: 1"})


async def test_connection_refused_and_host_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound, never listening: nothing is there
    with pytest.raises(ProbeConnectError, match=r"^connection refused$"):
        await fetch(f"http://127.0.0.1:{port}/x", seconds=2)

    def no_dns(*_a: object, **_k: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(ProbeConnectError, match=r"^host not found$"):
        await fetch("http://no-such-host.invalid/x", seconds=2)


async def test_connect_timeout_names_its_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never(*_a: object, **_k: object) -> object:
        await asyncio.sleep(30)
        raise AssertionError

    monkeypatch.setattr(asyncio, "open_connection", never)
    with pytest.raises(ProbeTimeout) as info:
        await fetch("http://127.0.0.1:9/x", seconds=3, connect_timeout=0.1)
    assert str(info.value) == "timeout after 0.1 s (connecting)" and not info.value.total


async def test_ipv6_literal_with_port() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    srv = Server()
    try:
        s = await asyncio.start_server(srv.handle, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback")
    try:
        srv.raw("/v6", reply(200, b"six"))
        port = s.sockets[0].getsockname()[1]
        r = await fetch(f"http://[::1]:{port}/v6")
        assert r.body_prefix == b"six"
        assert srv.requests[0][1]["host"] == f"[::1]:{port}"
    finally:
        s.close()


async def test_check_url_over_probe_http(server: Server) -> None:
    """The health check end to end: gzip+chunked master → relative variant → redirected segment."""
    master = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=9000\nhi.m3u8\n"
    packed = gzip.compress(master)
    headers = {
        "Content-Type": "application/vnd.apple.mpegurl",
        "Content-Encoding": "gzip",
        "Transfer-Encoding": "chunked",
    }
    server.raw(
        "/hls/master.m3u8",
        reply(200, chunked(packed[:9], packed[9:]), headers=headers, length=False),
    )
    # A media playlist bigger than the first read (4 KB), gzipped: read on past the sniff.
    media = b"#EXTM3U\n" + b"#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n" * 200
    media += b"#EXTINF:4,\nseg/1.ts\n"
    assert len(media) > 8192
    media_headers = {"Content-Encoding": "gzip"}
    server.raw("/hls/hi.m3u8", reply(200, gzip.compress(media), headers=media_headers))
    server.raw("/hls/seg/1.ts", reply(302, b"", headers={"Location": "/media/1.ts"}))
    server.raw("/media/1.ts", reply(200, TS, headers={"Content-Type": "video/mp2t"}))
    ok = await check_url(f"{server.base}/hls/master.m3u8", seconds=3, user_agent="UA/1")
    assert ok.ok and ok.kind == "hls" and ok.response_ms is not None, ok
    assert all(h["user-agent"] == "UA/1" for _, h in server.requests)

    server.raw("/html", reply(200, b"<!DOCTYPE html><html>", headers={"Content-Type": "text/html"}))
    bad = await check_url(f"{server.base}/html", seconds=3)
    assert bad.reason == "not a media stream: text/html"
    assert (await check_url(f"{server.base}/gone", seconds=3)).reason == "HTTP 404"

    async def hang(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\n\r\n")
        await r.read()

    server.routes["/hang.ts"] = hang
    assert (await check_url(f"{server.base}/hang.ts", seconds=0.3)).reason == "timeout after 0.3 s"


# ---- both event loops -------------------------------------------------------------------------
# `strmline serve` runs on uvloop (uvicorn[standard]); the suite's own loop is asyncio's. uvloop's
# create_connection() refused an argument asyncio's accepts, and only a run on uvloop showed it.

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


def run_on(loop: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        assert type(runner.get_loop()).__module__.split(".")[0] == loop
        runner.run(main())


def free_port(host: str = "127.0.0.1") -> int:
    sock = socket.socket()
    sock.bind((host, 0))
    port = int(sock.getsockname()[1])
    sock.close()  # bound, never listening: nothing is there
    return port


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_fetch_and_check_on_both_event_loops(loop: str) -> None:
    async def main() -> None:
        srv = Server()
        s = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
        port = s.sockets[0].getsockname()[1]
        srv.raw("/a.ts", reply(200, TS, headers={"Content-Type": "video/mp2t"}))
        srv.raw("/r", reply(302, b"", headers={"Location": "/a.ts"}))
        try:
            # An IP literal and a name take different connect paths; both must work.
            for host in ("127.0.0.1", "localhost"):
                r = await fetch(f"http://{host}:{port}/r", max_bytes=188, seconds=3)
                assert (r.status, r.body_prefix) == (200, TS[:188])
                ok = await check_url(f"http://{host}:{port}/a.ts", seconds=3)
                assert ok.ok and ok.kind == "ts", ok
            closed = free_port()
            for host in ("127.0.0.1", "localhost"):
                with pytest.raises(ProbeConnectError, match=r"^connection refused$"):
                    await fetch(f"http://{host}:{closed}/x", seconds=2)
                bad = await check_url(f"http://{host}:{closed}/x", seconds=2)
                assert bad.reason == "connection refused"
        finally:
            s.close()

    run_on(loop, main)


class _Resolver:
    """A loop whose resolver knows one extra name, for addresses the system resolver lacks."""

    addresses: ClassVar[list[tuple[str, int]]] = []

    async def getaddrinfo(self, host: Any, port: Any, **kw: Any) -> Any:
        if host == "dual.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr)
                for addr in self.addresses
            ]
        return await super().getaddrinfo(host, port, **kw)  # type: ignore[misc]


class _AsyncioResolverLoop(_Resolver, asyncio.SelectorEventLoop):
    pass


class _UvloopResolverLoop(_Resolver, uvloop.Loop):  # type: ignore[misc]
    pass


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_a_silent_address_costs_a_quarter_second_not_the_connect_timeout(
    loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        srv = Server()
        s = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
        port = s.sockets[0].getsockname()[1]
        srv.raw("/a.ts", reply(200, TS))
        # A listener with a full accept queue drops SYNs: connects to it hang, as to a dead route.
        silent = socket.socket()
        silent.bind(("127.0.0.2", port))
        silent.listen(0)
        filler = socket.create_connection(("127.0.0.2", port), timeout=1)
        monkeypatch.setattr(_Resolver, "addresses", [("127.0.0.2", port), ("127.0.0.1", port)])
        try:
            t0 = time.perf_counter()
            r = await fetch(f"http://dual.test:{port}/a.ts", seconds=5, connect_timeout=3)
            assert r.status == 200 and r.body_prefix == TS[:4096]
            assert time.perf_counter() - t0 < 1.5
            # Every address refused: the reason names that, not a list of addresses.
            closed = free_port()
            monkeypatch.setattr(
                _Resolver, "addresses", [("127.0.0.2", closed), ("127.0.0.1", closed)]
            )
            with pytest.raises(ProbeConnectError, match=r"^connection refused$"):
                await fetch(f"http://dual.test:{closed}/x", seconds=2)
        finally:
            filler.close()
            silent.close()
            s.close()

    factory = _UvloopResolverLoop if loop == "uvloop" else _AsyncioResolverLoop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())


def test_interleave_alternates_families_first_family_first() -> None:
    v6 = [(socket.AF_INET6, 6, (f"::{i}", 80, 0, 0)) for i in (1, 2, 3)]
    v4 = [(socket.AF_INET, 6, (f"10.0.0.{i}", 80)) for i in (1, 2)]
    mixed = probe_http._interleave([*v6, *v4])
    assert mixed == [v6[0], v4[0], v6[1], v4[1], v6[2]]
    assert probe_http._interleave([]) == []


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_https_by_name_on_both_event_loops(loop: str, tmp_path: Path) -> None:
    # A name takes the socket race, then TLS on that socket: SNI and verification must hold.
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip

    async def main() -> None:
        srv = Server()
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(cert, key)
        s = await asyncio.start_server(srv.handle, "127.0.0.1", 0, ssl=server_tls)
        port = s.sockets[0].getsockname()[1]
        srv.raw("/a.ts", reply(200, TS))
        try:
            trusted = ssl.create_default_context(cafile=str(cert))
            r = await fetch(f"https://localhost:{port}/a.ts", seconds=5, ssl_context=trusted)
            assert (r.status, r.body_prefix) == (200, TS[:4096])
            with pytest.raises(ProbeConnectError, match=r"^TLS error: self-signed certificate"):
                await fetch(f"https://localhost:{port}/a.ts", seconds=5)
        finally:
            s.close()

    run_on(loop, main)
