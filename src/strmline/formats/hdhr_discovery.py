"""HDHomeRun discovery packets (SiliconDust's UDP protocol) and SSDP messages, as bytes.

Pure: bytes in, values out and back; :mod:`strmline.api.discovery` owns the sockets.

SiliconDust discovery (UDP 65001). A packet is a frame::

    u16 type | u16 payload length | payload | u32 CRC

Type and length are big-endian; the CRC is the Ethernet CRC-32 (zlib's) of everything before
it, stored little-endian. The payload is a run of tag-length-value items: a one-byte tag, a
length of one byte (< 128) or two (low seven bits with the top bit set, then the rest shifted
down seven bits), then the value. A discover request names the device type it looks for (one
type, or several in a "multi type" item) and optionally a device id; 0xFFFFFFFF is the wildcard
of both. A reply carries the device type, id, tuner count, base URL, lineup URL and device auth;
readers skip tags they do not know.

SSDP (UDP 1900): HTTP-shaped text over UDP. A control point multicasts ``M-SEARCH * HTTP/1.1``
with a search target (``ST``); a device answers each target it matches with an ``HTTP/1.1 200
OK`` sent back unicast, whose ``LOCATION`` is its description document (``device.xml``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from strmline.errors import FormatError

__all__ = [
    "DEVICE_ID_WILDCARD",
    "DEVICE_TYPE_TUNER",
    "DEVICE_TYPE_WILDCARD",
    "DISCOVER_PORT",
    "MAX_PACKET_SIZE",
    "MEDIA_SERVER",
    "ROOT_DEVICE",
    "SSDP_ADDRESS",
    "SSDP_ALL",
    "SSDP_PORT",
    "TAG_BASE_URL",
    "TAG_DEVICE_AUTH_STR",
    "TAG_DEVICE_ID",
    "TAG_DEVICE_TYPE",
    "TAG_LINEUP_URL",
    "TAG_MULTI_TYPE",
    "TAG_TUNER_COUNT",
    "TYPE_DISCOVER_REPLY",
    "TYPE_DISCOVER_REQUEST",
    "DiscoverReply",
    "DiscoverRequest",
    "MSearch",
    "PacketError",
    "decode_tlvs",
    "discover_reply",
    "discover_request",
    "encode_tlvs",
    "frame",
    "msearch",
    "notify",
    "parse_discover_reply",
    "parse_discover_request",
    "parse_msearch",
    "search_response",
    "search_targets",
    "unframe",
    "usn",
]

DISCOVER_PORT = 65001
# Largest packet libhdhomerun sends or reads (an Ethernet MTU's worth of UDP payload).
MAX_PACKET_SIZE = 1460

TYPE_DISCOVER_REQUEST = 0x0002
TYPE_DISCOVER_REPLY = 0x0003

TAG_DEVICE_TYPE = 0x01
TAG_DEVICE_ID = 0x02
TAG_TUNER_COUNT = 0x10
TAG_LINEUP_URL = 0x27
TAG_BASE_URL = 0x2A
TAG_DEVICE_AUTH_STR = 0x2B
TAG_MULTI_TYPE = 0x2D

DEVICE_TYPE_TUNER = 0x00000001
DEVICE_TYPE_WILDCARD = 0xFFFFFFFF
DEVICE_ID_WILDCARD = 0xFFFFFFFF

_HEADER = struct.Struct(">HH")
_CRC = struct.Struct("<I")
_U32 = struct.Struct(">I")
_MAX_TLV_LENGTH = 0x7FFF  # what two length bytes can say


class PacketError(FormatError):
    """A datagram that is not a well-formed discovery packet (short, bad length, bad CRC)."""

    code = "bad_packet"


# --- frames and tag-length-value items ---------------------------------------------------------


def frame(packet_type: int, payload: bytes) -> bytes:
    """A sealed packet: header, payload, little-endian CRC-32 of both."""
    if len(payload) > 0xFFFF:
        raise PacketError(f"payload of {len(payload)} bytes does not fit a packet")
    body = _HEADER.pack(packet_type, len(payload)) + payload
    return body + _CRC.pack(zlib.crc32(body))


def unframe(data: bytes) -> tuple[int, bytes]:
    """The type and payload of a packet whose length and CRC check out; :class:`PacketError`
    otherwise. Bytes after the CRC are an error too: a real device never sends them."""
    if len(data) < _HEADER.size + _CRC.size:
        raise PacketError(f"{len(data)} bytes is shorter than an empty packet")
    packet_type, length = _HEADER.unpack_from(data)
    end = _HEADER.size + length
    if len(data) != end + _CRC.size:
        raise PacketError(f"payload length {length} does not match a {len(data)}-byte datagram")
    (crc,) = _CRC.unpack_from(data, end)
    if zlib.crc32(data[:end]) != crc:
        raise PacketError("CRC mismatch")
    return packet_type, data[_HEADER.size : end]


def _length_bytes(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length > _MAX_TLV_LENGTH:
        raise PacketError(f"a {length}-byte value is too long for a tag")
    return bytes(((length & 0x7F) | 0x80, length >> 7))


def encode_tlvs(items: Iterable[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for tag, value in items:
        out.append(tag)
        out += _length_bytes(len(value))
        out += value
    return bytes(out)


def decode_tlvs(payload: bytes) -> list[tuple[int, bytes]]:
    """Every item in order (a tag may repeat); a truncated item is an error."""
    items: list[tuple[int, bytes]] = []
    pos, size = 0, len(payload)
    while pos < size:
        if pos + 2 > size:
            raise PacketError("truncated tag")
        tag, length = payload[pos], payload[pos + 1]
        pos += 2
        if length & 0x80:
            if pos >= size:
                raise PacketError("truncated tag length")
            length = (length & 0x7F) | (payload[pos] << 7)
            pos += 1
        if pos + length > size:
            raise PacketError(f"tag 0x{tag:02X} claims {length} bytes past the payload's end")
        items.append((tag, payload[pos : pos + length]))
        pos += length
    return items


# --- discover requests and replies ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiscoverRequest:
    device_types: tuple[int, ...]
    device_id: int = DEVICE_ID_WILDCARD

    def wants(self, device_type: int, device_id: int) -> bool:
        """Whether a device of this type and id should answer."""
        type_ok = any(t in (DEVICE_TYPE_WILDCARD, device_type) for t in self.device_types)
        return type_ok and self.device_id in (DEVICE_ID_WILDCARD, device_id)


def discover_request(
    device_types: Sequence[int] = (DEVICE_TYPE_TUNER,), device_id: int = DEVICE_ID_WILDCARD
) -> bytes:
    """A discover request as libhdhomerun sends it (one type, or a multi-type item)."""
    if len(device_types) == 1:
        items = [(TAG_DEVICE_TYPE, _U32.pack(device_types[0]))]
    else:
        items = [(TAG_MULTI_TYPE, b"".join(_U32.pack(t) for t in device_types))]
    items.append((TAG_DEVICE_ID, _U32.pack(device_id)))
    return frame(TYPE_DISCOVER_REQUEST, encode_tlvs(items))


def parse_discover_request(data: bytes) -> DiscoverRequest:
    """A discover request's types and id. No type at all reads as the wildcard, no id as the
    wildcard id (newer libhdhomerun leaves the id out when it is the wildcard)."""
    packet_type, payload = unframe(data)
    if packet_type != TYPE_DISCOVER_REQUEST:
        raise PacketError(f"packet type 0x{packet_type:04X} is not a discover request")
    types: list[int] = []
    device_id = DEVICE_ID_WILDCARD
    for tag, value in decode_tlvs(payload):
        if tag == TAG_DEVICE_TYPE and len(value) == 4:
            types.append(_U32.unpack(value)[0])
        elif tag == TAG_MULTI_TYPE and len(value) % 4 == 0:
            types.extend(t for (t,) in _U32.iter_unpack(value))
        elif tag == TAG_DEVICE_ID and len(value) == 4:
            device_id = _U32.unpack(value)[0]
    return DiscoverRequest(tuple(types) or (DEVICE_TYPE_WILDCARD,), device_id)


@dataclass(frozen=True, slots=True)
class DiscoverReply:
    device_type: int
    device_id: int
    tuner_count: int
    base_url: str
    lineup_url: str
    device_auth: str


def _text(value: str) -> bytes:
    # No NUL: libhdhomerun copies exactly the value's length and terminates it itself.
    return value.encode()


def discover_reply(reply: DiscoverReply) -> bytes:
    items = [
        (TAG_DEVICE_TYPE, _U32.pack(reply.device_type)),
        (TAG_DEVICE_ID, _U32.pack(reply.device_id)),
        (TAG_TUNER_COUNT, bytes((max(0, min(reply.tuner_count, 255)),))),
        (TAG_DEVICE_AUTH_STR, _text(reply.device_auth)),
        (TAG_BASE_URL, _text(reply.base_url)),
        (TAG_LINEUP_URL, _text(reply.lineup_url)),
    ]
    packet = frame(TYPE_DISCOVER_REPLY, encode_tlvs(items))
    if len(packet) > MAX_PACKET_SIZE:
        raise PacketError(f"a {len(packet)}-byte reply is larger than a discovery packet")
    return packet


def parse_discover_reply(data: bytes) -> DiscoverReply:
    """A reply's known tags (unknown ones are skipped, as the protocol asks)."""
    packet_type, payload = unframe(data)
    if packet_type != TYPE_DISCOVER_REPLY:
        raise PacketError(f"packet type 0x{packet_type:04X} is not a discover reply")
    fields: dict[int, bytes] = {}
    for tag, value in decode_tlvs(payload):
        fields.setdefault(tag, value)

    def u32(tag: int) -> int:
        value = fields.get(tag, b"")
        return _U32.unpack(value)[0] if len(value) == 4 else 0

    count = fields.get(TAG_TUNER_COUNT, b"")
    return DiscoverReply(
        device_type=u32(TAG_DEVICE_TYPE),
        device_id=u32(TAG_DEVICE_ID),
        tuner_count=count[0] if len(count) == 1 else 0,
        base_url=fields.get(TAG_BASE_URL, b"").decode(errors="replace"),
        lineup_url=fields.get(TAG_LINEUP_URL, b"").decode(errors="replace"),
        device_auth=fields.get(TAG_DEVICE_AUTH_STR, b"").decode(errors="replace"),
    )


