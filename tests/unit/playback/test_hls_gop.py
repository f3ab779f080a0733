"""HLS reading (playlists, keys, variants, AES-128, unsupported formats) and the GOP cache."""

from __future__ import annotations

import httpx
import pytest

from strmline.demo.provider import encrypt_aes128
from strmline.formats.media import (
    TS_PACKET,
    HlsKey,
    Variant,
    choose_variant,
    keyframe_start,
    parse_pat,
    parse_playlist,
    parse_pmt,
    segment_iv,
)
from strmline.playback.candidates import upstream_headers
from strmline.playback.gop import GopCache
from strmline.playback.hls import HlsReader, Unsupported, UpstreamFailed, decrypt_aes128

MEDIA = """#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:4.0,
a.ts
#EXT-X-KEY:METHOD=AES-128,URI="k/1.key",IV=0x000102030405060708090a0b0c0d0e0f
#EXTINF:3.5,
b.ts
#EXT-X-KEY:METHOD=NONE
#EXTINF:4,
c.ts
"""


def test_media_playlist_keys_ivs_and_sequence_numbers() -> None:
    pl = parse_playlist(MEDIA, "http://cdn.example/live/index.m3u8")
    a, b, c = pl.items
    assert [s.sequence for s in pl.items] == [41, 42, 43]
    assert a.key is None and c.key is None
    assert b.key == HlsKey("AES-128", "http://cdn.example/live/k/1.key", bytes(range(16)))
    assert b.duration == 3.5 and b.url == "http://cdn.example/live/b.ts"
    assert pl.segments == tuple(s.url for s in pl.items)
    # Without an IV attribute the media sequence number is the IV.
    assert segment_iv(HlsKey("AES-128", "k", None), 258) == b"\0" * 14 + b"\x01\x02"


def test_choose_variant_by_quality() -> None:
    variants = [
        Variant("sd", 800_000, 640, 360),
        Variant("fhd", 5_000_000, 1920, 1080),
        Variant("hd", 2_500_000, 1280, 720),
    ]
    assert choose_variant(variants, "best").url == "fhd"  # type: ignore[union-attr]
    assert choose_variant(variants, "worst").url == "sd"  # type: ignore[union-attr]
    assert choose_variant(variants, "720p").url == "hd"  # type: ignore[union-attr]
    assert choose_variant(variants, "240").url == "sd"  # type: ignore[union-attr]
    assert choose_variant([], "best") is None


def test_aes128_round_trip_and_bad_keys() -> None:
    key, iv = bytes(range(16)), bytes(16)
    data = b"\x47" + bytes(187) * 1 + b"tail"
    assert decrypt_aes128(encrypt_aes128(data, key, iv), key, iv) == data
    with pytest.raises(UpstreamFailed, match="16"):
        decrypt_aes128(encrypt_aes128(data, key, iv), key[:8], iv)


def test_upstream_headers_merge_entry_over_provider() -> None:
    stored = {"referrer": "https://a.example/", "User-Agent": "VLC/3", "X-Other": "no"}
    assert upstream_headers(stored, "Provider/1") == {
        "User-Agent": "VLC/3",
        "Referer": "https://a.example/",
    }
    assert upstream_headers(None, "Provider/1") == {"User-Agent": "Provider/1"}


