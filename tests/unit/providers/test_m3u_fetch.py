"""fetch_m3u over httpx.MockTransport and local files: formats, failover, errors, progress."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from strmline.errors import NotAPlaylistError, ProviderUnavailable
from strmline.providers.http import make_client
from strmline.providers.m3u import fetch_m3u

PLAYLIST = b"""#EXTM3U x-tvg-url="http://epg.example.com/guide.xml.gz"
#EXTINF:-1 tvg-id="bbc1.uk" tvg-name="BBC One" tvg-logo="http://logo/bbc1.png" tvg-chno="101" group-title="UK" catchup="default" catchup-days="7",BBC One HD
#EXTVLCOPT:http-user-agent=VLC/3.0
http://streams.example.com/live/bob/pw/101.ts
#EXTINF:-1 tvg-id="cnn.us" group-title="News" radio="false",CNN
http://streams.example.com/live/bob/pw/202.ts
"""

HTML = b"<!DOCTYPE html><html><head><title>Login</title></head><body>Please log in</body></html>"
SECRET = "hunter22"
PRIMARY = f"http://primary.example.com/get.php?username=bob&password={SECRET}&type=m3u_plus"
BACKUP = f"http://backup.example.com/get.php?username=bob&password={SECRET}&type=m3u_plus"

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(routes: dict[str, Handler | httpx.Response]) -> httpx.AsyncClient:
    """A client whose host → response (or handler) table is the whole internet."""

    def handle(request: httpx.Request) -> httpx.Response:
        route = routes.get(request.url.host)
        if route is None:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return route(request) if callable(route) else route

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), follow_redirects=True)


class _BrokenStream(httpx.AsyncByteStream):
    """Sends part of the body, then the connection drops."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )


class _ShortStream(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


async def test_plain_playlist():
    async with client_for({"primary.example.com": httpx.Response(200, content=PLAYLIST)}) as client:
        result = await fetch_m3u(client, [PRIMARY])
    assert [i.name for i in result.items] == ["BBC One HD", "CNN"]
    assert result.attempts == []
    assert result.epg_urls == ["http://epg.example.com/guide.xml.gz"]
    assert result.skipped == 0
    assert result.account is None
    assert SECRET not in result.source and "password=***" in result.source
    bbc, cnn = result.items
    assert bbc.url == "http://streams.example.com/live/bob/pw/101.ts"
    assert bbc.group == "UK"
    assert bbc.tvg_id == "bbc1.uk"
    assert bbc.tvg_name == "BBC One"
    assert bbc.logo == "http://logo/bbc1.png"
    assert bbc.chno == "101"
    assert bbc.headers == {"User-Agent": "VLC/3.0"}
    assert bbc.attrs == {"catchup": "default", "catchup-days": "7"}
    assert cnn.attrs == {"radio": "false"}
    assert cnn.tvg_name is None and cnn.logo is None and cnn.chno is None
    assert bbc.key != cnn.key


async def test_user_agent_is_sent():
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, content=PLAYLIST)

    async with client_for({"primary.example.com": handle}) as client:
        await fetch_m3u(client, [PRIMARY], user_agent="TiviMate/4.7")
    assert seen == ["TiviMate/4.7"]


async def test_gzip_body():
    response = httpx.Response(
        200, content=gzip.compress(PLAYLIST), headers={"content-type": "application/gzip"}
    )
    async with client_for({"primary.example.com": response}) as client:
        result = await fetch_m3u(client, [PRIMARY])
    assert len(result.items) == 2


