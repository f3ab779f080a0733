"""The sync uses the built-in channel catalogue: aliases merge, new channels get its name,
country, category, logo and guide id; the provider's own values and the setting win."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.models import Channel, Stream
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from tests.dbutil import truncate_all
from tests.integration.test_sync import add_provider


async def _sync(
    factory: async_sessionmaker[AsyncSession], settings: Settings, name: str, body: str
) -> None:
    path = settings.data_dir / f"{name}.m3u"
    path.write_text("#EXTM3U\n" + body, encoding="utf-8")
    pid = await add_provider(factory, name=name, kind="m3u", url=str(path))
    ctx = PipelineContext(session_factory=factory, settings=settings)
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message


async def _channels(factory: async_sessionmaker[AsyncSession]) -> dict[str, Channel]:
    async with factory() as s:
        rows = (await s.execute(select(Channel))).scalars().all()
    return {c.name: c for c in rows}


async def test_aliases_merge_and_new_channels_take_the_catalogue_identity(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await truncate_all(engine)
    settings = Settings(data_dir=tmp_path)
    await _sync(
        session_factory,
        settings,
        "a",
        '#EXTINF:-1 group-title="Sport",FS2\nhttp://a.test/1.ts\n'
        '#EXTINF:-1 tvg-logo="http://mine.test/itv.png",UK: ITV\nhttp://a.test/2.ts\n'
        "#EXTINF:-1,Totally Unknown Local Channel 4711\nhttp://a.test/3.ts\n",
    )
    await _sync(
        session_factory,
        settings,
        "b",
        "#EXTINF:-1,Fox Sports 2 HD\nhttp://b.test/1.ts\n#EXTINF:-1,ITV1\nhttp://b.test/2.ts\n",
    )
    channels = await _channels(session_factory)
    assert set(channels) == {"Fox Sports 2", "ITV1", "Totally Unknown Local Channel 4711"}

    fox = channels["Fox Sports 2"]
    assert (fox.country, fox.tvg_id, fox.category) == ("US", "FoxSports2.us", "Sport")
    assert fox.logo and fox.logo.startswith("http")  # the catalogue's: the provider sent none
    itv = channels["ITV1"]
    assert itv.logo == "http://mine.test/itv.png"  # the provider's logo is kept
    assert (itv.country, itv.tvg_id, itv.category) == ("UK", "ITV1.uk", "General")
    unknown = channels["Totally Unknown Local Channel 4711"]
    assert unknown.logo is None and unknown.tvg_id is None

    async with session_factory() as s:
        rows = (await s.execute(select(Stream.name, Stream.merge_reason))).all()
        reasons = {name: reason for name, reason in rows}
    assert reasons["Fox Sports 2 HD"] == "catalogue: Fox Sports 2 (FoxSports2.us)"
    assert reasons["ITV1"] == "catalogue: ITV1 (ITV1.uk)"


async def test_the_setting_turns_the_catalogue_off(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await truncate_all(engine)
    settings = Settings(data_dir=tmp_path, match={"catalogue": False})
    await _sync(session_factory, settings, "a", "#EXTINF:-1,FS2\nhttp://a.test/1.ts\n")
    await _sync(session_factory, settings, "b", "#EXTINF:-1,Fox Sports 2\nhttp://b.test/1.ts\n")
    channels = await _channels(session_factory)
    assert set(channels) == {"FS2", "Fox Sports 2"}
    assert channels["FS2"].logo is None and channels["FS2"].tvg_id is None
