"""Benchmark: the Xtream Codes API output on a 100k-channel catalog, over real HTTP.

Seeds the catalog of bench/api.py (100,000 channels, 300,000 streams) plus a guide (one guide
channel per channel, ``--programmes`` programmes each around now), starts ``strmline serve``,
takes the admin's Xtream credentials and measures what IPTV apps call at login and while
zapping: ``get_live_streams`` downloaded whole (streamed JSON), ``get_live_categories``, and
``get_short_epg`` p50/p95 at ``--concurrency`` clients. One JSON line each; asserts nothing.

    .venv/bin/python bench/xtream.py [--channels 100000] [--programmes 4] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import CONTEXT, measure, seed, server

from strmline.db.engine import create_engine
from strmline.db.models import EpgChannel, EpgProgramme, EpgSource
from tests.dbutil import sqlite_url

BATCH = 5000


def emit(**fields: object) -> None:
    print(json.dumps({"bench": "xtream", **fields}), flush=True)


async def seed_guide(url: str, channels: int, programmes: int) -> float:
    """One guide channel per channel (linked), ``programmes`` half-hour slots from an hour ago."""
    started = time.perf_counter()
    engine = create_engine(url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(EpgSource),
                [{"id": 1, "name": "bench guide", "kind": "url", "url": "http://127.0.0.1:9/g"}],
            )
            pid = 0
            for start in range(1, channels + 1, BATCH):
                ids = range(start, min(start + BATCH, channels + 1))
                await conn.execute(
                    insert(EpgChannel),
                    [
                        {"id": i, "source_id": 1, "xmltv_id": f"ch{i}.example", "display_names": []}
                        for i in ids
                    ],
                )
                rows = []
                for i in ids:
                    for k in range(programmes):
                        pid += 1
                        begin = now - timedelta(hours=1) + timedelta(minutes=30 * k)
                        rows.append(
                            {
                                "id": pid,
                                "epg_channel_id": i,
                                "start": begin,
                                "stop": begin + timedelta(minutes=30),
                                "title": f"Programme {k} of channel {i}",
                                "description": "A programme of the bench guide.",
                            }
                        )
                await conn.execute(insert(EpgProgramme), rows)
            await conn.exec_driver_sql("UPDATE channels SET epg_channel_id = id")
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> None:
    CONTEXT["backend"] = "sqlite"  # measure() prints through bench/api.py's emit
    with tempfile.TemporaryDirectory(prefix="strmline-bench-xtream-") as tmp:
        data_dir = Path(tmp)
        db_url = sqlite_url(data_dir / "bench.db")
        seeded = await seed(db_url, args.channels, 3)
        guided = await seed_guide(db_url, args.channels, args.programmes)
        emit(
            endpoint="seed",
            channels=args.channels,
            programmes=args.channels * args.programmes,
            seconds=round(seeded + guided, 1),
        )
        async with server(db_url, data_dir) as base:
            timeout = httpx.Timeout(120.0)
            limits = httpx.Limits(max_connections=args.concurrency * 2)
            async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
                r = await client.post(
                    "/api/setup", json={"username": "bench", "password": "bench password 1"}
                )
                r.raise_for_status()
                auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
                creds = (await client.get("/api/auth/xtream", headers=auth)).json()
                await bench_calls(client, creds["username"], creds["password"], args)


async def bench_calls(
    client: httpx.AsyncClient, username: str, password: str, args: argparse.Namespace
) -> None:
    api = f"/player_api.php?username={username}&password={password}"
    login = time.perf_counter()
    r = await client.get(api)
    emit(endpoint="login", status=r.status_code, ms=round((time.perf_counter() - login) * 1000, 1))

    for action in ("get_live_categories", "get_live_streams"):
        started = time.perf_counter()
        first_byte: float | None = None
        size = 0
        async with client.stream("GET", f"{api}&action={action}") as resp:
            async for chunk in resp.aiter_raw():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
            status = resp.status_code
        seconds = time.perf_counter() - started
        emit(
            endpoint=action,
            status=status,
            seconds=round(seconds, 3),
            first_byte_ms=round((first_byte or 0) * 1000, 1),
            bytes=size,
        )

    rnd = random.Random(7)
    await measure(
        client,
        "get_short_epg",
        lambda i: f"{api}&action=get_short_epg&stream_id={rnd.randint(1, args.channels)}&limit=4",
        requests=args.requests,
        concurrency=args.concurrency,
        headers={},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=100_000)
    parser.add_argument("--programmes", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=12)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