# --- SSDP --------------------------------------------------------------------------------------

SSDP_ADDRESS = "239.255.255.250"
SSDP_PORT = 1900
SSDP_ALL = "ssdp:all"
ROOT_DEVICE = "upnp:rootdevice"
MEDIA_SERVER = "urn:schemas-upnp-org:device:MediaServer:1"
# M-SEARCH datagrams larger than this are not search requests (real ones are ~150 bytes).
_MAX_SSDP = 8192


@dataclass(frozen=True, slots=True)
class MSearch:
    st: str
    mx: int | None  # seconds the answer may be spread over; None when absent (unicast search)


def _headers(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.split("\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out.setdefault(name.strip().upper(), value.strip())
    return out


def parse_msearch(data: bytes) -> MSearch | None:
    """The search target of an ``M-SEARCH * HTTP/1.1`` with ``MAN: "ssdp:discover"``; None for
    anything else (NOTIFY messages, other devices' answers, noise)."""
    if len(data) > _MAX_SSDP:
        return None
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    request_line = text.split("\n", 1)[0].split()
    if request_line != ["M-SEARCH", "*", "HTTP/1.1"]:
        return None
    headers = _headers(text)
    if headers.get("MAN", "").strip('"') != "ssdp:discover":
        return None
    st = headers.get("ST", "")
    if not st:
        return None
    mx: int | None = None
    raw_mx = headers.get("MX")
    if raw_mx is not None:
        try:
            mx = max(0, int(raw_mx))
        except ValueError:
            return None
    return MSearch(st=st, mx=mx)


def msearch(st: str, *, mx: int | None = 1, host: str = f"{SSDP_ADDRESS}:{SSDP_PORT}") -> bytes:
    """An M-SEARCH request (for tests and tools)."""
    lines = ["M-SEARCH * HTTP/1.1", f"HOST: {host}", 'MAN: "ssdp:discover"']
    if mx is not None:
        lines.append(f"MX: {mx}")
    lines.append(f"ST: {st}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def search_targets(st: str, udn: str) -> list[str]:
    """The targets a root MediaServer device with ``udn`` (``uuid:…``) answers for ``st``:
    each one found gets its own response; ``ssdp:all`` gets all three."""
    ours = [ROOT_DEVICE, udn, MEDIA_SERVER]
    if st == SSDP_ALL:
        return ours
    return [st] if st in ours else []


def usn(udn: str, target: str) -> str:
    return udn if target == udn else f"{udn}::{target}"


def _message(first: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [first, *(f"{name}: {value}" if value else f"{name}:" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def search_response(
    *,
    target: str,
    udn: str,
    location: str,
    server: str,
    max_age: int = 1800,
    date: str | None = None,
) -> bytes:
    """One answer to an M-SEARCH, for one of :func:`search_targets`."""
    headers = [("CACHE-CONTROL", f"max-age={max_age}")]
    if date:
        headers.append(("DATE", date))
    headers += [
        ("EXT", ""),
        ("LOCATION", location),
        ("SERVER", server),
        ("ST", target),
        ("USN", usn(udn, target)),
        ("CONTENT-LENGTH", "0"),
    ]
    return _message("HTTP/1.1 200 OK", headers)


def notify(
    *,
    target: str,
    udn: str,
    location: str,
    server: str,
    max_age: int = 1800,
    alive: bool = True,
    host: str = f"{SSDP_ADDRESS}:{SSDP_PORT}",
) -> bytes:
    """A ``NOTIFY`` announcement (``ssdp:alive``) or farewell (``ssdp:byebye``) of one target."""
    headers = [("HOST", host)]
    if alive:
        headers += [
            ("CACHE-CONTROL", f"max-age={max_age}"),
            ("LOCATION", location),
            ("SERVER", server),
        ]
    headers += [
        ("NT", target),
        ("NTS", "ssdp:alive" if alive else "ssdp:byebye"),
        ("USN", usn(udn, target)),
    ]
    return _message("NOTIFY * HTTP/1.1", headers)
