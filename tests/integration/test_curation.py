"""A person's curation survives re-syncs of the provider, forced or not, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Stream
from strmline.demo import Catalog, FakeProviderServer
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from strmline.services import curation
from strmline.services import providers as provider_service


def make_ctx(factory: async_sessionmaker[AsyncSession], tmp_path: Path) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path, sync={"batch_size": 500}, http={"timeout": 5, "connect_timeout": 2}
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def add_provider(factory: async_sessionmaker[AsyncSession], **kw: Any) -> int:
    spec = provider_service.ProviderCreate(**kw)
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def multi_stream_channels(factory: async_sessionmaker[AsyncSession]) -> list[list[int]]:
    """Stream ids (rank order) of every channel with two or more live streams."""
    async with factory() as s:
        rows = await s.execute(
            select(Stream.channel_id, Stream.id)
            .join(Channel, Channel.id == Stream.channel_id)
            .where(Channel.stream_count > 1, Stream.removed_at.is_(None))
            .order_by(Stream.channel_id, Stream.rank)
        )
        by_channel: dict[int, list[int]] = {}
        for channel_id, stream_id in rows:
            by_channel.setdefault(channel_id, []).append(stream_id)
    return list(by_channel.values())


async def single_stream_channels(factory: async_sessionmaker[AsyncSession]) -> list[int]:
    async with factory() as s:
        rows = await s.scalars(
            select(Channel.id).where(Channel.stream_count == 1).order_by(Channel.id)
        )
        return list(rows)


async def state(factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """What curation decided: where each stream sits and its pin, and the channels' own fields."""
    async with factory() as s:
        streams = {
            sid: (channel_id, pinned, override, method)
            for sid, channel_id, pinned, override, method in await s.execute(
                select(
                    Stream.id,
                    Stream.channel_id,
                    Stream.pinned_rank,
                    Stream.manual_override,
                    Stream.merge_method,
                )
            )
        }
        channels = {
            cid: (name, number, manual)
            for cid, name, number, manual in await s.execute(
                select(Channel.id, Channel.name, Channel.number, Channel.manual)
            )
        }
    return {"streams": streams, "channels": channels}


async def curate(
    factory: async_sessionmaker[AsyncSession], multi: list[list[int]], single: list[int]
) -> dict[str, int]:
    """One of each curation on distinct channels; returns the ids the checks need."""
    a_moved, c_split, f_second = (streams[1] for streams in multi[:3])
    d, e, g = single[:3]
    async with session_scope(factory) as s:
        a = await s.scalar(select(Stream.channel_id).where(Stream.id == a_moved))
        c = await s.scalar(select(Stream.channel_id).where(Stream.id == c_split))
        assert a is not None and c is not None
        await curation.move_stream(
            session=s, channel_id=a, stream_id=a_moved, to_channel_id=g, username="admin"
        )
        split_id = await curation.split(
            session=s, channel_id=c, stream_ids=[c_split], name="My Split", username="admin"
        )
        await curation.merge(session=s, channel_id=d, other_id=e, username="admin")
        await curation.pin(session=s, stream_id=f_second, rank=1)
        await curation.edit(
            session=s, channel_id=g, changes={"name": "Renamed By Hand", "number": 999.0}
        )
    return {
        "moved": a_moved,
        "target": g,
        "split_stream": c_split,
        "split_channel": split_id,
        "merged_into": d,
        "merged_away": e,
        "pinned": f_second,
    }