async def test_gzip_body_in_several_members_and_tiny_chunks():
    data = gzip.compress(PLAYLIST[:100]) + gzip.compress(PLAYLIST[100:])
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]

    class Chunked(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

    async with client_for({"primary.example.com": httpx.Response(200, stream=Chunked())}) as client:
        result = await fetch_m3u(client, [PRIMARY])
    assert [i.name for i in result.items] == ["BBC One HD", "CNN"]


async def test_content_encoding_gzip():
    response = httpx.Response(
        200, content=gzip.compress(PLAYLIST), headers={"content-encoding": "gzip"}
    )
    async with client_for({"primary.example.com": response}) as client:
        result = await fetch_m3u(client, [PRIMARY])
    assert len(result.items) == 2


async def test_local_file_path_and_file_url(tmp_path):
    path = tmp_path / "tv.m3u"
    path.write_bytes(PLAYLIST)
    async with client_for({}) as client:
        by_path = await fetch_m3u(client, [str(path)])
        by_url = await fetch_m3u(client, [path.as_uri()])
    assert len(by_path.items) == 2
    assert [i.key for i in by_path.items] == [i.key for i in by_url.items]
    assert by_path.source == str(path)


async def test_gz_file(tmp_path):
    path = tmp_path / "tv.m3u.gz"
    path.write_bytes(gzip.compress(PLAYLIST))
    async with client_for({}) as client:
        result = await fetch_m3u(client, [str(path)])
    assert len(result.items) == 2


async def test_missing_file_then_backup(tmp_path):
    async with client_for({"backup.example.com": httpx.Response(200, content=PLAYLIST)}) as client:
        result = await fetch_m3u(client, [str(tmp_path / "nope.m3u"), BACKUP])
    assert result.attempts == [(str(tmp_path / "nope.m3u"), "file not found")]
    assert len(result.items) == 2


async def test_backup_url_after_500():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(500),
        "backup.example.com": httpx.Response(200, content=PLAYLIST),
    }
    async with client_for(routes) as client:
        result = await fetch_m3u(client, [PRIMARY, BACKUP])
    assert len(result.items) == 2
    assert result.source.startswith("http://backup.example.com/")
    (attempt,) = result.attempts
    assert attempt[0].startswith("http://primary.example.com/get.php?username=bob&password=***")
    assert attempt[1] == "HTTP 500 Internal Server Error"


async def test_truncated_body_then_backup():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(200, stream=_BrokenStream(PLAYLIST[:150])),
        "backup.example.com": httpx.Response(200, content=PLAYLIST),
    }
    async with client_for(routes) as client:
        result = await fetch_m3u(client, [PRIMARY, BACKUP])
    assert len(result.items) == 2
    assert "connection closed before the response was complete" in result.attempts[0][1]


async def test_content_length_mismatch_is_a_failure():
    short = httpx.Response(
        200, stream=_ShortStream(PLAYLIST[:150]), headers={"content-length": str(len(PLAYLIST))}
    )
    async with client_for({"primary.example.com": short}) as client:
        with pytest.raises(ProviderUnavailable) as info:
            await fetch_m3u(client, [PRIMARY])
    assert "truncated response" in info.value.message


async def test_truncated_gzip_is_a_failure():
    data = gzip.compress(PLAYLIST * 50)
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(200, content=data[: len(data) // 2]),
    }
    async with client_for(routes) as client:
        with pytest.raises(ProviderUnavailable, match="truncated gzip data"):
            await fetch_m3u(client, [PRIMARY])


async def test_corrupt_gzip_is_a_failure():
    data = b"\x1f\x8b" + b"\x00garbage" * 20
    async with client_for({"primary.example.com": httpx.Response(200, content=data)}) as client:
        with pytest.raises(ProviderUnavailable, match="corrupt gzip data"):
            await fetch_m3u(client, [PRIMARY])


async def test_html_login_page_everywhere():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(
            200, content=HTML, headers={"content-type": "text/html"}
        ),
        "backup.example.com": httpx.Response(200, content=HTML),
    }
    async with client_for(routes) as client:
        with pytest.raises(NotAPlaylistError) as info:
            await fetch_m3u(client, [PRIMARY, BACKUP])
    message = str(info.value)
    assert "primary.example.com" in message and "backup.example.com" in message
    assert "HTML" in message
    assert SECRET not in message
    attempts = info.value.details["attempts"]
    assert [url.split("/")[2] for url, _ in attempts] == [
        "primary.example.com",
        "backup.example.com",
    ]


async def test_mixed_failures_are_provider_unavailable_and_listed():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(200, content=HTML),
        "backup.example.com": httpx.Response(503),
    }
    async with client_for(routes) as client:
        with pytest.raises(ProviderUnavailable) as info:
            await fetch_m3u(client, [PRIMARY, BACKUP, "http://dead.example.com/tv.m3u"])
    message = str(info.value)
    assert "all 3 playlist URLs failed" in message
    assert "HTTP 503 Service Unavailable" in message
    assert "connection refused" in message
    assert "HTML page" in message
    assert SECRET not in message
    assert len(info.value.details["attempts"]) == 3


