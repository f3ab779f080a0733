"""Guide import, swap, matching and reads on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.models import Channel, EpgChannel, EpgProgramme, EpgProgrammeStaging, Provider
from strmline.formats.xmltv import channel_element, programme_element
from strmline.pipelines import epg
from strmline.pipelines.context import PipelineContext
from strmline.services import epg_guide, epg_match, epg_sources
from tests.dbutil import StatementCounter

NOW = datetime(2021, 3, 28, 1, 15, tzinfo=UTC)


def _ctx(factory: async_sessionmaker[AsyncSession], tmp_path: Path) -> PipelineContext:
    return PipelineContext(session_factory=factory, settings=Settings(data_dir=tmp_path))


async def _source(factory: async_sessionmaker[AsyncSession], path: Path) -> int:
    async with factory() as session, session.begin():
        source = await epg_sources.create(session=session, url=str(path))
        return source.id


async def _count(factory: async_sessionmaker[AsyncSession], model: type) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _titles(
    factory: async_sessionmaker[AsyncSession], xmltv_id: str
) -> list[tuple[object, ...]]:
    async with factory() as session:
        rows = await session.execute(
            select(EpgProgramme.title, EpgProgramme.start, EpgProgramme.stop)
            .join(EpgChannel, EpgChannel.id == EpgProgramme.epg_channel_id)
            .where(EpgChannel.xmltv_id == xmltv_id)
            .order_by(EpgProgramme.start)
        )
        return [tuple(r) for r in rows]


async def test_nasty_import_repairs_times(
    session_factory: async_sessionmaker[AsyncSession], fixtures_dir: Path, tmp_path: Path
) -> None:
    sid = await _source(session_factory, fixtures_dir / "xmltv" / "nasty.xml")
    result = await epg.import_source(_ctx(session_factory, tmp_path), source_id=sid, now=NOW)
    assert result.status == "ok", result.message

    def t(h: int, m: int = 0) -> datetime:
        return datetime(2021, 3, 28, h, m, tzinfo=UTC)

    assert await _titles(session_factory, "dst.test") == [
        ("Across the change", t(0, 30), t(1)),
        ("No stop: ends at the next start", t(1), t(2)),
        ("Café & croissants é", t(2), t(3)),
        ("Stop before start", t(3), t(4)),  # repaired: ends where the next one starts
        ("Last", t(4), t(5)),
    ]
    # "Starts inside the previous" trims "Long one"; the next has the same start, so it goes.
    assert await _titles(session_factory, "overlap.test") == [
        ("Long one", t(0), t(1)),
        ("Duplicate start", t(1), t(1, 30)),
    ]
    # Each of the 12 programme elements is counted once: kept (9), or under one drop reason.
    assert result.read == 12
    assert result.dropped == {
        "duplicate_start": 1,  # "Starts inside the previous"
        "no_channel_or_start": 1,  # "Unreadable start"
        "no_stop": 1,  # "Null stop, last one"
    }
    assert result.programmes == 9 == result.read - sum(result.dropped.values())
    # Repairs count kept programmes only, each under its first repair.
    assert result.repaired == {"overlap_trimmed": 1, "stop_before_start": 1}


async def test_failed_import_keeps_previous_guide(
    session_factory: async_sessionmaker[AsyncSession], fixtures_dir: Path, tmp_path: Path
) -> None:
    guide = tmp_path / "guide.xml"
    shutil.copy(fixtures_dir / "xmltv" / "nasty.xml", guide)
    sid = await _source(session_factory, guide)
    ctx = _ctx(session_factory, tmp_path)
    assert (await epg.import_source(ctx, source_id=sid, now=NOW)).status == "ok"
    before = await _count(session_factory, EpgProgramme)
    assert before > 0
    shutil.copy(fixtures_dir / "xmltv" / "truncated.xml", guide)
    failed = await epg.import_source(ctx, source_id=sid, now=NOW)
    assert failed.status == "failed"
    assert "guide.xml" in failed.message and "line" in failed.message
    assert await _count(session_factory, EpgProgramme) == before
    assert await _count(session_factory, EpgProgrammeStaging) == 0
    guide.write_bytes(b"<html>oops</html>")
    assert (await epg.import_source(ctx, source_id=sid, now=NOW)).status == "failed"
    assert await _count(session_factory, EpgProgramme) == before


async def test_real_guides_import(
    session_factory: async_sessionmaker[AsyncSession], shared_data: Path, tmp_path: Path
) -> None:
    ctx = _ctx(session_factory, tmp_path)
    ctx.settings.epg.past_days = 100_000  # the files are from 2021 and 2024: no retention
    ctx.settings.epg.future_days = 100_000
    expected = {  # README counts minus documented drops
        "tvguide.co.uk.xml": 534,  # 538 <channel>, 4 duplicate ids
        "programme-tv.net.xml": 273,
        "tv.yandex.ru.xml": 14,
        "ontvtonight.com.xml": 98,
        "tvplus.com.tr.xml": 144,
    }
    programmes = {
        "programme-tv.net.xml": 9204,
        "tv.yandex.ru.xml": 516,
        "ontvtonight.com.xml": 2691 - 98,
        "tvplus.com.tr.xml": 4525,
    }
    for name, channels in expected.items():
        sid = await _source(session_factory, shared_data / "iptv-org/epg/guides" / name)
        result = await epg.import_source(ctx, source_id=sid, now=datetime(2021, 3, 12, tzinfo=UTC))
        assert result.status == "ok", result.message
        assert result.channels == channels, name
        if name in programmes:
            assert result.programmes == programmes[name], (name, result.dropped)
        else:  # every stop "null": each one ends at the next; the last per channel goes
            assert result.programmes > 7000


async def _channel(session: AsyncSession, name: str, tvg_id: str | None = None) -> int:
    ch = Channel(
        name=name,
        search_name=epg_match.name_key(name),
        match_key=name.lower(),
        tvg_id=tvg_id,
        enabled=True,
        stream_count=1,
        active_stream_count=1,
    )
    session.add(ch)
    await session.flush()
    return ch.id


async def test_matching_and_manual_assignment(
    session_factory: async_sessionmaker[AsyncSession], fixtures_dir: Path, tmp_path: Path
) -> None:
    async with session_factory() as session, session.begin():
        by_id = await _channel(session, "Whatever", tvg_id="dst.test")
        by_name = await _channel(session, "News & Weather")
        fuzzy = await _channel(session, "Overlap Tests")
        manual = await _channel(session, "Overlap Test")
        none = await _channel(session, "Completely Different")
    sid = await _source(session_factory, fixtures_dir / "xmltv" / "nasty.xml")
    ctx = _ctx(session_factory, tmp_path)
    await epg.import_source(ctx, source_id=sid, now=NOW)
    async with session_factory() as session, session.begin():
        zone = await epg_match.find_guide_channel(session, "named.zone")
        await epg_match.assign(
            session=session, channel_id=manual, epg_channel_id=zone, threshold=88
        )
    await epg.import_source(ctx, source_id=sid, now=NOW, force=True)
    async with session_factory() as session:
        rows = {r.id: r for r in (await session.execute(select(Channel))).scalars()}
        ids = {r.xmltv_id: r.id for r in (await session.execute(select(EpgChannel))).scalars()}
    assert (
        rows[by_id].epg_match_method == "tvg_id" and rows[by_id].epg_channel_id == ids["dst.test"]
    )
    assert rows[by_name].epg_match_method == "name"
    assert (
        rows[fuzzy].epg_match_method == "fuzzy"
        and rows[fuzzy].epg_channel_id == ids["overlap.test"]
    )
    assert rows[manual].epg_manual and rows[manual].epg_channel_id == ids["named.zone"]
    assert rows[none].epg_channel_id is None
    async with session_factory() as session:
        items, _ = await epg_guide.unmatched_page(session, after_id=None, limit=10)
    assert [i["channel_id"] for i in items] == [none]
    assert 1 <= len(items[0]["suggestions"]) <= 3


async def test_now_next_and_guide_statements_are_constant(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    fixtures_dir: Path,
    tmp_path: Path,
) -> None:
    sid = await _source(session_factory, fixtures_dir / "xmltv" / "nasty.xml")
    await epg.import_source(_ctx(session_factory, tmp_path), source_id=sid, now=NOW)
    counts = []
    for n in (3, 30):
        async with session_factory() as session, session.begin():
            ids = [await _channel(session, f"dst {n} {i}", tvg_id="dst.test") for i in range(n)]
            await epg_match.match_channels(session, threshold=88)
        async with session_factory() as session:
            with StatementCounter(engine) as counter:
                rows = await epg_guide.now_next(session, now=NOW, channel_ids=ids)
                await epg_guide.guide_page(
                    session, start=NOW, end=NOW + timedelta(hours=3), after_id=None, limit=100
                )
            counts.append(counter.count)
        assert len(rows) == n
        assert rows[0].now is not None and rows[0].now.title == "No stop: ends at the next start"
        assert rows[0].next is not None and rows[0].next.title == "Café & croissants é"
    assert counts[0] == counts[1] <= 3


async def test_drop_counts_of_a_real_guide_add_up_to_the_file(
    session_factory: async_sessionmaker[AsyncSession], shared_data: Path, tmp_path: Path
) -> None:
    # tvguide.co.uk.xml: 9,482 programmes, repeated channel ids (out of order), no stops,
    # many outside the default retention window. The counters once summed to 9,781.
    guide = shared_data / "iptv-org/epg/guides/tvguide.co.uk.xml"
    sid = await _source(session_factory, guide)
    ctx = _ctx(session_factory, tmp_path)
    result = await epg.import_source(ctx, source_id=sid, now=datetime(2021, 3, 12, tzinfo=UTC))
    assert result.status == "ok", result.message
    assert result.read == guide.read_bytes().count(b"<programme ") == 9482
    assert result.programmes + sum(result.dropped.values()) == result.read, result.dropped
    assert sum(result.repaired.values()) <= result.programmes
    assert result.dropped["outside_retention"] > 0 and result.repaired["out_of_order"] > 0


async def test_unchanged_import_prunes_ended_programmes(
    session_factory: async_sessionmaker[AsyncSession], fixtures_dir: Path, tmp_path: Path
) -> None:
    sid = await _source(session_factory, fixtures_dir / "xmltv" / "nasty.xml")
    ctx = _ctx(session_factory, tmp_path)
    first = await epg.import_source(ctx, source_id=sid, now=NOW)
    assert first.programmes == await _count(session_factory, EpgProgramme) == 9
    # A day and three hours later the window starts at 04:15 UTC on the 28th: what ended
    # before goes, although the file has not changed.
    later = NOW + timedelta(days=1, hours=3)
    again = await epg.import_source(ctx, source_id=sid, now=later)
    assert again.status == "unchanged"
    left = await _count(session_factory, EpgProgramme)
    assert again.pruned == 9 - left > 0
    assert again.programmes == left
    async with session_factory() as session:
        source = await epg_sources.get(session=session, source_id=sid)
        assert source.programme_count == left


def _xml(channels: dict[str, list[str]]) -> bytes:
    """A small guide: channel id → titles of hour-long programmes from NOW on."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n']
    for ident in channels:
        parts.append(channel_element(ident, [ident.split(".")[0].title()], None))
    for ident, titles in channels.items():
        for i, title in enumerate(titles):
            start = NOW + timedelta(hours=i)
            parts.append(programme_element(ident, start, start + timedelta(hours=1), title))
    parts.append("</tv>\n")
    return "".join(parts).encode()


