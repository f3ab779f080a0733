"""Benchmark: how long and how much memory a provider's bad day costs before it is refused.

Starts the hostile provider (tests/hostile/server.py) and, for each bad day, downloads and parses
the provider's list in a fresh subprocess exactly as a sync does (the limits of
``pipelines/sync/fetch.limits`` with default settings, after a last good sync of 2,000 entries),
then prints one JSON line: day, outcome, seconds, peak RSS of that process. Asserts nothing
(DESIGN.md section 7).

    .venv/bin/python bench/hostile.py [--days endless,gzip_bomb,...] [--max-seconds 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.server import (  # noqa: E402
    GOOD_ENTRIES,
    M3U_DAYS,
    HostileServer,
    gzip_bomb,
    newline_bomb,
)

DEFAULT_DAYS = ["endless", "drip", "gzip_bomb", "gzip_bomb_encoded", "newline_bomb", "cut_off"]


async def _one(url: str, max_seconds: float, last_good: int) -> dict[str, object]:
    from strmline.config import Settings
    from strmline.db.models import Provider
    from strmline.errors import StrmlineError
    from strmline.pipelines.sync import fetch
    from strmline.providers.http import make_client
    from strmline.providers.m3u import fetch_m3u

    settings = Settings(http={"max_seconds": max_seconds})
    provider = Provider(kind="m3u", url=url, vod_detect=True, last_good_entries=last_good)
    limits = fetch.limits(provider, settings)
    started = time.monotonic()
    async with make_client() as client:
        try:
            result = await fetch_m3u(client, [url], limits=limits)
            outcome = f"accepted {len(result.items):,} entries"
            refusal = fetch.guards(provider, result, settings.sync, force=False)
            if refusal:
                outcome = f"refused by the guards: {refusal}"
        except StrmlineError as exc:
            outcome = str(exc)
    return {"seconds": round(time.monotonic() - started, 2), "outcome": outcome}


def child(url: str, max_seconds: float, last_good: int) -> None:
    out = asyncio.run(_one(url, max_seconds, last_good))
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", default=",".join(DEFAULT_DAYS))
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument(
        "--last-good", type=int, default=GOOD_ENTRIES, help="0: a first sync (no growth cap)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.max_seconds, args.last_good)
        return
    days = [d for d in args.days.split(",") if d in M3U_DAYS]
    gzip_bomb(), newline_bomb()  # compressed before any clock starts
    with HostileServer() as server:
        server.drip_seconds = 4.0
        for day in days:
            url = f"{server.url}/days/{day}.m3u"
            proc = subprocess.run(
                [
                    *(sys.executable, __file__, "--child", url),
                    *("--max-seconds", str(args.max_seconds), "--last-good", str(args.last_good)),
                ],
                capture_output=True,
                text=True,
                timeout=args.max_seconds + 120,
                check=False,
            )
            try:
                line = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                line = {"error": proc.stderr.strip().splitlines()[-1:]}
            record = {"bench": "hostile_fetch", "day": day, "last_good": args.last_good, **line}
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