async def check(factory: async_sessionmaker[AsyncSession], ids: dict[str, int]) -> None:
    async with factory() as s:
        moved = await s.get(Stream, ids["moved"])
        assert moved is not None and moved.channel_id == ids["target"]
        assert moved.manual_override and moved.merge_method == "manual"
        assert moved.merge_reason == "moved by admin"
        split = await s.get(Stream, ids["split_stream"])
        assert split is not None and split.channel_id == ids["split_channel"]
        split_channel = await s.get(Channel, ids["split_channel"])
        assert split_channel is not None and split_channel.name == "My Split"
        assert split_channel.manual and split_channel.stream_count == 1
        assert await s.get(Channel, ids["merged_away"]) is None
        merged = await s.get(Channel, ids["merged_into"])
        assert merged is not None and merged.stream_count == 2
        pinned = await s.get(Stream, ids["pinned"])
        assert pinned is not None and pinned.pinned_rank == 1 and pinned.rank == 1
        target = await s.get(Channel, ids["target"])
        assert target is not None and target.name == "Renamed By Hand" and target.number == 999
        assert target.manual and target.stream_count == 2


async def test_curation_survives_m3u_resync(
    fake_provider: FakeProviderServer,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_provider(
        session_factory, name="acme", kind="m3u", url=fake_provider.playlist_url("acme")
    )
    assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
    multi = await multi_stream_channels(session_factory)
    single = await single_stream_channels(session_factory)
    assert len(multi) >= 3 and len(single) >= 3
    ids = await curate(session_factory, multi, single)
    await check(session_factory, ids)
    curated = await state(session_factory)

    # Every curated entry changes upstream (a new logo: same key, new content), and a channel
    # arrives that matches nothing, so the sync really rewrites rows and re-ranks.
    catalog: Catalog = fake_provider.account("acme").catalog
    for entry in catalog.live.values():
        entry.logo = f"http://logos.test/{entry.stream_id}.png"
    catalog.add_channel("US: Brand New Channel HD")
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok" and result.streams_updated > 0, result.message
    await check(session_factory, ids)

    forced = await sync_provider(ctx, provider_id=pid, force=True)
    assert forced.status in ("ok", "unchanged"), forced.message
    await check(session_factory, ids)
    after = await state(session_factory)
    for sid, placed in curated["streams"].items():
        assert after["streams"][sid] == placed, sid
    for cid, fields in curated["channels"].items():
        assert after["channels"][cid] == fields, cid


async def test_moved_stream_stays_when_the_provider_renames_it(
    fake_provider: FakeProviderServer,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """Xtream keys streams by id, so a rename would send the stream to the matcher again."""
    ctx = make_ctx(session_factory, tmp_path)
    account = fake_provider.account("globex")
    pid = await add_provider(
        session_factory,
        name="xc-globex",
        kind="xtream",
        url=fake_provider.url,
        username="globex",
        password=account.password,
    )
    assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
    single = await single_stream_channels(session_factory)
    async with session_scope(session_factory) as s:
        stream = (
            await s.execute(select(Stream).where(Stream.channel_id == single[0]))
        ).scalar_one()
        key, source = stream.provider_key, stream.channel_id
        await curation.move_stream(
            session=s,
            channel_id=source,
            stream_id=stream.id,
            to_channel_id=single[1],
            username="admin",
        )
        other = (await s.execute(select(Stream).where(Stream.channel_id == single[2]))).scalar_one()
        other_key, other_channel = other.provider_key, other.channel_id
    catalog: Catalog = account.catalog
    # Renamed into an identity the matcher would otherwise give a channel of its own.
    catalog.rename_channel(int(key), "Completely Different Name HD")
    catalog.rename_channel(int(other_key), "Another Different Name HD")
    for force in (False, True):
        result = await sync_provider(ctx, provider_id=pid, force=force)
        assert result.status in ("ok", "unchanged"), result.message
        async with session_factory() as s:
            moved = (await s.execute(select(Stream).where(Stream.provider_key == key))).scalar_one()
            assert moved.channel_id == single[1] and moved.name == "Completely Different Name HD"
            # The control: a stream nobody curated does follow its new name.
            control = (
                await s.execute(select(Stream).where(Stream.provider_key == other_key))
            ).scalar_one()
            assert control.channel_id != other_channel
            assert await s.scalar(
                select(func.count()).select_from(Channel).where(Channel.id == single[1])
            )
