"""HDHomeRun tuner documents: discover.json, lineup.json entries, lineup_status.json, device.xml.

Pure: plain values in, dicts and text out; the API gathers the values and serialises. Clients
that know real tuners look at these documents closely, hence the maker's name, a model number
that is not a transcoding one, and device ids that pass libhdhomerun's check digit.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from xml.sax.saxutils import escape

from strmline.formats.m3u import M3UEntry

__all__ = [
    "FIRMWARE_NAME",
    "FIRMWARE_VERSION",
    "FRIENDLY_NAME",
    "HD_QUALITIES",
    "LINEUP_XML_FOOT",
    "LINEUP_XML_HEAD",
    "MANUFACTURER",
    "MODEL_NUMBER",
    "device_auth",
    "device_id",
    "device_udn",
    "device_xml",
    "discover",
    "lineup_item",
    "lineup_m3u_entry",
    "lineup_status",
    "lineup_xml_program",
    "valid_device_id",
]

FRIENDLY_NAME = "strmline"
# Clients that look at the maker expect SiliconDust's name, as every tuner they know has it.
MANUFACTURER = "Silicondust"
# Jellyfin treats models containing "hdtc" as transcoding tuners and asks them for profiles we
# do not have, so announce a plain network tuner model.
MODEL_NUMBER = "HDHR5-4K"
FIRMWARE_NAME = "hdhomerun5_4k"
FIRMWARE_VERSION = "20240101"

# A lineup entry is flagged HD when the channel's best stream is one of these.
HD_QUALITIES = frozenset({"HD", "FHD", "QHD", "UHD", "8K"})

# libhdhomerun validates device ids: the nibbles at bit 28, 20, 12 and 4 go through this table,
# the others are used as they are, and everything XORed together must be 0.
_ID_TABLE = (0xA, 0x5, 0xF, 0x6, 0x7, 0xC, 0x1, 0xB, 0x9, 0x2, 0x8, 0xD, 0x4, 0x3, 0xE, 0x0)


def _id_checksum(value: int) -> int:
    check = 0
    for shift in range(28, 0, -4):
        nibble = (value >> shift) & 0xF
        check ^= _ID_TABLE[nibble] if shift % 8 == 4 else nibble
    return check


def valid_device_id(device_id: str) -> bool:
    value = int(device_id, 16)
    return len(device_id) == 8 and _id_checksum(value) ^ (value & 0xF) == 0


def _device_key(user_id: int, lineup_id: int | None) -> str:
    # A user's own tuner keeps the key (and so the id) it had before lineups existed.
    return str(user_id) if lineup_id is None else f"{user_id}/lineup/{lineup_id}"


def device_id(secret: str, user_id: int, lineup_id: int | None = None) -> str:
    """Eight hex digits, stable for one install, user and lineup, with a valid check digit.
    Per user and lineup, because a media server shared by two users, or given two lineups,
    must see two tuners, not one."""
    key = _device_key(user_id, lineup_id)
    digest = hashlib.sha256(f"strmline-hdhr\x1f{key}\x1f{secret}".encode()).digest()
    value = int.from_bytes(digest[:4], "big") & 0xFFFFFFF0
    return f"{value | _id_checksum(value):08X}"


def device_auth(secret: str, user_id: int, lineup_id: int | None = None) -> str:
    key = _device_key(user_id, lineup_id)
    return hashlib.sha256(f"strmline-hdhr-auth\x1f{key}\x1f{secret}".encode()).hexdigest()[:24]


def discover(
    *,
    base: str,
    secret: str,
    user_id: int,
    tuner_count: int,
    lineup_id: int | None = None,
    lineup_name: str | None = None,
) -> dict[str, Any]:
    """discover.json of the tuner at ``base`` (the device URL clients append names to); a
    lineup's tuner is named after it, so a media server's device list tells them apart."""
    return {
        "FriendlyName": f"{FRIENDLY_NAME} {lineup_name}" if lineup_name else FRIENDLY_NAME,
        "Manufacturer": MANUFACTURER,
        "ModelNumber": MODEL_NUMBER,
        "FirmwareName": FIRMWARE_NAME,
        "FirmwareVersion": FIRMWARE_VERSION,
        "DeviceID": device_id(secret, user_id, lineup_id),
        "DeviceAuth": device_auth(secret, user_id, lineup_id),
        "BaseURL": base,
        "LineupURL": f"{base}/lineup.json",
        "TunerCount": tuner_count,
    }


def lineup_item(*, number: str, name: str, url: str, quality: str | None) -> dict[str, Any]:
    """One lineup.json entry."""
    return {
        "GuideNumber": number,
        "GuideName": name,
        "URL": url,
        "HD": 1 if quality in HD_QUALITIES else 0,
    }


# lineup.xml, as the tuners write it: the lineup.json entries as <Program> elements.
LINEUP_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Lineup>\n'
LINEUP_XML_FOOT = "</Lineup>\n"


def lineup_xml_program(item: dict[str, Any]) -> str:
    """One <Program> of lineup.xml from a :func:`lineup_item` dict."""
    return (
        "<Program>"
        f"<GuideNumber>{escape(str(item['GuideNumber']))}</GuideNumber>"
        f"<GuideName>{escape(str(item['GuideName']))}</GuideName>"
        f"<URL>{escape(str(item['URL']))}</URL>"
        f"<HD>{int(item['HD'])}</HD>"
        "</Program>\n"
    )


def lineup_m3u_entry(*, number: str, name: str, url: str) -> M3UEntry:
    """One lineup.m3u entry: the tuner's number as channel-id/channel-number (and tvg-chno,
    which IPTV players read), the name as the title."""
    attrs = {"channel-id": number, "channel-number": number, "tvg-chno": number, "tvg-name": name}
    return M3UEntry(name=name, url=url, attrs=attrs)


def lineup_status() -> dict[str, Any]:
    """lineup_status.json: never scanning, as the lineup is always current."""
    return {"ScanInProgress": 0, "ScanPossible": 1, "Source": "Cable", "SourceList": ["Cable"]}


def device_udn(secret: str, user_id: int, lineup_id: int | None = None) -> str:
    """The UPnP unique device name (``uuid:…``) of a user's tuner: device.xml and SSDP agree."""
    did = device_id(secret, user_id, lineup_id)
    return f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'strmline-hdhr:{did}')}"


def device_xml(
    *,
    base: str,
    secret: str,
    user_id: int,
    lineup_id: int | None = None,
    lineup_name: str | None = None,
) -> str:
    """The UPnP root device description (device.xml) of the tuner at ``base``."""
    did = device_id(secret, user_id, lineup_id)
    udn = device_udn(secret, user_id, lineup_id)
    friendly = f"{FRIENDLY_NAME} {lineup_name}" if lineup_name else FRIENDLY_NAME
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <URLBase>{escape(base)}</URLBase>
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>
    <friendlyName>{escape(friendly)}</friendlyName>
    <manufacturer>{escape(MANUFACTURER)}</manufacturer>
    <modelName>{escape(MODEL_NUMBER)}</modelName>
    <modelNumber>{escape(MODEL_NUMBER)}</modelNumber>
    <serialNumber>{did}</serialNumber>
    <UDN>{udn}</UDN>
  </device>
</root>
"""
