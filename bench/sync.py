"""Benchmark: sync a generated 100,000-entry M3U served over local HTTP into SQLite and PostgreSQL.

Prints one JSON line per database: first sync seconds, unchanged re-sync seconds, rows written by
the re-sync, SQL statements, peak RSS. Each database runs in its own child process so the peak RSS
is the sync's own, not the generator's or the HTTP server's.

Two shapes of playlist: ``mixed`` (bench/playlist_gen.py: four providers' spellings of about a
quarter as many channels as entries) and ``catalogue`` (a big provider's full catalogue: most
entries are distinct channels, about two thirds as many channels as entries, in many countries).

    python bench/sync.py [--entries 100000] [--shape mixed|catalogue]
                         [--postgres URL | --no-postgres] [--no-sqlite]
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


_SYLLABLES = [
    "ka",
    "ri",
    "to",
    "na",
    "mi",
    "lo",
    "ve",
    "sa",
    "du",
    "ra",
    "pe",
    "zo",
    "li",
    "ta",
    "mo",
    "ne",
    "bi",
    "lu",
    "fa",
    "go",
    "ki",
    "ro",
    "se",
    "tu",
    "va",
    "ni",
    "da",
    "me",
    "po",
    "ju",
    "ha",
    "be",
    "co",
    "xa",
    "yo",
    "zi",
    "wa",
    "fe",
    "gu",
    "sto",
    "bra",
    "tri",
    "kel",
    "mar",
    "dan",
    "vor",
    "len",
    "tis",
    "gal",
    "pra",
    "dro",
]
_CC = [
    "US",
    "UK",
    "CA",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "PL",
    "BR",
    "MX",
    "IN",
    "AU",
    "TR",
    "PT",
    "RO",
    "GR",
    "SE",
    "NO",
    "DK",
    "FI",
    "BE",
    "CH",
    "AT",
    "CZ",
    "HU",
    "RS",
    "HR",
    "BG",
    "AR",
    "CL",
    "CO",
    "PE",
    "AE",
    "SA",
    "EG",
    "MA",
    "IR",
    "PK",
    "BD",
    "PH",
    "ID",
    "TH",
    "VN",
    "JP",
    "KR",
]
_KINDS = [
    "TV",
    "Channel",
    "Sport",
    "News",
    "Kids",
    "Movies",
    "Music",
    "Cinema",
    "Life",
    "Max",
    "Plus",
    "24",
    "Local",
    "Regional",
    "Radio",
    "Drama",
    "Comedy",
    "Docs",
    "Family",
    "Classic",
    "Action",
    "Gold",
    "One",
    "Two",
    "Xtra",
]
_CITIES = [
    "Chicago",
    "Boston",
    "Dallas",
    "Denver",
    "Miami",
    "Seattle",
    "Houston",
    "Atlanta",
    "Phoenix",
    "Detroit",
    "Tampa",
    "Austin",
    "Lyon",
    "Lille",
    "Madrid",
    "Sevilla",
    "Milano",
    "Napoli",
    "Berlin",
    "Hamburg",
    "Krakow",
    "Porto",
    "Izmir",
    "Ankara",
]
_QUALITY = ["", " HD", " FHD", " SD", " 4K", " HEVC", " (720p)", " ᴴᴰ"]


def catalogue_lines(n_entries: int, seed: int = 7) -> list[str]:
    """A big provider's full live catalogue: mostly distinct channels, each in 1-3 qualities.

    Names are made of syllables (distinct, and not close enough to each other to merge), in
    many countries, some local ("KAVORI 7 Denver"), some numbered event feeds ("PPV 1234"); two
    thirds carry a tvg-id. About 0.66 channels per entry.
    """
    import random

    rng = random.Random(seed)
    lines = ["#EXTM3U"]
    seen: set[tuple[str, str]] = set()
    count = 0
    serial = 0
    while count < n_entries:
        roll = rng.random()
        cc = rng.choice(_CC)
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).title()
        kind = rng.choice(_KINDS)
        if roll < 0.55:
            name = f"{word} {kind}"
        elif roll < 0.7:
            name = f"{word} {kind} {rng.randint(1, 9)}"
        elif roll < 0.82:
            name = f"{word.upper()[:4]} {rng.randint(2, 60)} {rng.choice(_CITIES)}"
        elif roll < 0.9:
            name = f"{rng.choice(('PPV', 'Event', 'Live Event', 'Match Centre'))} {serial + 1}"
        else:
            name = word
        if (cc, name.casefold()) in seen:
            continue
        seen.add((cc, name.casefold()))
        serial += 1
        tvg = "".join(c for c in name if c.isalnum()) + "." + cc.lower()
        group = f"{cc} | {kind if roll < 0.7 else 'General'}"
        copies = rng.choices((1, 2, 3), (55, 38, 7))[0]
        for quality in rng.sample(_QUALITY, copies):
            if count >= n_entries:
                break
            count += 1
            shown = f"{cc}: {name}{quality}"
            tvg_attr = tvg if serial % 3 else ""
            lines.append(
                f'#EXTINF:-1 tvg-id="{tvg_attr}" tvg-name="{shown}" '
                f'tvg-logo="http://cat.example/logo/{serial}.png" group-title="{group}",{shown}'
            )
            lines.append(f"http://cat.example/live/u/p/{count}.ts")
    return lines


def write_playlist(path: Path, entries: int, shape: str) -> None:
    if shape == "catalogue":
        path.write_text("\n".join(catalogue_lines(entries)) + "\n", encoding="utf-8")
        return
    from playlist_gen import write_m3u

    write_m3u(path, entries, seed=7)


def serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


async def child(db: str, url: str, entries: int, shape: str) -> dict[str, object]:
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
            error = None
            with StatementCounter(engine) as first_count:
                t0 = time.perf_counter()
                try:
                    first = await sync_provider(ctx, provider_id=pid)
                except Exception as exc:  # reported, not raised: the re-sync still runs
                    error = f"{type(exc).__name__}: {str(exc)[:200]}".splitlines()[0]
                first_s = time.perf_counter() - t0
            with StatementCounter(engine) as again_count:
                t0 = time.perf_counter()
                again = await sync_provider(ctx, provider_id=pid, force=True)
                again_s = time.perf_counter() - t0
        await engine.dispose()
        written = (
            again.streams_added
            + again.streams_updated
            + again.streams_removed
            + again.channels_created
        )
        first_part: dict[str, object]
        if error is not None:  # the failure: the sync committed, guide matching failed
            first_part = {"first_sync_error": error}
        else:
            assert first.status == "ok", first.message
            first_part = {"entries": first.entries, "channels": first.channels_created}
        return {
            "bench": "sync",
            "shape": shape,
            "db": db,
            **first_part,
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
    parser.add_argument("--shape", choices=["mixed", "catalogue"], default="mixed")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--child", choices=["sqlite", "postgres"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(args.child, args.url, args.entries, args.shape))
        print(json.dumps(result), flush=True)
        return

    with tempfile.TemporaryDirectory() as tmp:
        write_playlist(Path(tmp) / "big.m3u", args.entries, args.shape)
        server, base = serve(tmp)
        try:
            dbs = ([] if args.no_sqlite else ["sqlite"]) + (
                [] if args.no_postgres else ["postgres"]
            )
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
                        "--shape",
                        args.shape,
                    ],
                    check=True,
                    env=env,
                )
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
