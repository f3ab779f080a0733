"""Benchmark: sync a generated 100,000-entry M3U served over local HTTP into SQLite and PostgreSQL.

Prints one JSON line per database: first sync seconds, unchanged re-sync seconds, rows written by
the re-sync, SQL statements, peak RSS. Each database runs in its own child process so the peak RSS
is the sync's own, not the generator's or the HTTP server's.

    python bench/sync.py [--entries 100000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_PG = os.environ.get(
    "STRMLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


async def child(db: str, url: str, entries: int) -> dict[str, object]:
    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.pipelines.context import PipelineContext
    from strmline.pipelines.sync import sync_provider
    from strmline.services import providers as provider_service
    from tests.dbutil import StatementCounter, sqlite_url, throwaway_postgres

    async def run(db_url: str) -> dict[str, object]:
        engine = create_engine(db_url)
        await upgrade(engine)
        factory = make_session_factory(engine)
        with tempfile.TemporaryDirectory() as data:
            ctx = PipelineContext(session_factory=factory, settings=Settings(data_dir=Path(data)))
            async with session_scope(factory) as s:
                spec = provider_service.ProviderCreate(name="bench", kind="m3u", url=url)
                pid = (await provider_service.create(session=s, spec=spec)).id
            with StatementCounter(engine) as first_count:
                t0 = time.perf_counter()
                first = await sync_provider(ctx, provider_id=pid)
                first_s = time.perf_counter() - t0
            with StatementCounter(engine) as again_count:
                t0 = time.perf_counter()
                again = await sync_provider(ctx, provider_id=pid, force=True)
                again_s = time.perf_counter() - t0
        await engine.dispose()
        assert first.status == "ok", first.message
        written = (
            again.streams_added
            + again.streams_updated
            + again.streams_removed
            + again.channels_created
        )
        return {
            "bench": "sync",
            "db": db,
            "entries": first.entries,
            "channels": first.channels_created,
            "first_sync_s": round(first_s, 2),
            "first_sync_statements": first_count.count,
            "resync_s": round(again_s, 2),
            "resync_status": again.status,
            "resync_rows_written": written,
            "resync_statements": again_count.count,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }

    if db == "postgres":
        os.environ["STRMLINE_TEST_POSTGRES_URL"] = os.environ.get("BENCH_PG", DEFAULT_PG)
        async with throwaway_postgres() as db_url:
            return await run(db_url)
    with tempfile.TemporaryDirectory() as tmp:
        return await run(sqlite_url(Path(tmp) / "bench.db"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", choices=["sqlite", "postgres"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.url, args.entries))), flush=True)
        return

    from playlist_gen import write_m3u

    with tempfile.TemporaryDirectory() as tmp:
        write_m3u(Path(tmp) / "big.m3u", args.entries, seed=7)
        server, base = serve(tmp)
        try:
            dbs = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
            for db in dbs:
                env = dict(os.environ, BENCH_PG=args.postgres)
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        db,
                        "--url",
                        f"{base}/big.m3u",
                        "--entries",
                        str(args.entries),
                    ],
                    check=True,
                    env=env,
                )
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
