"""`strmline serve` with discovery on, found by libhdhomerun's own `hdhomerun_config discover`.

A server of its own (discovery changes what it binds), on 127.0.0.1 only; the discover request
is one unicast datagram to 127.0.0.1:65001 (libhdhomerun's fixed port), the SSDP search one
unicast datagram to a free port. Nothing is multicast or broadcast.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from strmline.formats import hdhr_discovery as d
from tests.e2e.harness import STRMLINE, Proc, clean_env, free_port, run_cli, start, wait_http

HDHOMERUN_CONFIG = shutil.which("hdhomerun_config")
ADMIN = {"username": "admin", "password": "correct horse battery"}

pytestmark = pytest.mark.skipif(
    HDHOMERUN_CONFIG is None,
    reason="hdhomerun_config not installed (Debian package hdhomerun-config)",
)


def _udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Proc]]:
    if not _udp_port_free(d.DISCOVER_PORT):
        pytest.skip("UDP 127.0.0.1:65001 is taken on this machine")
    workdir = tmp_path_factory.mktemp("e2e-discovery")
    port, ssdp_port = free_port(), _free_udp_port()
    env = clean_env(
        STRMLINE_DATA_DIR=str(workdir / "data"),
        STRMLINE_DISCOVERY__ENABLED="true",
        STRMLINE_DISCOVERY__BIND="127.0.0.1",
        STRMLINE_DISCOVERY__SSDP_PORT=str(ssdp_port),
        STRMLINE_DISCOVERY__HTTP_PORT=str(port),
        STRMLINE_DISCOVERY__ROOT_TUNER="true",
    )
    run_cli(["db", "upgrade"], env=env, cwd=workdir)
    proc = start(
        "serve",
        [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/api/health", proc)
        assert httpx.post(f"{url}/api/setup", json=ADMIN, timeout=10).status_code == 201
        yield url, ssdp_port, proc
    finally:
        proc.stop()


def test_hdhomerun_config_finds_the_tuner(server: tuple[str, int, Proc]) -> None:
    url, _, proc = server
    assert HDHOMERUN_CONFIG is not None
    done = subprocess.run(
        [HDHOMERUN_CONFIG, "discover", "127.0.0.1"], capture_output=True, text=True, timeout=30
    )
    found = re.search(r"hdhomerun device ([0-9A-F]{8}) found at 127\.0\.0\.1", done.stdout)
    assert found, f"{done.stdout}{done.stderr}\n{proc.tail()}"
    # The tuner at the root (no token) is the same device, and its lineup answers.
    root = httpx.get(f"{url}/discover.json", timeout=10).json()
    assert root["DeviceID"] == found.group(1) and root["BaseURL"] == url
    assert httpx.get(root["LineupURL"], timeout=10).json() == []


def test_discovery_urls_lead_to_the_documents(server: tuple[str, int, Proc]) -> None:
    url, ssdp_port, _ = server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        s.sendto(d.discover_request(), ("127.0.0.1", d.DISCOVER_PORT))
        reply = d.parse_discover_reply(s.recv(2048))
        s.sendto(d.msearch(d.ROOT_DEVICE, mx=None), ("127.0.0.1", ssdp_port))
        answer = s.recv(2048).decode()
    assert reply.base_url.startswith(f"{url}/hdhr/")
    doc = httpx.get(f"{reply.base_url}/discover.json", timeout=10).json()
    assert doc["DeviceID"] == f"{reply.device_id:08X}" and doc["LineupURL"] == reply.lineup_url
    location = re.search(r"^LOCATION: (\S+)\r$", answer, re.M)
    assert location and location.group(1) == f"{reply.base_url}/device.xml"
    xml = httpx.get(location.group(1), timeout=10)
    assert ET.fromstring(xml.text).tag.endswith("root")
