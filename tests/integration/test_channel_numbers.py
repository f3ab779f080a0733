"""Channel numbers are assigned once and stay put while other channels come and go."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.db.engine import create_engine, session_scope
from strmline.db.migrate import upgrade
from strmline.db.models import Channel, Provider, Stream
from strmline.demo import Catalog, FakeProviderServer
from strmline.errors import Conflict
from strmline.pipelines.sync import sync_provider
from strmline.services import curation, numbering
from strmline.services.tuning import format_number, iter_lineup, lineup_state
from tests.dbutil import StatementCounter, sqlite_url
from tests.integration.test_sync import add_m3u, make_ctx

Factory = async_sessionmaker[AsyncSession]


async def stored(factory: Factory) -> dict[str, tuple[int, float | None, str | None]]:
    """name → (id, number, source) of every channel."""
    async with factory() as s:
        rows = await s.execute(
            select(Channel.name, Channel.id, Channel.number, Channel.number_source)
        )
        return {name: (cid, number, source) for name, cid, number, source in rows}


async def lineup(factory: Factory) -> dict[int, str]:
    """channel id → the number the playlist outputs (M3U tvg-chno, HDHomeRun GuideNumber) show."""
    async with factory() as s:
        state = await lineup_state(s)
        out: dict[int, str] = {}
        async for page in iter_lineup(s, first_free_number=state.first_free_number):
            out.update((c.id, c.chno) for c in page)
        return out


def single_stream_channel(catalog: Catalog) -> int:
    """A stream id whose identity has no other stream, so removing it removes its channel."""
    by_identity: dict[str, list[int]] = {}
    for sid, c in sorted(catalog.live.items()):
        by_identity.setdefault(c.identity, []).append(sid)
    return next(ids[0] for ids in by_identity.values() if len(ids) == 1)


async def test_numbers_do_not_move_when_channels_come_and_go(
    fake_provider: FakeProviderServer, session_factory: Factory, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
    before = await stored(session_factory)
    shown_before = await lineup(session_factory)
    numbers = [n for _, n, _ in before.values()]
    assert None not in numbers and len(set(numbers)) == len(numbers)
    # The outputs show the stored numbers.
    assert shown_before == {
        cid: format_number(n or 0) for cid, n, _ in before.values() if cid in shown_before
    }

    catalog: Catalog = fake_provider.account("acme").catalog
    gone = catalog.remove_channel(single_stream_channel(catalog))
    # First by name: before, every channel numbered by name order moved up by one.
    catalog.add_channel("US: AAA First Channel")
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok" and result.channels_created == 1, result.message

    after = await stored(session_factory)
    shown_after = await lineup(session_factory)
    moved = {
        name: (before[name][1], after[name][1])
        for name in before
        if name in after and before[name][1] != after[name][1]
    }
    assert moved == {}
    changed_output = {
        cid: (shown_before[cid], shown_after.get(cid))
        for cid in shown_before
        if cid in shown_after and shown_before[cid] != shown_after[cid]
    }
    assert changed_output == {}
    assert not any(gone.name.endswith(name) for name in after if name not in before)
    new = after["AAA First Channel"]
    assert new[2] == numbering.AUTO and new[1] == max(n or 0 for _, n, _ in before.values()) + 1
    numbers = [n for _, n, _ in after.values()]
    assert len(set(numbers)) == len(numbers)


async def channel_of(factory: Factory, stream_name: str) -> int:
    async with factory() as s:
        return int(
            await s.scalar(  # type: ignore[arg-type]
                select(Stream.channel_id).where(
                    Stream.name == stream_name, Stream.removed_at.is_(None)
                )
            )
        )


def lone(catalog: Catalog, *, chno: bool, skip: tuple[int, ...] = ()) -> int:
    """A stream id that is its channel's only stream, with or without a tvg-chno."""
    counts: dict[str, int] = {}
    for c in catalog.live.values():
        counts[c.identity] = counts.get(c.identity, 0) + 1
    return next(
        sid
        for sid, c in sorted(catalog.live.items())
        if counts[c.identity] == 1 and (c.chno is not None) == chno and sid not in skip
    )


