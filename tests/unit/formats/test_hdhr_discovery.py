"""HDHomeRun discovery packets and SSDP messages from plain values: no sockets."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable

import pytest

from strmline.formats import hdhr
from strmline.formats import hdhr_discovery as d
from strmline.formats.m3u import parse_lines, write_m3u

# What `hdhomerun_config discover 127.0.0.1` (Debian's hdhomerun-config 20220303) sent, captured
# on a UDP socket: a discover request for any device type and any id.
CAPTURED_REQUEST = bytes.fromhex("0002000c0104ffffffff0204ffffffff73cc7d8f")


def test_the_captured_request_parses_and_rebuilds_byte_for_byte() -> None:
    request = d.parse_discover_request(CAPTURED_REQUEST)
    assert request == d.DiscoverRequest((d.DEVICE_TYPE_WILDCARD,), d.DEVICE_ID_WILDCARD)
    assert d.discover_request((d.DEVICE_TYPE_WILDCARD,)) == CAPTURED_REQUEST


def test_frame_layout_and_little_endian_crc() -> None:
    packet = d.frame(0x0003, b"\x01\x02")
    assert packet[:4] == b"\x00\x03\x00\x02" and packet[4:6] == b"\x01\x02"
    assert packet[6:] == zlib.crc32(packet[:6]).to_bytes(4, "little")
    assert d.unframe(packet) == (3, b"\x01\x02")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-1] + bytes([p[-1] ^ 1]),  # CRC off by one bit
        lambda p: p[:6] + bytes([p[6] ^ 0x40]) + p[7:],  # payload changed, CRC kept
        lambda p: p[:-1],  # truncated
        lambda p: p + b"\x00",  # trailing byte
        lambda p: p[:2] + b"\x00\xff" + p[4:],  # length past the end
        lambda p: b"\x00\x02",  # shorter than a header
    ],
)
def test_damaged_packets_are_refused(mangle: Callable[[bytes], bytes]) -> None:
    with pytest.raises(d.PacketError):
        d.parse_discover_request(mangle(CAPTURED_REQUEST))


def test_other_packet_types_are_not_requests() -> None:
    getset = d.frame(0x0004, d.encode_tlvs([(0x03, b"/sys/model\x00")]))
    with pytest.raises(d.PacketError):
        d.parse_discover_request(getset)
    with pytest.raises(d.PacketError):
        d.parse_discover_reply(CAPTURED_REQUEST)


@pytest.mark.parametrize("length", [0, 1, 127, 128, 129, 300, 1400])
def test_tlv_lengths_of_one_and_two_bytes(length: int) -> None:
    value = bytes(range(256)) * 6
    encoded = d.encode_tlvs([(0x2A, value[:length]), (0x10, b"\x04")])
    if length < 128:
        assert encoded[1] == length
    else:  # low seven bits first with the top bit set, then the rest
        assert encoded[1] & 0x80 and (encoded[1] & 0x7F) | (encoded[2] << 7) == length
    assert d.decode_tlvs(encoded) == [(0x2A, value[:length]), (0x10, b"\x04")]


def test_truncated_tlvs_are_refused() -> None:
    for payload in (b"\x01", b"\x01\x04\x00", b"\x01\x81"):
        with pytest.raises(d.PacketError):
            d.decode_tlvs(payload)


def test_request_matching() -> None:
    ours = 0x1234ABCD
    for types, device_id, expected in [
        ((d.DEVICE_TYPE_TUNER,), d.DEVICE_ID_WILDCARD, True),
        ((d.DEVICE_TYPE_WILDCARD,), d.DEVICE_ID_WILDCARD, True),
        ((d.DEVICE_TYPE_TUNER,), ours, True),
        ((d.DEVICE_TYPE_TUNER,), 0x10100000, False),  # another tuner
        ((0x05,), d.DEVICE_ID_WILDCARD, False),  # storage (DVR) devices only
        ((0x05, d.DEVICE_TYPE_TUNER), d.DEVICE_ID_WILDCARD, True),  # multi-type item
    ]:
        request = d.parse_discover_request(d.discover_request(types, device_id))
        assert request.wants(d.DEVICE_TYPE_TUNER, ours) is expected, (types, device_id)


def test_request_without_id_or_type_is_a_wildcard() -> None:
    # Newer libhdhomerun leaves the id out when it is the wildcard.
    packet = d.frame(d.TYPE_DISCOVER_REQUEST, d.encode_tlvs([(d.TAG_DEVICE_TYPE, b"\0\0\0\1")]))
    assert d.parse_discover_request(packet).wants(d.DEVICE_TYPE_TUNER, 42)
    assert d.parse_discover_request(d.frame(d.TYPE_DISCOVER_REQUEST, b"")).wants(1, 42)


def test_reply_round_trip_with_long_urls() -> None:
    base = "http://192.168.1.20:8000/hdhr/" + "t" * 120
    reply = d.DiscoverReply(
        device_type=d.DEVICE_TYPE_TUNER,
        device_id=0x1234ABCD,
        tuner_count=6,
        base_url=base,
        lineup_url=f"{base}/lineup.json",
        device_auth="abcdef0123456789abcdef01",
    )
    packet = d.discover_reply(reply)
    assert d.unframe(packet)[0] == d.TYPE_DISCOVER_REPLY
    assert d.parse_discover_reply(packet) == reply
    tags = [tag for tag, _ in d.decode_tlvs(d.unframe(packet)[1])]
    assert tags[:3] == [d.TAG_DEVICE_TYPE, d.TAG_DEVICE_ID, d.TAG_TUNER_COUNT]
    assert {d.TAG_BASE_URL, d.TAG_LINEUP_URL, d.TAG_DEVICE_AUTH_STR} <= set(tags)


def test_reply_reader_skips_unknown_tags() -> None:
    payload = d.encode_tlvs(
        [(0x7E, b"future"), (d.TAG_DEVICE_ID, b"\x12\x34\xab\xcd"), (d.TAG_TUNER_COUNT, b"\x02")]
    )
    reply = d.parse_discover_reply(d.frame(d.TYPE_DISCOVER_REPLY, payload))
    assert reply.device_id == 0x1234ABCD and reply.tuner_count == 2 and reply.base_url == ""


def test_a_reply_too_large_for_a_packet_is_refused() -> None:
    reply = d.DiscoverReply(1, 1, 1, "http://x/" + "a" * 800, "http://x/" + "b" * 800, "")
    with pytest.raises(d.PacketError):
        d.discover_reply(reply)


# --- SSDP ------------------------------------------------------------------------------------

UDN = "uuid:fbf4ed76-8526-543d-bf0d-a7fe9c5d0e28"


def test_msearch_parsing() -> None:
    assert d.parse_msearch(d.msearch("ssdp:all", mx=3)) == d.MSearch("ssdp:all", 3)
    assert d.parse_msearch(d.msearch(d.ROOT_DEVICE, mx=None)) == d.MSearch(d.ROOT_DEVICE, None)
    # Header names in any case, LF-only line ends, MAN without quotes.
    loose = b"M-SEARCH * HTTP/1.1\nhost: 239.255.255.250:1900\nman: ssdp:discover\nst: ssdp:all\n\n"
    assert d.parse_msearch(loose) == d.MSearch("ssdp:all", None)


@pytest.mark.parametrize(
    "data",
    [
        b"NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n",
        b'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:other"\r\nST: ssdp:all\r\n\r\n',
        b'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\n\r\n',  # no ST
        b'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\nMX: soon\r\nST: ssdp:all\r\n\r\n',
        b"\x00\x02\x00\x0c garbage",
        b"M-SEARCH * HTTP/1.1\r\n" + b"X: " + b"a" * 9000 + b"\r\n\r\n",
    ],
)
def test_what_is_not_a_search(data: bytes) -> None:
    assert d.parse_msearch(data) is None


def test_search_targets() -> None:
    assert d.search_targets("ssdp:all", UDN) == [d.ROOT_DEVICE, UDN, d.MEDIA_SERVER]
    assert d.search_targets(d.ROOT_DEVICE, UDN) == [d.ROOT_DEVICE]
    assert d.search_targets(d.MEDIA_SERVER, UDN) == [d.MEDIA_SERVER]
    assert d.search_targets(UDN, UDN) == [UDN]
    assert d.search_targets("uuid:someone-else", UDN) == []
    assert d.search_targets("urn:schemas-upnp-org:device:MediaRenderer:1", UDN) == []


def _headers(message: bytes) -> tuple[str, dict[str, str]]:
    text = message.decode()
    assert text.endswith("\r\n\r\n")
    first, *lines = text[:-4].split("\r\n")
    return first, {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def test_search_response() -> None:
    location = "http://192.168.1.20:8000/hdhr/tok/device.xml"
    first, h = _headers(
        d.search_response(
            target=d.ROOT_DEVICE,
            udn=UDN,
            location=location,
            server="Linux/1.0 UPnP/1.0 strmline/0.1",
            date="Mon, 01 Jan 2024 00:00:00 GMT",
        )
    )
    assert first == "HTTP/1.1 200 OK"
    assert h["CACHE-CONTROL"] == "max-age=1800" and h["EXT"] == "" and h["LOCATION"] == location
    assert h["ST"] == d.ROOT_DEVICE and h["USN"] == f"{UDN}::upnp:rootdevice"
    _, h = _headers(d.search_response(target=UDN, udn=UDN, location=location, server="s"))
    assert h["USN"] == UDN and "DATE" not in h


def test_notify_alive_and_byebye() -> None:
    first, h = _headers(
        d.notify(target=d.MEDIA_SERVER, udn=UDN, location="http://h/device.xml", server="s")
    )
    assert first == "NOTIFY * HTTP/1.1" and h["HOST"] == "239.255.255.250:1900"
    assert h["NTS"] == "ssdp:alive" and h["NT"] == d.MEDIA_SERVER
    assert h["USN"] == f"{UDN}::{d.MEDIA_SERVER}" and h["LOCATION"] == "http://h/device.xml"
    _, h = _headers(d.notify(target=UDN, udn=UDN, location="x", server="s", alive=False))
    assert h["NTS"] == "ssdp:byebye" and "LOCATION" not in h and h["USN"] == UDN


# --- the tuner documents discovery points at ----------------------------------------------------


def test_device_udn_is_the_one_in_device_xml() -> None:
    udn = hdhr.device_udn("s", 7)
    assert udn.startswith("uuid:") and udn == hdhr.device_udn("s", 7) != hdhr.device_udn("s", 8)
    root = ET.fromstring(hdhr.device_xml(base="http://h", secret="s", user_id=7))
    ns = {"u": "urn:schemas-upnp-org:device-1-0"}
    assert root.findtext("u:device/u:UDN", namespaces=ns) == udn


def test_lineup_xml_escapes_and_parses() -> None:
    items = [
        hdhr.lineup_item(
            number="1", name="News & <Weather>", url="http://h/play/1?token=a&b", quality="FHD"
        ),
        hdhr.lineup_item(number="2.1", name="Plain", url="http://h/play/2", quality=None),
    ]
    text = (
        hdhr.LINEUP_XML_HEAD + "".join(map(hdhr.lineup_xml_program, items)) + hdhr.LINEUP_XML_FOOT
    )
    programs = ET.fromstring(text).findall("Program")
    assert [
        (p.findtext("GuideNumber"), p.findtext("GuideName"), p.findtext("URL"), p.findtext("HD"))
        for p in programs
    ] == [
        ("1", "News & <Weather>", "http://h/play/1?token=a&b", "1"),
        ("2.1", "Plain", "http://h/play/2", "0"),
    ]


def test_lineup_m3u_entries_read_back() -> None:
    entry = hdhr.lineup_m3u_entry(number="7", name='Say "Hi", all', url="http://h/play/7?token=t")
    [back] = list(parse_lines("".join(write_m3u([entry])).splitlines()))
    assert back.name == 'Say "Hi", all' and back.url == "http://h/play/7?token=t"
    assert back.attrs["channel-number"] == back.attrs["channel-id"] == back.tvg_chno == "7"