async def _linked(factory: async_sessionmaker[AsyncSession], channel_id: int) -> int | None:
    async with factory() as session:
        return await session.scalar(select(Channel.epg_channel_id).where(Channel.id == channel_id))


async def _guide_of(
    factory: async_sessionmaker[AsyncSession], source_id: int, xmltv_id: str
) -> int:
    async with factory() as session:
        found = await session.scalar(
            select(EpgChannel.id).where(
                EpgChannel.source_id == source_id, EpgChannel.xmltv_id == xmltv_id
            )
        )
    assert found is not None
    return int(found)


async def _prioritised(factory: async_sessionmaker[AsyncSession], path: Path, priority: int) -> int:
    async with factory() as session, session.begin():
        return (await epg_sources.create(session=session, url=str(path), priority=priority)).id


async def test_matching_prefers_a_source_with_programmes(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    empty, full = tmp_path / "empty.xml", tmp_path / "full.xml"
    empty.write_bytes(_xml({"news.test": [], "sport.test": ["Match"]}))
    full.write_bytes(_xml({"news.test": ["Headlines", "Weather"]}))
    async with session_factory() as session, session.begin():
        by_id = await _channel(session, "Something", tvg_id="news.test")
        by_name = await _channel(session, "News")
    ctx = _ctx(session_factory, tmp_path)
    high = await _prioritised(session_factory, empty, 10)
    low = await _prioritised(session_factory, full, 0)
    assert (await epg.import_source(ctx, source_id=high, now=NOW)).status == "ok"
    assert (await epg.import_source(ctx, source_id=low, now=NOW)).status == "ok"
    # The higher-priority source declares news.test but has nothing to show for it.
    wanted = await _guide_of(session_factory, low, "news.test")
    assert await _linked(session_factory, by_id) == wanted
    assert await _linked(session_factory, by_name) == wanted
    async with session_factory() as session:
        now = await epg_guide.now_next(session, now=NOW, channel_ids=[by_id])
    assert now[0].now is not None and now[0].now.title == "Headlines"


async def test_every_import_rematches_even_an_unchanged_one(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    first, second = tmp_path / "first.xml", tmp_path / "second.xml"
    first.write_bytes(_xml({"news.test": ["From first"]}))
    second.write_bytes(_xml({"news.test": ["From second"]}))
    async with session_factory() as session, session.begin():
        channel = await _channel(session, "Something", tvg_id="news.test")
    ctx = _ctx(session_factory, tmp_path)
    high = await _prioritised(session_factory, first, 10)
    low = await _prioritised(session_factory, second, 0)
    await epg.import_source(ctx, source_id=high, now=NOW)
    await epg.import_source(ctx, source_id=low, now=NOW)
    assert await _linked(session_factory, channel) == await _guide_of(
        session_factory, high, "news.test"
    )
    async with session_factory() as session, session.begin():
        source = await epg_sources.get(session=session, source_id=high)
        await epg_sources.delete_source(session=session, source=source)  # no re-match here
    assert await _linked(session_factory, channel) is None
    again = await epg.import_source(ctx, source_id=low, now=NOW)
    assert again.status == "unchanged" and again.matched == 1
    assert await _linked(session_factory, channel) == await _guide_of(
        session_factory, low, "news.test"
    )


async def test_a_failed_source_is_named_with_its_redacted_url(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with session_factory() as session, session.begin():
        provider = Provider(
            name="Zeta",
            kind="xtream",
            url="http://127.0.0.1:9",
            username="bob",
            password="s3cret-pw",
        )
        session.add(provider)
        await session.flush()
        await epg_sources.ensure_auto_sources(session, Settings(data_dir=tmp_path))
        local = tmp_path / "ok.xml"
        local.write_bytes(_xml({"a.test": ["A"]}))
        await epg_sources.create(session=session, url=str(local), name="Local")
    ctx = _ctx(session_factory, tmp_path)
    result = await epg.epg_import_job(ctx)  # every enabled source: one fails, one works
    message = result["message"]
    assert "Zeta guide (http://127.0.0.1:9/xmltv.php?username=***&password=***):" in message
    assert "s3cret-pw" not in message and "bob" not in message
    failed = [s for s in result["sources"] if s["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["message"] in message
    auto = failed[0]["source_id"]
    with pytest.raises(epg.EpgImportFailed) as raised:
        await epg.epg_import_job(ctx, source_id=auto)
    assert str(raised.value).startswith("Zeta guide (http://127.0.0.1:9/xmltv.php?username=***")
    assert "s3cret-pw" not in str(raised.value)


def _named_guide(channels: dict[str, str]) -> bytes:
    """A guide of channel id → display name, one programme each from NOW on."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n']
    parts += [channel_element(ident, [name], None) for ident, name in channels.items()]
    parts += [
        programme_element(ident, NOW, NOW + timedelta(hours=1), f"On {name}")
        for ident, name in channels.items()
    ]
    parts.append("</tv>\n")
    return "".join(parts).encode()


async def test_matching_never_links_across_countries_by_name(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    guide = tmp_path / "world.xml"
    guide.write_bytes(
        _named_guide(
            {
                "DemainTV.fr": "Demain TV",
                "TV3.uk": "TV3",
                "MTV.uk": "MTV",
                "ChannelS.uk": "Channel S",
                "BBCOne.uk": "BBC One",
                "AmgaTV.am": "Amga TV",
            }
        )
    )
    wanted = {  # channel (name, tvg-id, country column) → guide channel, or None
        ("Demais TV", "DemaisTV.br", None): None,
        ("BR: Demais TV", None, None): None,
        ("TV3", "TV3.es", None): None,
        ("TV3", None, "ES"): None,
        ("MTV India", None, None): None,
        ("Channel Y", None, None): None,
        ("AMG TV", "AMGTV.us", None): None,
        ("FR: Demain TV HD", None, None): "DemainTV.fr",
        ("UK: TV3", None, None): "TV3.uk",
        ("MTV", None, "UK"): "MTV.uk",
        ("BBC One", None, None): "BBCOne.uk",
        ("Demain TV", "DemainTV.fr", None): "DemainTV.fr",
    }
    made: dict[tuple[str, str | None, str | None], int] = {}
    async with session_factory() as session, session.begin():
        for name, tvg_id, country in wanted:
            made[(name, tvg_id, country)] = channel = await _channel(session, name, tvg_id)
            await session.execute(
                update(Channel).where(Channel.id == channel).values(country=country)
            )
    sid = await _source(session_factory, guide)
    result = await epg.import_source(_ctx(session_factory, tmp_path), source_id=sid, now=NOW)
    assert result.status == "ok", result.message
    async with session_factory() as session:
        ids = {r.id: r.xmltv_id for r in (await session.execute(select(EpgChannel))).scalars()}
        links = {
            r[0]: r[1] for r in await session.execute(select(Channel.id, Channel.epg_channel_id))
        }
    got = {key: ids.get(links[made[key]]) if links[made[key]] else None for key in wanted}
    assert got == wanted

    # Unmatched channels list their best candidates, each with a score.
    async with session_factory() as session:
        items, _ = await epg_guide.unmatched_page(session, after_id=None, limit=50)
    by_id = {i["channel_id"]: i for i in items}
    demais = by_id[made[("BR: Demais TV", None, None)]]["suggestions"]
    assert demais and demais[0]["xmltv_id"] == "DemainTV.fr" and 80 <= demais[0]["score"] < 100
    assert demais[0]["country"] == "FR"
    assert all(isinstance(s["score"], int) for i in items for s in i["suggestions"])


async def test_matching_a_set_of_channels_binds_no_list_of_ids(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    guide = tmp_path / "g.xml"
    guide.write_bytes(_named_guide({"Alpha.uk": "Alpha", "Beta.uk": "Beta"}))
    sid = await _source(session_factory, guide)
    await epg.import_source(_ctx(session_factory, tmp_path), source_id=sid, now=NOW)
    sizes: list[tuple[int, int]] = []
    for n in (3, 300):
        async with session_factory() as session, session.begin():
            ids = [await _channel(session, "Alpha" if i % 2 else "UK: Beta") for i in range(n)]
            other = await _channel(session, "Alpha")  # not asked for: stays unlinked
        async with session_factory() as session, session.begin():
            with StatementCounter(engine) as counter:
                stats = await epg_match.match_channels(session, threshold=88, channel_ids=ids)
            sizes.append((counter.count, max(len(s) for s in counter.statements)))
        assert stats.channels == stats.matched == stats.changed == n
        assert await _linked(session_factory, other) is None
        assert await _linked(session_factory, ids[0]) == await _guide_of(
            session_factory, sid, "Beta.uk"
        )
    assert sizes[0][0] == sizes[1][0]
    assert sizes[0][1] == sizes[1][1]  # the longest statement does not grow with the ids