async def test_tvg_chno_wins_unless_set_by_hand(
    fake_provider: FakeProviderServer, session_factory: Factory, tmp_path: Path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    catalog: Catalog = fake_provider.account("acme").catalog
    await sync_provider(ctx, provider_id=pid)
    before = {cid: (n, src) for cid, n, src in (await stored(session_factory)).values()}
    with_chno = {c.chno for c in catalog.live.values() if c.chno is not None}
    assert {float(n) for n in with_chno} <= {n for n, _ in before.values()}

    # A new channel with a free tvg-chno takes it; one whose tvg-chno is taken gets the next
    # free number and takes nothing from the holder.
    catalog.add_channel("US: Lucky Seven", chno=777)
    # An automatically numbered channel that gets a tvg-chno takes it.
    auto_sid = lone(catalog, chno=False)
    auto_id = await channel_of(session_factory, catalog.live[auto_sid].name)
    assert before[auto_id][1] == numbering.AUTO
    catalog.live[auto_sid].chno = 888
    # A number set by hand stays, whatever tvg-chno the provider sends.
    hand_sid = lone(catalog, chno=True, skip=(auto_sid,))
    hand_id = await channel_of(session_factory, catalog.live[hand_sid].name)
    async with session_scope(session_factory) as s:
        await curation.edit(session=s, channel_id=hand_id, changes={"number": 5000})
    hand = catalog.live[hand_sid]
    taken = min(
        c.chno for c in catalog.live.values() if c.chno is not None and c.identity != hand.identity
    )
    catalog.add_channel("US: Latecomer", chno=taken)
    hand.chno = 999

    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    after = {cid: (n, src) for cid, n, src in (await stored(session_factory)).values()}
    names = await stored(session_factory)
    assert names["Lucky Seven"][1:] == (777.0, numbering.CHNO)
    assert names["Latecomer"][2] == numbering.AUTO and names["Latecomer"][1] != taken
    assert after[auto_id] == (888.0, numbering.CHNO)
    assert after[hand_id] == (5000.0, numbering.MANUAL)
    moved = {
        cid: (before[cid], after[cid])
        for cid in before
        if cid not in (auto_id, hand_id) and after[cid][0] != before[cid][0]
    }
    assert moved == {}

    # The provider renumbers a channel: the channel follows its own stream's tvg-chno.
    renumbered = lone(catalog, chno=True, skip=(hand_sid, auto_sid))
    renumbered_id = await channel_of(session_factory, catalog.live[renumbered].name)
    assert after[renumbered_id] == (float(catalog.live[renumbered].chno or 0), numbering.CHNO)
    catalog.live[renumbered].chno = 4321
    await sync_provider(ctx, provider_id=pid)
    again = {cid: (n, src) for cid, n, src in (await stored(session_factory)).values()}
    assert again[renumbered_id] == (4321.0, numbering.CHNO)

    # A number set by hand must be free.
    async with session_scope(session_factory) as s:
        with pytest.raises(Conflict):
            await curation.edit(session=s, channel_id=auto_id, changes={"number": 777})


@pytest.mark.parametrize("sizes", [(50, 1_500)])
async def test_numbering_statements_do_not_grow_with_channels(
    fake_provider: FakeProviderServer,
    session_factory: Factory,
    engine: AsyncEngine,
    tmp_path: Path,
    sizes: tuple[int, int],
) -> None:
    """A re-sync that adds channels and renumbers others issues as many statements for 50 as
    for 1,500 of them."""
    ctx = make_ctx(session_factory, tmp_path, batch_size=20_000)
    used = []
    for n in sizes:
        async with session_scope(session_factory) as s:
            for model in (Stream, Channel, Provider):
                await s.execute(delete(model))
        catalog = Catalog.generate(0, live=n, name_style="us_prefix")
        fake_provider.account("acme").catalog = catalog
        pid = await add_m3u(session_factory, fake_provider)
        assert (await sync_provider(ctx, provider_id=pid)).status == "ok"
        for i, c in enumerate(list(catalog.live.values())):
            if c.chno is None and i % 3 == 0:
                c.chno = 200_000 + i
        for i in range(n):
            catalog.add_channel(f"US: Added Channel {i}", chno=100_000 + i if i % 2 else None)
        with StatementCounter(engine) as counter:
            result = await sync_provider(ctx, provider_id=pid)
        assert result.status == "ok" and result.channels_created == n, result.message
        used.append(counter.count)
        async with session_factory() as s:
            total = await s.scalar(select(func.count()).select_from(Channel))
            distinct = await s.scalar(select(func.count(func.distinct(Channel.number))))
            assert total == distinct  # every channel numbered (NULLs are not counted), no twice
    small, large = used
    assert large == small, used


def test_plan_gives_free_numbers_only() -> None:
    held = {
        1: numbering.Held(5.0, numbering.CHNO),
        2: numbering.Held(6.0, numbering.AUTO),
        3: numbering.Held(None, None),
        4: numbering.Held(9.0, numbering.MANUAL),
    }
    claims = [
        numbering.Claim(2, 5.0),  # taken by channel 1
        numbering.Claim(2, 7.0),
        numbering.Claim(1, 8.0),  # channel 1 has a tvg-chno number from another stream
        numbering.Claim(4, 1.0),  # set by hand
    ]
    out = numbering.plan(held, claims, [(7.0, "b"), (None, "z"), (None, "a")], start=1)
    assert out.changes == {2: (7.0, "chno"), 3: (10.0, "auto")}
    assert out.new == [(12.0, "auto"), (13.0, "auto"), (11.0, "auto")]
    started = numbering.plan({}, [], [(None, "a")], start=10_000)
    assert started.new == [(10_000.0, "auto")]


async def test_migration_stores_the_numbers_the_outputs_showed(tmp_path: Path) -> None:
    """Upgrading keeps every number media servers saw; clashes are settled once."""
    engine = create_engine(sqlite_url(tmp_path / "old.db"))
    try:
        await upgrade(engine, "search_trgm")
        # (id, name, number, enabled, stream_count, manual)
        channels = [
            (1, "alpha", 5.0, True, 1, False),
            (2, "bravo", 5.0, True, 1, False),  # shares 5 with alpha, which comes first
            (3, "charlie", None, True, 1, False),  # shown as 6: after the highest, by name
            (4, "delta", None, True, 2, False),  # shown as 7
            (5, "echo", 7.0, False, 1, False),  # disabled, clashes with delta's 7
            (6, "foxtrot", None, False, 1, False),  # disabled, never shown
            (7, "golf", 100.0, True, 0, True),  # no streams, numbered by hand
        ]
        async with engine.begin() as conn:
            for cid, name, number, enabled, count, manual in channels:
                await conn.execute(
                    text(
                        "INSERT INTO channels (id, name, search_name, match_key, number, "
                        "epg_manual, enabled, manual, stream_count, active_stream_count, "
                        "created_at, updated_at) VALUES (:id, :name, :name, :name, :number, "
                        "false, :enabled, :manual, :count, :count, :now, :now)"
                    ),
                    {
                        "id": cid,
                        "name": name,
                        "number": number,
                        "enabled": enabled,
                        "manual": manual,
                        "count": count,
                        "now": "2026-12-01 00:00:00.000000",
                    },
                )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT id, number, number_source FROM channels ORDER BY id")
            )
            got = {cid: (number, source) for cid, number, source in rows}
    finally:
        await engine.dispose()
    assert got == {
        1: (5.0, "chno"),
        2: (101.0, "auto"),
        3: (6.0, "auto"),
        4: (7.0, "auto"),
        5: (102.0, "auto"),
        6: (103.0, "auto"),
        7: (100.0, "manual"),
    }
