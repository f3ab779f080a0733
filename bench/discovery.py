"""Benchmark: how fast HDHomeRun discovery and SSDP searches are answered.

Migrates a throwaway SQLite database, creates an admin, starts the discovery responders on
127.0.0.1 (free ports, unicast only: nothing is multicast or broadcast) and sends requests one
at a time, timing each answer. The announced tuner is cached for a few seconds, so the first
answer (a database read) is reported apart from the rest. Prints one JSON line per protocol;
asserts nothing.

    .venv/bin/python bench/discovery.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from strmline.api.discovery import DiscoveryService  # noqa: E402
from strmline.config import DiscoverySettings, Settings  # noqa: E402
from strmline.db.engine import create_engine, make_session_factory, session_scope  # noqa: E402
from strmline.db.migrate import upgrade  # noqa: E402
from strmline.formats import hdhr_discovery as d  # noqa: E402
from strmline.services import users as user_service  # noqa: E402
from tests.dbutil import sqlite_url  # noqa: E402


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def timed(sock: socket.socket, port: int, data: bytes, answers: int) -> float:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    await loop.sock_sendto(sock, data, ("127.0.0.1", port))
    for _ in range(answers):
        async with asyncio.timeout(5):
            await loop.sock_recvfrom(sock, 4096)
    return (time.perf_counter() - start) * 1000


def summary(name: str, first: float, rest: list[float]) -> dict[str, object]:
    rest.sort()
    return {
        "bench": name,
        "requests": len(rest) + 1,
        "first_ms": round(first, 3),
        "p50_ms": round(statistics.median(rest), 3),
        "p95_ms": round(rest[int(len(rest) * 0.95) - 1], 3),
        "max_ms": round(rest[-1], 3),
    }


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = sqlite_url(Path(tmp) / "bench.db")
        engine = create_engine(url)
        await upgrade(engine)
        factory = make_session_factory(engine)
        async with session_scope(factory) as s:
            await user_service.create(
                session=s, username="admin", password="long enough password", role="admin"
            )
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            secret_key="bench-" + "x" * 40,
            discovery=DiscoverySettings(
                enabled=True,
                bind="127.0.0.1",
                hdhr_port=free_udp_port(),
                ssdp_port=free_udp_port(),
            ),
        )
        service = DiscoveryService(settings, factory)
        await service.start()
        assert service.hdhr_address and service.ssdp_address
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        try:
            for name, port, data, answers in (
                ("discovery_hdhr", service.hdhr_address[1], d.discover_request(), 1),
                ("discovery_ssdp_all", service.ssdp_address[1], d.msearch("ssdp:all", mx=None), 3),
            ):
                service._tuner = None  # the first answer of each reads the database
                first = await timed(sock, port, data, answers)
                rest = [await timed(sock, port, data, answers) for _ in range(requests - 1)]
                print(json.dumps(summary(name, first, rest)), flush=True)
        finally:
            sock.close()
            await service.close()
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
