"""Benchmark: the API and the client outputs over real HTTP, on a 100k-channel catalog.

Seeds a fresh database (100,000 channels, 300,000 streams, bulk inserts), starts the real server
(``strmline serve`` in a subprocess on 127.0.0.1), creates an admin and takes its API token, then
measures with concurrent clients. Prints one JSON line per endpoint; asserts nothing (DESIGN.md
section 7). An endpoint that answers 404 (not written yet) is reported as skipped.

    .venv/bin/python bench/api.py [--channels 100000] [--requests 400] [--concurrency 12]
                                  [--backend sqlite|postgres|both] [--workers 1,2]
                                  [--only channels_page,channels_search]

Each line carries ``workers`` (``strmline serve --workers N``; one seeded database, one server
per count) and, for latency lines, ``rps_per_core``: requests/s over the cores the server could
use (its processes, at most the machine's cores; the load generator runs on the same machine).

PostgreSQL needs STRMLINE_TEST_POSTGRES_URL (a throwaway database is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from strmline.db.engine import create_engine  # noqa: E402
from strmline.db.migrate import upgrade  # noqa: E402
from strmline.db.models import Channel, Provider, Stream  # noqa: E402
from tests.dbutil import postgres_admin_url, sqlite_url, throwaway_postgres  # noqa: E402

WORDS = (
    *("News", "Sports", "Movies", "Cinema", "Kids", "Music", "Documentary", "Nature", "History"),
    *("Science", "Travel", "Food", "Comedy", "Drama", "Action", "Family", "Weather", "Business"),
    *("Finance", "Auto", "Fashion", "Gaming", "Anime", "Classic", "Country", "Rock", "Jazz"),
    *("Gospel", "Shop", "Life", "Style", "Home", "Garden", "Crime", "Mystery", "Reality", "Talk"),
)
PREFIXES = ("US", "UK", "CA", "DE", "FR", "ES", "IT", "NL", "PL", "PT", "BR", "MX")
QUALITIES = ("SD", "HD", "FHD", "UHD")
BATCH = 5000
SECRET = "bench-secret-key-" + "x" * 32


# Fields every line carries (the backend being measured).
CONTEXT: dict[str, Any] = {}


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "api", **CONTEXT, **fields}), flush=True)


def channel_name(i: int) -> str:
    rnd = random.Random(i)
    return f"{rnd.choice(PREFIXES)}: {rnd.choice(WORDS)} {rnd.choice(WORDS)} {i}"


async def seed(url: str, channels: int, per_channel: int) -> float:
    started = time.perf_counter()
    engine = create_engine(url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            # Synced just now and rarely: the server's scheduler leaves them alone.
            await conn.execute(
                insert(Provider),
                [
                    {
                        "id": p,
                        "name": f"Bench {p}",
                        "kind": "m3u",
                        "url": f"http://127.0.0.1:9/bench{p}.m3u",
                        "priority": p,
                        "max_connections": 2,
                        "refresh_minutes": 10**6,
                        "last_sync_at": now,
                    }
                    for p in range(1, per_channel + 1)
                ],
            )
            for start in range(1, channels + 1, BATCH):
                ids = range(start, min(start + BATCH, channels + 1))
                rows = []
                for i in ids:
                    name = channel_name(i)
                    rows.append(
                        {
                            "id": i,
                            "name": name,
                            "search_name": name.lower().replace(":", ""),
                            "match_key": name.lower(),
                            "category": f"{WORDS[i % len(WORDS)]} {PREFIXES[i % len(PREFIXES)]}",
                            "number": float(i) if i % 5 < 3 else None,
                            "logo": f"http://logos.example/{i}.png",
                            "tvg_id": f"ch{i}.example" if i % 2 else None,
                            "stream_count": per_channel,
                            "active_stream_count": per_channel,
                            "best_quality": QUALITIES[i % 4],
                        }
                    )
                await conn.execute(insert(Channel), rows)
                streams = [
                    {
                        "id": (i - 1) * per_channel + r,
                        "provider_id": r,
                        "channel_id": i,
                        "provider_key": f"{i}",
                        "name": f"{channel_name(i)} {QUALITIES[(i + r) % 4]}",
                        "url": f"http://provider{r}.example/live/u/p/{i}.ts",
                        "content_hash": "0" * 32,
                        "quality": QUALITIES[(i + r) % 4],
                        "quality_score": (i + r) % 4,
                        "rank": r,
                    }
                    for i in ids
                    for r in range(1, per_channel + 1)
                ]
                await conn.execute(insert(Stream), streams)
            await conn.execute(
                text("UPDATE channels SET best_stream_id = (channels.id - 1) * :n + 1").bindparams(
                    n=per_channel
                )
            )
            if engine.dialect.name == "postgresql":
                for table in ("providers", "channels", "streams"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def server_process(
    db_url: str, data_dir: Path, workers: int = 1, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``strmline serve`` on a free port, once /api/health answers: its base URL and process.

    ``env`` is the environment it starts from (default: this one); the data dir, database and
    signing key are set on top, and Redis is left out (embedded mode).
    """
    port = free_port()
    child_env = {
        **(os.environ if env is None else env),
        "STRMLINE_DATA_DIR": str(data_dir),
        "STRMLINE_DATABASE_URL": db_url,
        "STRMLINE_SECRET_KEY": SECRET,
    }
    child_env.pop("STRMLINE_REDIS_URL", None)
    log_path = data_dir / f"server-{workers}.log"
    log = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "strmline", "serve", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(workers)),
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base}/api/health")).status_code == 200:
                        break
                if proc.returncode is not None or time.monotonic() > deadline:
                    tail = log_path.read_text()[-3000:]
                    raise RuntimeError(f"server did not start:\n{tail}")
                await asyncio.sleep(0.2)
        yield base, proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


