"""Benchmark: VOD sync of 50,000 movies and 2,000 series x 50 episodes, then the .strm library.

The fake provider runs in its own process (so its JSON encoding does not share our GIL). Prints
one JSON line: sync seconds and SQL statements, first library generation seconds, unchanged
re-run seconds and files written (0 expected), peak RSS of this process.

    python bench/vod.py [--movies 50000] [--series 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def serve(movies: int, series: int) -> None:
    """Child process: the fake provider with a big catalog; prints its URL, runs until killed."""
    from strmline.demo import Catalog, FakeProvider, run_fake_provider

    provider = FakeProvider()
    provider.add_account(
        "bench",
        "pw",
        lambda: Catalog.generate(
            0, live=10, movies=movies, series=series, seasons=5, episodes_per_season=10
        ),
        baseline=True,
    )
    with run_fake_provider(provider) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin


async def bench(url: str, db_url: str | None) -> dict[str, object]:
    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.pipelines.context import PipelineContext
    from strmline.pipelines.strm import generate_library
    from strmline.pipelines.vod import sync_vod
    from strmline.services import providers as provider_service
    from strmline.services import users as user_service
    from tests.dbutil import StatementCounter, sqlite_url

    with tempfile.TemporaryDirectory() as data:
        engine = create_engine(db_url or sqlite_url(Path(data) / "bench.db"))
        await upgrade(engine)
        factory = make_session_factory(engine)
        settings = Settings(
            data_dir=Path(data), vod={"series_info_concurrency": 16, "strm_after_sync": False}
        )
        ctx = PipelineContext(session_factory=factory, settings=settings)
        async with session_scope(factory) as s:
            spec = provider_service.ProviderCreate(
                name="bench", kind="xtream", url=url, username="bench", password="pw"
            )
            pid = (await provider_service.create(session=s, spec=spec)).id
            await user_service.create(
                session=s, username="admin", password="long enough pass", role="admin"
            )
        with StatementCounter(engine) as counter:
            t0 = time.monotonic()
            result = await sync_vod(ctx, provider_id=pid)
            sync_s = time.monotonic() - t0
        assert result.status == "ok", result.message
        with StatementCounter(engine) as again_counter:
            t0 = time.monotonic()
            again = await sync_vod(ctx, provider_id=pid)
            resync_s = time.monotonic() - t0
        out = Path(data) / "library"
        t0 = time.monotonic()
        first = await generate_library(ctx, out=out)
        gen_s = time.monotonic() - t0
        t0 = time.monotonic()
        rerun = await generate_library(ctx, out=out)
        rerun_s = time.monotonic() - t0
        await engine.dispose()
    return {
        "bench": "vod",
        "db": "postgresql" if db_url else "sqlite",
        "movies": result.movies,
        "series": result.series,
        "episodes": result.episodes_added,
        "sync_seconds": round(sync_s, 2),
        "sync_statements": counter.count,
        "resync_status": again.status,
        "resync_seconds": round(resync_s, 2),
        "resync_statements": again_counter.count,
        "first_generation_seconds": round(gen_s, 2),
        "files_first": first.written,
        "rerun_seconds": round(rerun_s, 2),
        "rerun_files_written": rerun.written,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--movies", type=int, default=50_000)
    parser.add_argument("--series", type=int, default=2_000)
    parser.add_argument("--postgres", default=None, help="a throwaway database URL to use")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.movies, args.series)
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", f"--movies={args.movies}", f"--series={args.series}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        print(json.dumps(asyncio.run(bench(url, args.postgres))), flush=True)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
