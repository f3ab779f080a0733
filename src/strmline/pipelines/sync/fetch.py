"""Fetch: download and parse one provider's live list, then the guards that may refuse it.

A fetch that fails, or returns an empty, much shorter, absurdly longer, mostly duplicated or
cut-off list, changes nothing; the caller records why. Every download is bounded (uncompressed
bytes, compression ratio, entries, total time) by :func:`limits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import replace

from strmline.config import Settings, SyncSettings
from strmline.db.models import Provider
from strmline.formats.vodnames import looks_like_vod
from strmline.pipelines.context import PipelineContext
from strmline.providers.base import FetchResult, LiveItem
from strmline.providers.http import FetchLimits
from strmline.providers.local import LocalFiles
from strmline.providers.m3u import fetch_m3u
from strmline.services.providers import xtream_client

__all__ = [
    "fetch_provider",
    "fetch_with_progress",
    "growth_limit",
    "guards",
    "leave_vod",
    "limits",
    "refusal",
]


def growth_limit(last: int, sync: SyncSettings) -> int | None:
    """The most entries a list may have after a last good sync of ``last``; None: no limit."""
    if not last:
        return None
    return max(math.ceil(last * sync.growth_guard), last + sync.growth_min_entries)


def limits(provider: Provider, settings: Settings, *, force: bool = False) -> FetchLimits:
    """What one download of ``provider``'s list may cost.

    The growth guard also stops the download early: an endless list is refused at a few times
    the last good count, not at gigabytes. The last good count is of live entries, so when
    movies and episodes are left to the VOD sync only live-looking entries count toward it.
    """
    sync = settings.sync
    bounds = FetchLimits(
        max_bytes=sync.max_download_mb * 1_000_000,
        max_ratio=settings.http.max_compression_ratio,
        max_entries=sync.max_entries,
        max_seconds=settings.http.max_seconds,
    )
    last = provider.last_good_entries or 0
    grows = growth_limit(last, sync)
    if grows is None or force or grows >= sync.max_entries:
        return bounds
    counts = _is_live if provider.kind == "m3u" and provider.vod_detect else None
    return replace(
        bounds,
        max_entries=grows,
        counts=counts,
        entries_why=f"over {sync.growth_guard:g}x the last good sync's {last:,}; "
        "use --force to accept",
    )


def _is_live(item: LiveItem) -> bool:
    return looks_like_vod(item.name, item.group, item.url, item.attrs) is None


async def fetch_provider(
    provider: Provider,
    ctx: PipelineContext,
    on_progress: Callable[[int, int], None] | None,
    *,
    force: bool = False,
) -> FetchResult:
    bounds = limits(provider, ctx.settings, force=force)
    async with ctx.http_client() as client:
        if provider.kind == "xtream":
            xtream = xtream_client(provider, client)
            xtream.limits = bounds
            return await xtream.fetch_live(output=provider.output_format, on_progress=on_progress)
        return await fetch_m3u(
            client,
            [provider.url, *(provider.backup_urls or ())],
            user_agent=provider.user_agent,
            on_progress=on_progress,
            limits=bounds,
            local_files=LocalFiles.from_settings(ctx.settings),
        )


async def fetch_with_progress(
    provider: Provider, ctx: PipelineContext, *, force: bool = False
) -> FetchResult:
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
        return await fetch_provider(provider, ctx, on_progress, force=force)
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


def guards(provider: Provider, fetched: FetchResult, sync: SyncSettings, force: bool) -> str | None:
    """Every reason a fetched list must not replace the stored one (``force`` overrides all
    but the empty list), or None."""
    reason = _guard(provider, fetched, sync, force)
    return f"{fetched.source}: {reason}" if reason else None


def _guard(provider: Provider, fetched: FetchResult, sync: SyncSettings, force: bool) -> str | None:
    count = len(fetched.items)
    plain = refusal(provider, count, sync.shrink_guard, force)
    if plain or force:
        return plain
    last = provider.last_good_entries or 0
    dups = fetched.duplicates
    if fetched.cut_off:
        return f"{fetched.cut_off}; keeping the previous channels (use --force to accept)"
    if dups >= 100 and dups >= count * sync.duplicate_guard:
        return (
            f"{dups:,} of the {count:,} entries repeat an earlier entry exactly: "
            "a broken or hostile list; keeping the previous channels (use --force to accept)"
        )
    grows = growth_limit(last, sync)
    if grows is not None and count > grows:
        return (
            f"the provider returned {count:,} entries, more than {sync.growth_guard:g}x the last "
            f"good sync's {last:,}; keeping the previous channels (use --force to accept)"
        )
    return None
