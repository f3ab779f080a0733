"""A provider having a bad day: a real HTTP server on 127.0.0.1 that serves every hostile answer
a sync or a guide import has met (and must survive without losing the previous good data).

``/provider.m3u`` and ``/guide.xml`` answer as the current :attr:`HostileServer.day` says, so a
test syncs a good day first, switches the day, and syncs the same URL again, as happens to a
real provider. Every day also has its own path (``/days/<name>.m3u``, ``/days/<name>.xml``).

Runs in its own thread (a ThreadingHTTPServer), so a test's event loop, or the strmline server
under test, never waits on it, and the endless and dripping answers can block on their sockets.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["GOOD_ENTRIES", "M3U_DAYS", "XMLTV_DAYS", "HostileServer"]

GOOD_ENTRIES = 2000
GUIDE_CHANNELS = 40
GUIDE_HOURS = 48  # programmes per channel, one an hour from two hours ago

# Bodies: (status headers, byte chunks, seconds to wait between chunks)
Body = tuple[dict[str, str], Iterator[bytes], float]


def _entry(i: int, host: str) -> bytes:
    return (
        f'#EXTINF:-1 tvg-id="ch{i}.tv" tvg-chno="{i}" group-title="Group {i % 20}",'
        f"Channel {i}\n{host}/live/user/pass/{i}.ts\n"
    ).encode()


def good_playlist(host: str, n: int = GOOD_ENTRIES) -> bytes:
    return b"#EXTM3U\n" + b"".join(_entry(i, host) for i in range(1, n + 1))


@cache
def gzip_bomb() -> bytes:
    """About 715 KB of gzip: one entry repeated over two million times (a ~300x ratio)."""
    entry = b'#EXTINF:-1 tvg-id="bomb.tv" group-title="Bomb",Bomb TV\nhttp://bomb.example/1.ts\n'
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [z.compress(b"#EXTM3U\n")]
    block = entry * 10_000
    size = 0
    while size < 715_000:
        piece = z.compress(block)
        out.append(piece)
        size += len(piece)
    out.append(z.flush())
    return b"".join(out)


@cache
def newline_bomb() -> bytes:
    """About 1 MB of gzip that inflates to a playlist header and 1 GB of empty lines."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [z.compress(b"#EXTM3U\n")]
    block = b"\n" * (1 << 20)
    out.extend(z.compress(block) for _ in range(1000))
    out.append(z.flush())
    return b"".join(out)


def _xmltv_time(t: datetime) -> str:
    return t.strftime("%Y%m%d%H%M%S +0000")


def guide(
    *,
    channels: int = GUIDE_CHANNELS,
    hours: int = GUIDE_HOURS,
    start_offset_hours: int = -2,
    title: Callable[[int, int], str] = lambda c, h: f"Show {c}-{h}",
) -> bytes:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = now + timedelta(hours=start_offset_hours)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n']
    for c in range(1, channels + 1):
        parts.append(f'<channel id="ch{c}.tv"><display-name>Channel {c}</display-name></channel>\n')
    for c in range(1, channels + 1):
        for h in range(hours):
            start = first + timedelta(hours=h)
            parts.append(
                f'<programme channel="ch{c}.tv" start="{_xmltv_time(start)}" '
                f'stop="{_xmltv_time(start + timedelta(hours=1))}">'
                f"<title>{title(c, h)}</title></programme>\n"
            )
    parts.append("</tv>\n")
    return "".join(parts).encode()


