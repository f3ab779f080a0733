"""Benchmarks: a full health check of 10,000 streams, and the proxy fanning one channel out to 50.

    python bench/health.py [--streams 10000] [--concurrency 200] [--clients 50] [--only health|proxy]

health: 10,000 streams on a local fake provider (its own process, so it does not share the GIL),
10 % dead (HTTP 404), 2 % hanging (headers, then nothing), checked at concurrency 200 with a 5 s
timeout into SQLite. One JSON line: seconds, checks per second, SQL statements, peak RSS.

proxy: 50 clients (another process) watch one channel through the proxy; one upstream
connection; CPU of the proxy's event-loop thread per client, and throughput per client.
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HANG_IDS = 2  # catalog streams with a hang fault; 2 % of the streams point at them


def serve_fake(bitrate: int) -> None:
    """Child: a fake provider with hang faults; prints its URL, runs until stdin closes."""
    import socket

    from strmline.demo import ProviderOptions, demo_provider, run_fake_provider
    from strmline.demo import server as demo_server

    def bind(port: int) -> socket.socket:
        # The demo server listens with a backlog of 128; 200 checkers connecting at once would
        # overflow it and wait for SYN retries (1 s, 3 s), measuring the kernel, not strmline.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(4096)
        sock.setblocking(False)
        return sock

    demo_server._bind = bind  # type: ignore[attr-defined]
    provider = demo_provider(seed=0, options=ProviderOptions(bitrate=bitrate, max_hang_seconds=30))
    live = sorted(provider.accounts["acme"].catalog.live)
    for sid in live[:HANG_IDS]:
        provider.faults.stream(sid, "hang")
    with run_fake_provider(provider) as server:
        print(json.dumps({"url": server.url, "live": live}), flush=True)
        sys.stdin.read()


def start_fake(bitrate: int) -> tuple[subprocess.Popen[str], str, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-fake", str(bitrate)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info["url"], info["live"]


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a child has used so far; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def bench_health(streams: int, concurrency: int) -> dict[str, object]:
    from sqlalchemy import insert

    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.db.models import Channel, Provider, Stream
    from strmline.pipelines.context import PipelineContext
    from strmline.pipelines.health import run_health
    from tests.dbutil import StatementCounter, sqlite_url

    proc, url, live = start_fake(200_000)
    try:
        with tempfile.TemporaryDirectory() as data:
            engine = create_engine(sqlite_url(Path(data) / "bench.db"))
            await upgrade(engine)
            factory = make_session_factory(engine)
            good = live[HANG_IDS:]
            async with session_scope(factory) as s:
                pid = (
                    await s.execute(
                        insert(Provider)
                        .values(name="bench", kind="m3u", url=url, backup_urls=[])
                        .returning(Provider.id)
                    )
                ).scalar_one()
                channels = max(streams // 4, 1)
                await s.execute(
                    insert(Channel),
                    [
                        {"name": f"C{i}", "search_name": f"c{i}", "match_key": f"c{i}"}
                        for i in range(channels)
                    ],
                )

                def stream_url(i: int) -> str:
                    if i % 50 == 0:  # 2 %: hanging
                        return f"{url}/live/acme/secret/{live[(i // 50) % HANG_IDS]}.ts"
                    if i % 10 == 1:  # 10 %: missing → 404
                        return f"{url}/live/acme/secret/{900_000 + i}.ts"
                    return f"{url}/live/acme/secret/{good[i % len(good)]}.ts"

                await s.execute(
                    insert(Stream),
                    [
                        {
                            "provider_id": pid,
                            "channel_id": 1 + i % channels,
                            "provider_key": str(i),
                            "name": f"S{i}",
                            "url": stream_url(i),
                            "content_hash": "x",
                        }
                        for i in range(streams)
                    ],
                )
            settings = Settings(
                data_dir=Path(data),
                health={
                    "concurrency": concurrency,
                    "timeout": 5.0,
                    "connect_timeout": 5.0,
                    "probe": False,
                },
            )
            ctx = PipelineContext(session_factory=factory, settings=settings)
            with StatementCounter(engine) as counter:
                # CPU next to wall time says who limits a run: the checker, the fake provider
                # (a Python server sharing the same cores), or neither (waiting on timeouts).
                fake_cpu0, cpu0 = process_cpu(proc.pid), time.process_time()
                t0 = time.perf_counter()
                result = await run_health(ctx)
                seconds = time.perf_counter() - t0
                cpu = time.process_time() - cpu0
                fake_cpu1 = process_cpu(proc.pid)
            await engine.dispose()
    finally:
        stop(proc)
    return {
        "bench": "health",
        "streams": result.checked,
        "seconds": round(seconds, 2),
        "checks_per_s": round(result.checked / seconds, 1),
        "statements": counter.count,
        "peak_rss_mb": peak_rss_mb(),
        "ok": result.ok + result.slow,
        "failed": result.failed,
        "cpu_s": round(cpu, 2),
        "provider_cpu_s": (
            round(fake_cpu1 - fake_cpu0, 2)
            if fake_cpu0 is not None and fake_cpu1 is not None
            else None
        ),
    }


def read_clients(url: str, clients: int, seconds: float) -> None:
    """Child: ``clients`` readers of ``url`` for ``seconds``; prints bytes per client."""

    async def one() -> int:
        reader, writer = await asyncio.open_connection(*url.split("//")[1].split("/")[0].split(":"))
        path = "/" + url.split("//")[1].split("/", 1)[1]
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        total = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), end - loop.time())
            except TimeoutError:
                break
            if not chunk:
                break
            total += len(chunk)
        writer.close()
        return total

    async def main() -> list[int]:
        return await asyncio.gather(*(one() for _ in range(clients)))

    print(json.dumps(asyncio.run(main())), flush=True)


async def bench_proxy(clients: int, seconds: float) -> dict[str, object]:
    from fastapi import FastAPI, Request
    from fastapi.responses import Response
    from sqlalchemy import insert

    from strmline.api.outputs import proxy
    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.db.models import Channel, Provider, Stream
    from strmline.demo import serve_async
    from strmline.playback.registry import ProxyRegistry
    from tests.dbutil import sqlite_url

    bitrate = 1_000_000  # 8 Mbit/s, a typical HD channel
    fake, url, live = start_fake(bitrate)
    try:
        with tempfile.TemporaryDirectory() as data:
            engine = create_engine(sqlite_url(Path(data) / "bench.db"))
            await upgrade(engine)
            factory = make_session_factory(engine)
            async with session_scope(factory) as s:
                await s.execute(
                    insert(Provider).values(id=1, name="p", kind="m3u", url=url, backup_urls=[])
                )
                await s.execute(
                    insert(Channel).values(id=1, name="C", search_name="c", match_key="c")
                )
                await s.execute(
                    insert(Stream).values(
                        provider_id=1,
                        channel_id=1,
                        provider_key="1",
                        name="C",
                        url=f"{url}/live/acme/secret/{live[HANG_IDS]}.ts",
                        content_hash="x",
                    )
                )
            settings = Settings(data_dir=Path(data), playback={"client_buffer_chunks": 1024})
            app = FastAPI()
            registry = ProxyRegistry(settings, factory)
            app.state.proxy_registry = registry

            @app.get("/p/{channel_id}")
            async def play(channel_id: int, request: Request) -> Response:
                return await proxy.proxy_response(
                    request,
                    channel_id=channel_id,
                    user=None,
                    settings=settings,
                    session_factory=factory,
                )

            async with serve_async(app) as base:
                cpu0 = time.thread_time()
                t0 = time.perf_counter()
                child = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--read-clients",
                    f"{base}/p/1",
                    str(clients),
                    str(seconds),
                    stdout=asyncio.subprocess.PIPE,
                )
                upstreams = 0
                while child.returncode is None:
                    upstreams = max(upstreams, len(registry.hubs))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(child.wait(), 0.5)
                out, _ = await child.communicate()
                wall = time.perf_counter() - t0
                cpu = time.thread_time() - cpu0
                await registry.close()
            await engine.dispose()
    finally:
        stop(fake)
    per_client = json.loads(out)
    return {
        "bench": "proxy",
        "clients": clients,
        "upstream_connections": upstreams,
        "cpu_percent_per_client": round(cpu / wall * 100 / clients, 3),
        "mbps_per_client": round(sum(per_client) / len(per_client) * 8 / 1e6 / seconds, 2),
        "min_mbps": round(min(per_client) * 8 / 1e6 / seconds, 2),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-fake":
        serve_fake(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--read-clients":
        read_clients(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["health", "proxy"])
    args = parser.parse_args()
    os.environ.setdefault("STRMLINE_DATA_DIR", tempfile.gettempdir())
    if args.only in (None, "health"):
        print(json.dumps(asyncio.run(bench_health(args.streams, args.concurrency))), flush=True)
    if args.only in (None, "proxy"):
        print(json.dumps(asyncio.run(bench_proxy(args.clients, args.seconds))), flush=True)


if __name__ == "__main__":
    main()
