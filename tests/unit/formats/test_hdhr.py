"""HDHomeRun documents from plain values: no app, no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from strmline.formats import hdhr

BASE = "http://tv.example:8000/hdhr/tok%2Fen"


def test_device_id_checksum() -> None:
    # Every id we hand out passes libhdhomerun's check digit; a flipped digit does not.
    ids = {hdhr.device_id(f"secret-{i}", i) for i in range(200)}
    assert len(ids) > 190 and all(hdhr.valid_device_id(i) for i in ids)
    assert all(len(i) == 8 and i == i.upper() for i in ids)
    good = hdhr.device_id("s", 1)
    flipped = good[:-1] + format((int(good[-1], 16) + 1) % 16, "X")
    assert not hdhr.valid_device_id(flipped)
    assert not hdhr.valid_device_id("0" + good)  # nine digits


def test_device_id_and_auth_are_stable_per_install_and_user() -> None:
    assert hdhr.device_id("s", 1) == hdhr.device_id("s", 1)
    assert hdhr.device_id("s", 1) != hdhr.device_id("s", 2)
    assert hdhr.device_id("s", 1) != hdhr.device_id("t", 1)
    auth = hdhr.device_auth("s", 1)
    assert auth == hdhr.device_auth("s", 1) and len(auth) == 24
    assert auth != hdhr.device_auth("s", 2)


def test_discover() -> None:
    d = hdhr.discover(base=BASE, secret="s", user_id=7, tuner_count=3)
    assert d["FriendlyName"] == "strmline" and d["Manufacturer"] == "Silicondust"
    assert "hdtc" not in d["ModelNumber"].lower() and d["FirmwareName"]
    assert d["DeviceID"] == hdhr.device_id("s", 7) and hdhr.valid_device_id(d["DeviceID"])
    assert d["DeviceAuth"] == hdhr.device_auth("s", 7)
    assert d["BaseURL"] == BASE and d["LineupURL"] == f"{BASE}/lineup.json"
    assert d["TunerCount"] == 3


def test_lineup_item_and_status() -> None:
    item = hdhr.lineup_item(number="4.1", name="News", url="http://x/play/3", quality="FHD")
    assert item == {"GuideNumber": "4.1", "GuideName": "News", "URL": "http://x/play/3", "HD": 1}
    for quality in (None, "SD", "hd"):
        assert hdhr.lineup_item(number="1", name="A", url="u", quality=quality)["HD"] == 0
    assert hdhr.lineup_status() == {
        "ScanInProgress": 0,
        "ScanPossible": 1,
        "Source": "Cable",
        "SourceList": ["Cable"],
    }


def test_device_xml() -> None:
    base = "http://tv.example/hdhr/a&b<c"
    text = hdhr.device_xml(base=base, secret="s", user_id=7)
    ns = {"u": "urn:schemas-upnp-org:device-1-0"}
    root = ET.fromstring(text)
    assert root.findtext("u:URLBase", namespaces=ns) == base  # escaped, and read back
    device = root.find("u:device", ns)
    assert device is not None
    assert device.findtext("u:serialNumber", namespaces=ns) == hdhr.device_id("s", 7)
    assert device.findtext("u:modelNumber", namespaces=ns) == hdhr.MODEL_NUMBER
    udn = device.findtext("u:UDN", namespaces=ns) or ""
    assert udn.startswith("uuid:")
    other = ET.fromstring(hdhr.device_xml(base="other", secret="s", user_id=7))
    assert other.findtext("u:device/u:UDN", namespaces=ns) == udn  # from the device id only