@cache
def guide_bomb() -> bytes:
    """A small gzip of one programme repeated millions of times inside a valid <tv>."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [
        z.compress(
            b'<?xml version="1.0"?>\n<tv><channel id="b"><display-name>B</display-name></channel>\n'
        )
    ]
    row = b'<programme channel="b" start="20300101000000 +0000" stop="20300101010000 +0000"><title>B</title></programme>\n'
    block = row * 10_000
    for _ in range(300):
        out.append(z.compress(block))
    out.append(z.compress(b"</tv>\n"))
    out.append(z.flush())
    return b"".join(out)


class HostileServer:
    """``with HostileServer() as server: server.day = "gzip_bomb"`` …"""

    def __init__(self) -> None:
        self.day = "good"
        self.guide_day = "good"
        self.xtream_day = "good"
        self.drip_seconds = 4.0
        self.requests: list[str] = []
        self._stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no keep-alive: a body without a length ends at close

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                status, headers, chunks, pause = owner.answer(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    for chunk in chunks:
                        if owner._stopping.is_set():
                            return
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if pause:
                            owner._stopping.wait(pause)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up, as it should

            def log_message(self, format: str, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answers ---------------------------------------------------------------------------------

    def answer(self, raw_path: str) -> tuple[int, dict[str, str], Iterator[bytes], float]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        path = parts.path
        if path == "/player_api.php":
            action = query.get("action", [""])[0]
            headers, chunks, pause = _xtream(self, action)
            return 200, headers, chunks, pause
        if path == "/provider.m3u":
            day = self.day
        elif path == "/guide.xml":
            day = self.guide_day
        elif path.startswith("/days/"):
            day = path[len("/days/") :].rsplit(".", 1)[0]
        else:
            return 404, {"Content-Length": "0"}, iter(()), 0.0
        n = int(query.get("n", [str(GOOD_ENTRIES)])[0])
        maker = M3U_DAYS.get(day) if not path.endswith(".xml") else XMLTV_DAYS.get(day)
        if maker is None:
            return 404, {"Content-Length": "0"}, iter(()), 0.0
        headers, chunks, pause = maker(self, n)
        return 200, headers, chunks, pause


def _whole(data: bytes, **headers: str) -> Body:
    return {"Content-Length": str(len(data)), **headers}, iter([data]), 0.0


def _pieces(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _good(server: HostileServer, n: int) -> Body:
    return _whole(good_playlist(server.url, n), **{"Content-Type": "audio/x-mpegurl"})


def _endless(server: HostileServer, n: int) -> Body:
    def forever() -> Iterator[bytes]:
        yield b"#EXTM3U\n"
        i = 1
        while True:
            yield b"".join(_entry(j, server.url) for j in range(i, i + 500))
            i += 500

    return {"Content-Type": "audio/x-mpegurl"}, forever(), 0.0


def _drip(server: HostileServer, n: int) -> Body:
    def slowly() -> Iterator[bytes]:
        yield b"#EXTM3U\n"
        i = 1
        while True:
            yield _entry(i, server.url)
            i += 1

    return {"Content-Type": "audio/x-mpegurl"}, slowly(), server.drip_seconds


def _gzip_bomb(server: HostileServer, n: int) -> Body:
    data = gzip_bomb()
    return (
        {"Content-Length": str(len(data)), "Content-Type": "application/gzip"},
        _pieces(data),
        0.0,
    )


def _gzip_bomb_encoded(server: HostileServer, n: int) -> Body:
    data = gzip_bomb()
    headers = {"Content-Length": str(len(data)), "Content-Encoding": "gzip"}
    return headers, _pieces(data), 0.0


def _newline_bomb(server: HostileServer, n: int) -> Body:
    data = newline_bomb()
    headers = {"Content-Length": str(len(data)), "Content-Encoding": "gzip"}
    return headers, _pieces(data), 0.0


def _cut_off(server: HostileServer, n: int) -> Body:
    data = good_playlist(server.url, n)
    cut = data.index(b"/live/", int(len(data) * 0.6)) + 8  # in the middle of a URL
    return {"Content-Type": "audio/x-mpegurl"}, iter([data[:cut]]), 0.0  # and no length


def _duplicate_bomb(server: HostileServer, n: int) -> Body:
    data = good_playlist(server.url, n) + _entry(1, server.url) * (n * 10)
    return _whole(data)


def _bad_values(server: HostileServer, n: int) -> Body:
    lines = good_playlist(server.url, n).splitlines(keepends=True)
    lines.insert(3, b"#EXTINF:-1,Broken host\n//cdn]/x.ts\n")
    return _whole(b"".join(lines))


def _stream_json(i: int) -> bytes:
    return (
        f'{{"num":{i},"name":"Channel {i}","stream_type":"live","stream_id":{i},'
        f'"stream_icon":"","epg_channel_id":"ch{i}.tv","category_id":"1"}}'
    ).encode()


def _xtream(server: HostileServer, action: str) -> Body:
    """An Xtream panel: login and categories always fine, the live list as the day says."""
    if not action:
        return _whole(
            b'{"user_info":{"auth":1,"status":"Active","username":"u","password":"p"},'
            b'"server_info":{"url":"127.0.0.1","server_protocol":"http"}}'
        )
    if action == "get_live_categories":
        return _whole(b'[{"category_id":"1","category_name":"All"}]')
    if action != "get_live_streams":
        return _whole(b"[]")
    if server.xtream_day == "endless":

        def forever() -> Iterator[bytes]:
            yield b"["
            i = 1
            while True:
                yield b"".join(_stream_json(j) + b"," for j in range(i, i + 500))
                i += 500

        return {"Content-Type": "application/json"}, forever(), 0.0
    rows = [_stream_json(i) for i in range(1, GOOD_ENTRIES + 1)]
    if server.xtream_day == "duplicate_bomb":
        rows += [_stream_json(1)] * (GOOD_ENTRIES * 10)
    return _whole(b"[" + b",".join(rows) + b"]", **{"Content-Type": "application/json"})


M3U_DAYS: dict[str, Callable[[HostileServer, int], Body]] = {
    "good": _good,
    "endless": _endless,
    "drip": _drip,
    "gzip_bomb": _gzip_bomb,
    "gzip_bomb_encoded": _gzip_bomb_encoded,
    "newline_bomb": _newline_bomb,
    "cut_off": _cut_off,
    "duplicate_bomb": _duplicate_bomb,
    "bad_values": _bad_values,
}


def _guide_good(server: HostileServer, n: int) -> Body:
    return _whole(guide())


def _guide_no_programmes(server: HostileServer, n: int) -> Body:
    return _whole(guide(hours=0))


def _guide_expired(server: HostileServer, n: int) -> Body:
    return _whole(guide(hours=6, start_offset_hours=-12))


def _guide_short(server: HostileServer, n: int) -> Body:
    return _whole(guide(channels=GUIDE_CHANNELS // 10))


def _guide_bad_char(server: HostileServer, n: int) -> Body:
    return _whole(guide(title=lambda c, h: "Bad &#xD800; title" if c == h == 1 else f"S {c}-{h}"))


def _guide_bomb(server: HostileServer, n: int) -> Body:
    data = guide_bomb()
    return (
        {"Content-Length": str(len(data)), "Content-Type": "application/gzip"},
        _pieces(data),
        0.0,
    )


def _guide_drip(server: HostileServer, n: int) -> Body:
    def slowly() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?>\n<tv>\n'
        while True:
            yield b'<channel id="x"><display-name>X</display-name></channel>\n'

    return {}, slowly(), server.drip_seconds


XMLTV_DAYS: dict[str, Callable[[HostileServer, int], Body]] = {
    "good": _guide_good,
    "no_programmes": _guide_no_programmes,
    "expired": _guide_expired,
    "short": _guide_short,
    "bad_char": _guide_bad_char,
    "bomb": _guide_bomb,
    "drip": _guide_drip,
}
