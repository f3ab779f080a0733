"""Where a source's guide comes from (URL, file, provider) and fetching it to a local file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import EpgSource, Provider
from strmline.errors import NotFound, ProviderUnavailable, StrmlineError
from strmline.formats.redact import redact_text
from strmline.formats.xtream import xmltv_url
from strmline.pipelines.context import PipelineContext
from strmline.providers import epg as epg_fetch
from strmline.providers.local import LocalFiles, is_local


async def resolve_url(session: AsyncSession, source: EpgSource) -> tuple[str, list[str]]:
    """The URL to fetch (credentials included) and the secrets to hide in messages."""
    if source.kind in ("xtream", "m3u_header"):
        provider = await session.get(Provider, source.provider_id) if source.provider_id else None
        if provider is None:
            raise NotFound("the provider of this guide source no longer exists")
        secrets = [s for s in (provider.password, provider.username) if s]
        if source.kind == "xtream":
            url = xmltv_url(provider.url, provider.username or "", provider.password or "")
            return url, secrets
        if not provider.epg_url:
            raise NotFound("the provider's playlist no longer names a guide (x-tvg-url)")
        if is_local(provider.epg_url) and not is_local(provider.url):
            # A downloaded playlist must not make the server read its own files.
            raise ProviderUnavailable(
                "the playlist names a local file as its guide (x-tvg-url); "
                "only a local playlist may do that"
            )
        return provider.epg_url, secrets
    return source.url, []


def failure_message(name: str, shown: str, exc: StrmlineError, secrets: list[str]) -> str:
    """ "NAME (URL): reason", the URL redacted and named once."""
    reason = redact_text(str(exc), secrets)
    for prefix in (f"{shown}: ", f"{exc.source}: " if exc.source else None):
        if prefix and reason.startswith(prefix):
            reason = reason[len(prefix) :]
    return f"{name} ({shown}): {reason}"


async def fetch_guide(
    ctx: PipelineContext, url: str, secrets: list[str], tmp: Path, name: str
) -> tuple[Path, str]:
    if not epg_fetch.is_remote(url):
        path = epg_fetch.local_path(url, LocalFiles.from_settings(ctx.settings))
        return path, await asyncio.to_thread(epg_fetch.file_hash, path)
    latest = [0]
    async with ctx.http_client() as client:
        path = tmp / "guide"
        digest = await epg_fetch.download(
            client,
            url,
            path,
            max_bytes=ctx.settings.epg.max_download_mb * 1_000_000,
            secrets=secrets,
            on_progress=lambda n: latest.__setitem__(0, n),
            max_seconds=ctx.settings.http.max_seconds,
        )
        await ctx.report(0, None, f"{name}: downloaded {latest[0] / 1e6:.1f} MB")
        return path, digest