async def test_single_url_failure_names_the_url():
    async with client_for({}) as client:
        with pytest.raises(ProviderUnavailable) as info:
            await fetch_m3u(client, [PRIMARY])
    assert info.value.message == "connection refused"
    assert info.value.source is not None and "password=***" in info.value.source
    assert SECRET not in str(info.value)


async def test_timeout_reason():
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    async with client_for({"primary.example.com": handle}) as client:
        client.timeout = httpx.Timeout(20.0, connect=10.0)
        with pytest.raises(ProviderUnavailable, match="timeout after 10 s"):
            await fetch_m3u(client, [PRIMARY])


async def test_empty_playlist_moves_on():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(200, content=b"#EXTM3U\n"),
        "backup.example.com": httpx.Response(200, content=PLAYLIST),
    }
    async with client_for(routes) as client:
        result = await fetch_m3u(client, [PRIMARY, BACKUP])
    assert result.attempts[0][1] == "the playlist has no entries"
    assert len(result.items) == 2


async def test_max_bytes():
    async with client_for({"primary.example.com": httpx.Response(200, content=PLAYLIST)}) as client:
        with pytest.raises(ProviderUnavailable, match="byte limit"):
            await fetch_m3u(client, [PRIMARY], max_bytes=100)


async def test_unsupported_scheme():
    async with client_for({}) as client:
        with pytest.raises(ProviderUnavailable, match="unsupported URL scheme"):
            await fetch_m3u(client, ["ftp://example.com/tv.m3u"])


async def test_no_urls():
    async with client_for({}) as client:
        with pytest.raises(ProviderUnavailable, match="no playlist URL"):
            await fetch_m3u(client, [])


async def test_progress_is_throttled_and_final():
    lines = [b"#EXTM3U"]
    for n in range(5000):
        lines.append(f'#EXTINF:-1 tvg-id="c{n}" group-title="G",Channel {n}'.encode())
        lines.append(f"http://streams.example.com/live/bob/pw/{n}.ts".encode())
    body = b"\n".join(lines) + b"\n"
    calls: list[tuple[int, int]] = []
    async with client_for({"primary.example.com": httpx.Response(200, content=body)}) as client:
        result = await fetch_m3u(client, [PRIMARY], on_progress=lambda b, e: calls.append((b, e)))
    assert len(result.items) == 5000
    assert calls[-1] == (len(body), 5000)
    assert 2 <= len(calls) <= 5000 // 1000 + len(body) // (64 * 1024) + 3
    assert calls == sorted(calls)


async def test_duplicate_entries_get_distinct_stable_keys():
    body = (
        PLAYLIST
        + b'#EXTINF:-1 tvg-id="cnn.us" group-title="News",CNN\nhttp://streams.example.com/live/bob/pw/202.ts\n'
    )
    rotated = body.replace(b"/bob/pw/", b"/bob/newpass/")
    async with client_for({"primary.example.com": httpx.Response(200, content=body)}) as client:
        first = await fetch_m3u(client, [PRIMARY])
    async with client_for({"primary.example.com": httpx.Response(200, content=rotated)}) as client:
        second = await fetch_m3u(client, [PRIMARY])
    keys = [i.key for i in first.items]
    assert len(set(keys)) == 3
    assert keys == [i.key for i in second.items]


async def test_redirects_are_followed():
    routes: dict[str, Handler | httpx.Response] = {
        "primary.example.com": httpx.Response(
            302, headers={"location": "http://cdn.example.com/tv.m3u"}
        ),
        "cdn.example.com": httpx.Response(200, content=PLAYLIST),
    }
    async with client_for(routes) as client:
        result = await fetch_m3u(client, [PRIMARY])
    assert len(result.items) == 2


async def test_too_many_redirects():
    loop = httpx.Response(302, headers={"location": PRIMARY})
    async with client_for({"primary.example.com": loop}) as client:
        client.max_redirects = 3
        with pytest.raises(ProviderUnavailable) as info:
            await fetch_m3u(client, [PRIMARY])
    assert info.value.message == "too many redirects"
    assert SECRET not in str(info.value)


async def test_make_client_settings():
    async with make_client(
        timeout=20, connect_timeout=5, max_connections=4, user_agent="UA/1"
    ) as client:
        assert client.timeout.connect == 5
        assert client.timeout.read == 20
        assert client.follow_redirects is True
        assert client.max_redirects == 10
        assert client.headers["user-agent"] == "UA/1"
    async with make_client() as client:
        assert client.headers["user-agent"].startswith("strmline/")