@contextlib.asynccontextmanager
async def server(
    db_url: str, data_dir: Path, workers: int = 1, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[str]:
    """:func:`server_process` for callers that need only the base URL."""
    async with server_process(db_url, data_dir, workers, env=env) as (base, _):
        yield base


def per_core(rps: float) -> float:
    """Requests per second per core the server could use: its processes, at most the machine's
    cores (the load generator shares the machine, so this is a floor)."""
    cores = min(int(CONTEXT.get("workers", 1)), os.cpu_count() or 1)
    return round(rps / cores, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    client: httpx.AsyncClient,
    endpoint: str,
    make_url: Callable[[int], str],
    *,
    requests: int,
    concurrency: int,
    headers: dict[str, str],
    max_seconds: float = 60.0,
) -> None:
    probe = await client.get(make_url(0), headers=headers)
    if probe.status_code == 404:
        emit(endpoint=endpoint, skipped=f"404 at {make_url(0)}: endpoint not present yet")
        return
    if probe.status_code != 200:
        emit(endpoint=endpoint, skipped=f"{probe.status_code}: {probe.text[:200]}")
        return
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    stop_at = time.monotonic() + max_seconds

    async def worker() -> None:
        nonlocal errors
        for n in counter:
            if time.monotonic() > stop_at:
                return
            t = time.perf_counter()
            r = await client.get(make_url(n + 1), headers=headers)
            latencies.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    emit(
        endpoint=endpoint,
        requests=len(latencies),
        concurrency=concurrency,
        p50_ms=round(statistics.median(latencies), 2),
        p95_ms=round(percentile(latencies, 0.95), 2),
        max_ms=round(max(latencies), 2),
        rps=round(len(latencies) / wall, 1),
        rps_per_core=per_core(len(latencies) / wall),
        errors=errors,
    )


async def full_download(
    client: httpx.AsyncClient, endpoint: str, url: str, *, gzip: bool
) -> dict[str, Any] | None:
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    started = time.perf_counter()
    size = 0
    async with client.stream("GET", url, headers=headers) as r:
        if r.status_code == 404:
            emit(endpoint=endpoint, skipped="404: endpoint not present yet")
            return None
        async for chunk in r.aiter_raw():
            size += len(chunk)
        status = r.status_code
        etag = r.headers.get("etag")
    seconds = time.perf_counter() - started
    fields = {
        "endpoint": endpoint,
        "encoding": "gzip" if gzip else "identity",
        "status": status,
        "seconds": round(seconds, 3),
        "bytes": size,
    }
    emit(**fields)
    return {"etag": etag, **fields}


async def run_backend(backend: str, db_url: str, args: argparse.Namespace) -> None:
    CONTEXT["backend"] = backend
    with tempfile.TemporaryDirectory(prefix="strmline-bench-") as tmp:
        data_dir = Path(tmp)
        if backend == "sqlite":
            db_url = sqlite_url(data_dir / "bench.db")
        seconds = await seed(db_url, args.channels, 3)
        emit(
            endpoint="seed",
            channels=args.channels,
            streams=args.channels * 3,
            seconds=round(seconds, 1),
        )
        for workers in args.workers:
            CONTEXT["workers"] = workers
            async with server(db_url, data_dir, workers) as base:
                await bench_server(base, backend, args)
        CONTEXT.pop("workers", None)


async def bench_server(base: str, backend: str, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        creds = {"username": "bench", "password": "bench password 1"}
        r = await client.post("/api/setup", json=creds)
        if r.status_code == 409:  # a server before this one on the same database set it up
            r = await client.post("/api/auth/login", json=creds)
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        got = await client.get("/api/auth/api-token", headers=auth)
        if got.status_code != 200:
            raise RuntimeError(f"GET /api/auth/api-token: {got.status_code} {got.text[:300]}")
        token = got.json()["api_token"]
        await bench_endpoints(client, auth, token, backend, args)


async def bench_endpoints(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    token: str,
    backend: str,
    args: argparse.Namespace,
) -> None:
    rnd = random.Random(7)
    n, conc = args.requests, args.concurrency

    # Cursors from a walk through the list, so random pages hit every depth.
    cursors: list[str | None] = [None]
    r = await client.get("/api/channels", params={"limit": 50}, headers=auth)
    if r.status_code == 200:
        walk_started = time.perf_counter()
        body = r.json()
        while body.get("next_cursor") and len(cursors) < args.walk:
            cursors.append(body["next_cursor"])
            body = (
                await client.get(
                    "/api/channels",
                    params={"limit": 50, "cursor": body["next_cursor"]},
                    headers=auth,
                )
            ).json()
        emit(
            endpoint="channels_walk",
            pages=len(cursors),
            seconds=round(time.perf_counter() - walk_started, 2),
        )

    def page(i: int) -> str:
        cursor = rnd.choice(cursors) if i else None
        return "/api/channels?limit=50" + (f"&cursor={cursor}" if cursor else "")

    terms = [w.lower() for w in WORDS] + [
        f"{w.lower()} {v.lower()}" for w in WORDS[:8] for v in WORDS[:4]
    ]
    cases: list[tuple[str, Callable[[int], str]]] = [
        ("channels_page", page),
        ("channels_search", lambda i: f"/api/channels?limit=50&q={rnd.choice(terms)}"),
        ("channel_detail", lambda i: f"/api/channels/{rnd.randint(1, args.channels)}"),
        ("categories", lambda i: "/api/categories"),
        ("dashboard", lambda i: "/api/dashboard"),
        ("play_redirect", lambda i: f"/play/{rnd.randint(1, args.channels)}?token={token}"),
    ]
    if args.only is not None:
        cases = [c for c in cases if c[0] in args.only]
    for name, make_url in cases:
        if name == "play_redirect":
            # 302s are the answer here; count them as successes by not following them.
            await measure_play(client, make_url, n, conc, backend)
            continue
        await measure(client, name, make_url, requests=n, concurrency=conc, headers=auth)
    if args.only is not None and not args.only & {"m3u", "m3u_all", "hdhr_lineup"}:
        return
    for gzip in (False, True):
        first = await full_download(client, "m3u", f"/output/m3u?token={token}", gzip=gzip)
        if first and gzip and first["etag"]:
            again = await client.get(
                f"/output/m3u?token={token}", headers={"If-None-Match": first["etag"]}
            )
            emit(endpoint="m3u_304", status=again.status_code, bytes=len(again.content))
    await full_download(client, "m3u_all", f"/output/m3u?token={token}&quality=all", gzip=False)
    await full_download(client, "hdhr_lineup", f"/hdhr/{token}/lineup.json", gzip=False)


async def measure_play(
    client: httpx.AsyncClient, make_url: Callable[[int], str], n: int, conc: int, backend: str
) -> None:
    latencies: list[float] = []
    counter = iter(range(n))
    bad = 0

    async def worker() -> None:
        nonlocal bad
        for i in counter:
            t = time.perf_counter()
            r = await client.get(make_url(i), follow_redirects=False)
            latencies.append((time.perf_counter() - t) * 1000)
            bad += r.status_code != 302

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    wall = time.perf_counter() - started
    emit(
        endpoint="play_redirect",
        requests=len(latencies),
        concurrency=conc,
        p50_ms=round(statistics.median(latencies), 2),
        p95_ms=round(percentile(latencies, 0.95), 2),
        rps=round(len(latencies) / wall, 1),
        rps_per_core=per_core(len(latencies) / wall),
        errors=bad,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint")
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--walk", type=int, default=300, help="pages walked to collect cursors")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1, 2],
        help="server processes (strmline serve --workers N), each count in turn: 1,2",
    )
    parser.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=None,
        help="endpoints to measure, e.g. channels_page,channels_search (default: all)",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgres":
            if not postgres_admin_url():
                emit(endpoint="*", backend="postgres", skipped="STRMLINE_TEST_POSTGRES_URL not set")
                continue
            async with throwaway_postgres() as url:
                await run_backend(backend, url, args)
        else:
            await run_backend(backend, "", args)


if __name__ == "__main__":
    asyncio.run(main())
