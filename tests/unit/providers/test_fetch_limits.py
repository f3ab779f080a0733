"""The limits every download runs under: bytes, compression ratio, entries, total time."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from strmline.errors import ProviderUnavailable
from strmline.providers.http import FetchLimits, Meter, deadline, header_value, inflate
from strmline.providers.m3u import fetch_m3u

ENTRY = b'#EXTINF:-1 tvg-id="x",X\nhttp://h/x.ts\n'


def test_header_value_sends_non_ascii_as_utf8_and_drops_line_breaks() -> None:
    assert header_value("TiviMate/4.7") == b"TiviMate/4.7"
    assert header_value("Café\r\nX-Evil: 1") == "CaféX-Evil: 1".encode()
    request = httpx.Request("GET", "http://h/", headers={b"User-Agent": header_value("Café")})
    assert request.headers.raw[-1] == (b"User-Agent", "Café".encode())


def test_meter_refuses_past_bytes_and_ratio() -> None:
    meter = Meter(FetchLimits(max_bytes=10_000_000, what="playlist"), "http://h/p.m3u")
    meter.add_wire(10)
    meter.add_out(9_000_000)
    with pytest.raises(ProviderUnavailable, match="10,000,000-byte limit"):
        meter.add_out(2_000_000)
    ratio = Meter(FetchLimits(max_ratio=100), "http://h/p.m3u")
    ratio.add_wire(10_000)
    ratio.add_out(900_000)  # 90x: fine
    ratio.add_wire(40_000)
    ratio.add_out(4_000_000)  # 98x: fine
    with pytest.raises(ProviderUnavailable, match="compression bomb"):
        ratio.add_out(1_000_000)


async def test_inflate_gives_bounded_pieces_of_a_bomb() -> None:
    bomb = gzip.compress(b"\n" * 50_000_000, compresslevel=9)

    async def body() -> AsyncIterator[bytes]:
        yield bomb

    meter = Meter(FetchLimits(max_ratio=100), "bomb")
    meter.add_wire(len(bomb))
    biggest = 0
    with pytest.raises(ProviderUnavailable, match="compression bomb"):
        async for piece in inflate(body(), "bomb", meter):
            biggest = max(biggest, len(piece))
    assert biggest <= 64 * 1024
    assert meter.out < 10_000_000


async def test_deadline_is_for_the_whole_block() -> None:
    limits = FetchLimits(max_seconds=0.3, what="playlist")
    with pytest.raises(ProviderUnavailable, match=r"longer than 0.3 s"):
        async with deadline(limits, "http://h/p.m3u"):
            for _ in range(10):
                await asyncio.sleep(0.1)  # each "read" is quick; together they are not


async def test_a_bomb_file_is_refused_by_ratio(tmp_path: Path) -> None:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = z.compress(b"#EXTM3U\n" + ENTRY * 300_000) + z.flush()
    path = tmp_path / "bomb.m3u.gz"
    path.write_bytes(data)
    async with httpx.AsyncClient() as client:
        with pytest.raises(ProviderUnavailable, match="compression bomb") as info:
            await fetch_m3u(client, [str(path)], limits=FetchLimits(max_ratio=50))
    assert str(path) in str(info.value)


async def test_entries_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.m3u"
    entries = (b"#EXTINF:-1,Channel %d\nhttp://h/%d.ts\n" % (i, i) for i in range(500))
    path.write_bytes(b"#EXTM3U\n" + b"".join(entries))
    async with httpx.AsyncClient() as client:
        ok = await fetch_m3u(client, [str(path)], limits=FetchLimits(max_entries=500))
        assert len(ok.items) == 500
        with pytest.raises(ProviderUnavailable, match="more than 499 entries"):
            await fetch_m3u(client, [str(path)], limits=FetchLimits(max_entries=499))


async def test_duplicates_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "dups.m3u"
    path.write_bytes(b"#EXTM3U\n" + ENTRY * 50)
    async with httpx.AsyncClient() as client:
        result = await fetch_m3u(client, [str(path)])
    assert len(result.items) == 50 and result.duplicates == 49
    assert result.cut_off is None
