"""Fetch: download and parse one provider's live list, then the guards that may refuse it.

A fetch that fails, or returns an empty or much shorter list than the last good sync, changes
nothing; the caller records why.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from strmline.db.models import Provider
from strmline.formats.vodnames import looks_like_vod
from strmline.pipelines.context import PipelineContext
from strmline.providers.base import FetchResult
from strmline.providers.m3u import fetch_m3u
from strmline.services.providers import xtream_client

__all__ = ["fetch_provider", "fetch_with_progress", "leave_vod", "refusal"]


async def fetch_provider(
    provider: Provider, ctx: PipelineContext, on_progress: Callable[[int, int], None] | None
) -> FetchResult:
    async with ctx.http_client() as client:
        if provider.kind == "xtream":
            xtream = xtream_client(provider, client)
            return await xtream.fetch_live(output=provider.output_format, on_progress=on_progress)
        return await fetch_m3u(
            client,
            [provider.url, *(provider.backup_urls or ())],
            user_agent=provider.user_agent,
            on_progress=on_progress,
        )


async def fetch_with_progress(provider: Provider, ctx: PipelineContext) -> FetchResult:
    """Fetch while a side task turns the parser's byte/entry counts into throttled reports."""
    latest = [0, 0]

    def on_progress(nbytes: int, entries: int) -> None:
        latest[0], latest[1] = nbytes, entries

    async def reporter() -> None:
        while True:
            await asyncio.sleep(0.5)
            await ctx.report(
                latest[1], None, f"downloading: {latest[0] / 1e6:.1f} MB, {latest[1]:,} entries"
            )

    task = asyncio.create_task(reporter())
    try:
        return await fetch_provider(provider, ctx, on_progress)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def leave_vod(provider: Provider, fetched: FetchResult) -> int:
    """Drop movies and episodes from an M3U list (they belong to the VOD sync); how many."""
    if provider.kind != "m3u" or not provider.vod_detect:
        return 0
    items = fetched.items
    live = [i for i in items if looks_like_vod(i.name, i.group, i.url, i.attrs) is None]
    fetched.items = live
    return len(items) - len(live)


def refusal(provider: Provider, count: int, shrink_guard: float, force: bool) -> str | None:
    """Why a fetched list of ``count`` entries must not replace the stored one, if it must not."""
    if count == 0:
        return "the provider returned an empty list; keeping the previous channels"
    last = provider.last_good_entries or 0
    if not force and last and count < last * shrink_guard:
        return (
            f"the provider returned {count:,} entries, fewer than {shrink_guard:.0%} of the last good "
            f"sync's {last:,}; keeping the previous channels (use --force to accept)"
        )
    return None
