"""Benchmark: a group filter keeps a 100,000-entry provider to two categories.

Generates bench/sync.py's ``catalogue`` playlist (a big provider's catalogue in many countries
and categories), sets the provider's filter to two categories before its first sync, then
syncs: prints one JSON line per database with the sync's seconds and SQL statements, entries
fetched and kept, categories listed, the forced re-sync, and re-applying a rule-filled lineup.

    python bench/group_filter.py [--entries 100000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = os.environ.get(
    "STRMLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
KEEP = "^US \\| (News|Sport)$"


def _catalogue_lines(entries: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: list[str] = module.catalogue_lines(entries)
    return lines


async def run(db_url: str, db: str, playlist: Path, entries: int) -> dict[str, object]:
    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.pipelines.context import PipelineContext
    from strmline.pipelines.sync import sync_provider
    from strmline.services import group_filters, lineups
    from strmline.services import providers as provider_service
    from tests.dbutil import StatementCounter

    engine = create_engine(db_url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), sources_dir=playlist.parent)
        ctx = PipelineContext(session_factory=factory, settings=settings)
        async with session_scope(factory) as s:
            spec = provider_service.ProviderCreate(name="bench", kind="m3u", url=str(playlist))
            pid = (await provider_service.create(session=s, spec=spec)).id
            await group_filters.update_groups(s, pid, {"group_include": KEEP})
        with StatementCounter(engine) as first_count:
            t0 = time.perf_counter()
            first = await sync_provider(ctx, provider_id=pid)
            first_s = time.perf_counter() - t0
        assert first.status == "ok", first.message
        async with session_scope(factory) as s:
            view = await group_filters.get_groups(s, pid)
        with StatementCounter(engine) as again_count:
            t0 = time.perf_counter()
            again = await sync_provider(ctx, provider_id=pid, force=True)
            again_s = time.perf_counter() - t0
        async with session_scope(factory) as s:
            lineup = await lineups.create(s, name="News", rules=[{"category": "US | News"}])
            with StatementCounter(engine) as rules_count:
                t0 = time.perf_counter()
                applied = await lineups.apply_rules(s, [lineup.id])
                rules_s = time.perf_counter() - t0
    await engine.dispose()
    return {
        "bench": "group_filter",
        "db": db,
        "entries_fetched": view.entries,
        "categories_listed": len(view.groups),
        "entries_kept": first.entries,
        "channels": first.channels_created,
        "first_sync_s": round(first_s, 2),
        "first_sync_statements": first_count.count,
        "resync_s": round(again_s, 2),
        "resync_status": again.status,
        "resync_statements": again_count.count,
        "apply_rules_s": round(rules_s, 3),
        "apply_rules_statements": rules_count.count,
        "apply_rules_unchanged": applied == {"added": 0, "removed": 0},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def main_async(args: argparse.Namespace) -> None:
    from tests.dbutil import sqlite_url, throwaway_postgres

    with tempfile.TemporaryDirectory() as tmp:
        playlist = Path(tmp) / "big.m3u"
        playlist.write_text("\n".join(_catalogue_lines(args.entries)) + "\n", encoding="utf-8")
        if not args.no_sqlite:
            result = await run(sqlite_url(Path(tmp) / "bench.db"), "sqlite", playlist, args.entries)
            print(json.dumps(result), flush=True)
        if not args.no_postgres:
            os.environ["STRMLINE_TEST_POSTGRES_URL"] = args.postgres
            async with throwaway_postgres() as db_url:
                result = await run(db_url, "postgres", playlist, args.entries)
            print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