def _reader(routes: dict[str, tuple[int, bytes]], seen: list[httpx.Request]) -> HlsReader:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = routes.get(request.url.path, (404, b"nope"))
        return httpx.Response(status, content=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return HlsReader(http, {"Referer": "https://r.example/"}, stall_seconds=1)


async def test_fmp4_segments_are_unsupported_not_failed() -> None:
    seen: list[httpx.Request] = []
    playlist = b'#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2,\ns1.m4s\n'
    reader = _reader({"/init.mp4": (200, b"\0\0\0\x18ftypiso6")}, seen)
    media = await reader.open("http://h.example/x.m3u8", playlist)
    with pytest.raises(Unsupported, match="fMP4"):
        async for _ in reader.segments(media):
            pass


async def test_master_variant_and_headers_on_every_request() -> None:
    seen: list[httpx.Request] = []
    ts = bytes([0x47, 0x1F, 0xFF, 0x10]) + bytes(184)
    master = (
        b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=640x360\nlo.m3u8\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=9,RESOLUTION=1280x720\nhi.m3u8\n"
    )
    media = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n1.ts\n#EXTINF:1,\n2.ts\n#EXT-X-ENDLIST\n"
    )
    routes = {"/hi.m3u8": (200, media), "/1.ts": (200, ts * 3), "/2.ts": (200, ts * 2)}
    reader = _reader(routes, seen)
    got = []
    with pytest.raises(UpstreamFailed, match="ended"):
        async for segment in reader.segments(await reader.open("http://h.example/m.m3u8", master)):
            got.append(len(segment) // TS_PACKET)
    assert got == [3, 2]
    assert [r.url.path for r in seen] == ["/hi.m3u8", "/1.ts", "/2.ts"]
    assert all(r.headers["referer"] == "https://r.example/" for r in seen)


async def test_dead_first_segment_fails_the_stream() -> None:
    seen: list[httpx.Request] = []
    media = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n1.ts\n"
    reader = _reader({}, seen)
    with pytest.raises(UpstreamFailed, match="segment: HTTP 404"):
        async for _ in reader.segments(await reader.open("http://h.example/m.m3u8", media)):
            pass


# ---- the GOP cache ----------------------------------------------------------------------------


def _packet(pid: int, payload: bytes, *, pusi: bool = True, rai: bool = False) -> bytes:
    head = bytes([0x47, (0x40 if pusi else 0) | pid >> 8, pid & 0xFF])
    # Adaptation field with only the random-access flag, or payload only.
    body = (bytes([0x30, 1, 0x40]) if rai else bytes([0x10])) + payload
    out = head + body
    return out + b"\xff" * (TS_PACKET - len(out))


def _psi(pid: int, section: bytes) -> bytes:
    length = len(section) - 3 + 4
    section = section[:1] + bytes([0xB0 | length >> 8, length & 0xFF]) + section[3:]
    return _packet(pid, b"\x00" + section + b"\0\0\0\0")


PAT = _psi(0, bytes([0x00, 0, 0, 0, 1, 0xC1, 0, 0]) + bytes([0, 1, 0xF0, 0x00]))  # PMT at 0x1000
PMT = _psi(
    0x1000,
    bytes([0x02, 0, 0, 0, 1, 0xC1, 0, 0, 0xE1, 0x00, 0xF0, 0x00])
    + bytes([0x0F, 0xE1, 0x01, 0xF0, 0x00])  # AAC on 0x101
    + bytes([0x1B, 0xE1, 0x00, 0xF0, 0x00]),  # H.264 on 0x100
)
PES = b"\x00\x00\x01\xe0\x00\x00\x80\x80\x05" + b"\x21\x00\x01\x00\x01"
IDR = _packet(0x100, PES + b"\x00\x00\x00\x01\x09\xf0\x00\x00\x00\x01\x67\x42")  # AUD, SPS
P_FRAME = _packet(0x100, PES + b"\x00\x00\x00\x01\x09\xf0\x00\x00\x00\x01\x41\x9a")
AUDIO = _packet(0x101, b"\x00\x00\x01\xc0")
MORE = _packet(0x100, b"\x00" * 20, pusi=False)


def test_psi_parsing_and_keyframe_detection() -> None:
    assert parse_pat(PAT) == [0x1000]
    assert parse_pmt(PMT) == (0x100, "h264")
    assert keyframe_start(IDR, "h264")
    assert not keyframe_start(P_FRAME, "h264") and not keyframe_start(MORE, "h264")
    assert keyframe_start(_packet(0x100, PES, rai=True), "h264")  # the indicator alone says so


def test_gop_cache_keeps_psi_and_packets_since_the_last_keyframe() -> None:
    gop = GopCache()
    assert gop.feed(P_FRAME + AUDIO) is None and gop.snapshot() is None
    assert gop.feed(PAT + PMT + P_FRAME + AUDIO) is None and gop.snapshot() is None
    assert gop.knows_video
    chunk = PAT + PMT + IDR + MORE + AUDIO
    assert gop.feed(chunk) == 2 * TS_PACKET
    assert gop.feed(P_FRAME + AUDIO) is None
    assert gop.snapshot() == PAT + PMT + IDR + MORE + AUDIO + P_FRAME + AUDIO
    gop.feed(IDR + AUDIO)  # a newer keyframe replaces the cached GOP
    assert gop.snapshot() == PAT + PMT + IDR + AUDIO
    small = GopCache(max_bytes=3 * TS_PACKET)
    small.feed(PAT + PMT + IDR)
    small.feed(P_FRAME * 4)  # longer than the bound: nothing cached until the next keyframe
    assert small.snapshot() is None
    gop.reset()
    assert gop.snapshot() is None and not gop.knows_video
