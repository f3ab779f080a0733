""".strm files that hold provider URLs carry the provider's headers the Kodi way when asked."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.engine import session_scope
from strmline.db.models import Provider
from strmline.demo import FakeProviderServer
from strmline.demo.provider import CDN_USER_AGENT
from strmline.formats.m3u import parse_lines
from strmline.pipelines.strm import generate_library
from strmline.pipelines.sync import sync_provider
from strmline.pipelines.vod import sync_vod
from strmline.services import providers as provider_service
from strmline.services import users as user_service
from tests.integration.test_vod_sync import add_xtream, make_ctx


async def _live_files(out: Path) -> dict[str, str]:
    return {p.stem: p.read_text() for p in (out / "Live TV").rglob("*.strm")}


async def test_live_and_vod_files_carry_kodi_headers_only_when_asked(
    session_factory: async_sessionmaker[AsyncSession],
    fake_provider: FakeProviderServer,
    tmp_path: Path,
) -> None:
    async with session_scope(session_factory) as s:
        await user_service.create(
            session=s, username="admin", password="long enough pass", role="admin"
        )
        spec = provider_service.ProviderCreate(
            name="cdn", kind="m3u", url=fake_provider.playlist_url("acme") + "?cdn=1"
        )
        m3u_id = (await provider_service.create(session=s, spec=spec)).id
    ctx = make_ctx(session_factory, tmp_path, url_mode="direct", live=True)
    assert (await sync_provider(ctx, provider_id=m3u_id)).status == "ok"
    xt_id = await add_xtream(session_factory, fake_provider)
    async with session_scope(session_factory) as s:
        await s.execute(update(Provider).where(Provider.id == xt_id).values(user_agent="Vod/3"))
    assert (await sync_vod(ctx, provider_id=xt_id)).status == "ok"

    plain = tmp_path / "plain"
    await generate_library(ctx, out=plain)
    files = await _live_files(plain)
    assert files and all("/cdn/acme/" in t and "|" not in t for t in files.values())

    ctx.settings.strm.kodi_headers = True
    kodi = tmp_path / "kodi"
    await generate_library(ctx, out=kodi)
    files = await _live_files(kodi)
    referer = quote(f"{fake_provider.url}/", safe="")
    suffix = f"|User-Agent={quote(CDN_USER_AGENT, safe='')}&Referer={referer}\n"
    assert files and all(t.endswith(suffix) for t in files.values()), next(iter(files.values()))
    # Kodi's own reading of the suffix: the URL and the headers, apart.
    (entry,) = parse_lines(["#EXTINF:-1,x", next(iter(files.values())).strip()])
    assert entry.url.startswith(f"{fake_provider.url}/cdn/acme/")
    assert dict(entry.headers) == {"User-Agent": CDN_USER_AGENT, "Referer": f"{fake_provider.url}/"}
    movie = next((kodi / "Movies").rglob("*.strm")).read_text()
    assert "/movie/acme/" in movie and movie.endswith("|User-Agent=Vod%2F3\n")

    # strmline's own /play URLs never get a suffix: strmline sends the headers itself.
    ctx.settings.strm.url_mode = "play"
    played = tmp_path / "played"
    await generate_library(ctx, out=played)
    files = await _live_files(played)
    assert files and all("/play/" in t and "|" not in t for t in files.values())
