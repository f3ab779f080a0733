"""The sync pipeline end to end against the fake provider, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db import recompute
from strmline.db.engine import session_scope
from strmline.db.models import Channel, MergeRule, Provider, Stream
from strmline.demo import Catalog, FakeProviderServer
from strmline.formats.xmltv import channel_element
from strmline.pipelines import epg
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from strmline.services import epg_sources
from strmline.services import providers as provider_service
from tests.dbutil import StatementCounter


def make_ctx(
    factory: async_sessionmaker[AsyncSession], tmp_path: Path, **sync: object
) -> PipelineContext:
    settings = Settings(
        data_dir=tmp_path,
        sync={"batch_size": 500, **sync},
        http={"timeout": 5, "connect_timeout": 2},
    )
    return PipelineContext(session_factory=factory, settings=settings)


async def add_provider(factory: async_sessionmaker[AsyncSession], **kw: object) -> int:
    spec = provider_service.ProviderCreate(**kw)  # type: ignore[arg-type]
    async with session_scope(factory) as session:
        return (await provider_service.create(session=session, spec=spec)).id


async def add_m3u(factory, server: FakeProviderServer, user: str = "acme", **kw: object) -> int:
    return await add_provider(factory, name=user, kind="m3u", url=server.playlist_url(user), **kw)


async def add_xtream(
    factory, server: FakeProviderServer, user: str = "globex", **kw: object
) -> int:
    account = server.account(user)
    return await add_provider(
        factory,
        name=f"xc-{user}",
        kind="xtream",
        url=server.url,
        username=user,
        password=account.password,
        **kw,
    )


async def counts(factory) -> tuple[int, int]:
    async with factory() as s:
        channels = await s.scalar(
            select(func.count()).select_from(Channel).where(Channel.stream_count > 0)
        )
        streams = await s.scalar(
            select(func.count()).select_from(Stream).where(Stream.removed_at.is_(None))
        )
    return int(channels or 0), int(streams or 0)


async def snapshot(factory) -> list[tuple]:
    async with factory() as s:
        rows = await s.execute(
            select(
                Stream.id,
                Stream.channel_id,
                Stream.name,
                Stream.url,
                Stream.rank,
                Stream.removed_at,
            ).order_by(Stream.id)
        )
        return [tuple(r) for r in rows]


async def test_first_sync_creates_channels_and_ranked_streams(
    fake_provider, session_factory, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    result = await sync_provider(ctx, provider_id=pid)
    catalog = fake_provider.account("acme").catalog
    assert result.status == "ok", result.message
    assert result.entries == len(catalog.live)
    assert result.streams_added == len(catalog.live)
    n_channels, n_streams = await counts(session_factory)
    assert n_streams == len(catalog.live)
    assert n_channels == result.channels_created
    # The catalog offers some channels twice in two qualities: those merge into one channel.
    assert n_channels == len({c.identity for c in catalog.live.values()})

    async with session_factory() as s:
        best = (
            await s.execute(
                select(Channel.id, Channel.best_stream_id, Channel.stream_count).where(
                    Channel.stream_count > 1
                )
            )
        ).all()
        assert best
        for channel_id, best_id, count in best:
            ranked = (
                await s.execute(
                    select(Stream.id, Stream.quality_score, Stream.rank)
                    .where(Stream.channel_id == channel_id)
                    .order_by(Stream.rank)
                )
            ).all()
            assert [r.rank for r in ranked] == list(range(1, count + 1))
            assert ranked[0].id == best_id
            assert ranked[0].quality_score >= ranked[-1].quality_score
        provider = await s.get(Provider, pid)
        assert provider is not None and provider.last_sync_status == "ok"
        assert provider.last_good_entries == len(catalog.live)


async def test_two_providers_merge_into_one_channel_list(
    fake_provider, session_factory, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    acme = await add_m3u(session_factory, fake_provider, "acme")
    globex = await add_xtream(session_factory, fake_provider, "globex")
    r1 = await sync_provider(ctx, provider_id=acme)
    r2 = await sync_provider(ctx, provider_id=globex)
    assert r1.status == r2.status == "ok", (r1.message, r2.message)

    truth: dict[tuple[int, str], str] = {}
    for user, pid in (("acme", acme), ("globex", globex)):
        for c in fake_provider.account(user).catalog.live.values():
            truth[(pid, str(c.stream_id))] = c.identity
    async with session_factory() as s:
        rows = (
            await s.execute(
                select(
                    Stream.provider_id, Stream.provider_key, Stream.channel_id, Stream.merge_method
                )
            )
        ).all()
    by_identity: dict[str, set[int]] = defaultdict(set)
    by_channel: dict[int, set[str]] = defaultdict(set)
    methods = set()
    for pid, key, channel_id, method in rows:
        identity = truth.get((pid, key))
        if identity is None:  # M3U keys are hashes: map them back through the URL
            continue
        by_identity[identity].add(channel_id)
        by_channel[channel_id].add(identity)
        methods.add(method)
    # Precision: no channel holds two different real channels.
    assert all(len(ids) == 1 for ids in by_channel.values()), {
        k: v for k, v in by_channel.items() if len(v) > 1
    }
    # The Xtream side is keyed by stream id, so every one of its streams is checked.
    assert len(by_identity) >= 40
    shared = [ident for ident, chans in by_identity.items() if len(chans) == 1]
    assert len(shared) == len(by_identity)
    assert "new" in methods
    # Streams of both providers end up on shared channels.
    async with session_factory() as s:
        multi = await s.scalar(
            select(func.count()).select_from(
                select(Stream.channel_id)
                .group_by(Stream.channel_id)
                .having(func.count(func.distinct(Stream.provider_id)) > 1)
                .subquery()
            )
        )
    assert multi and multi >= 30


async def test_unchanged_resync_writes_nothing(
    fake_provider, session_factory, engine: AsyncEngine, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    await sync_provider(ctx, provider_id=pid)
    before = await snapshot(session_factory)
    with StatementCounter(engine) as counter:
        again = await sync_provider(ctx, provider_id=pid)
    assert again.status == "unchanged"
    assert (again.streams_added, again.streams_updated, again.streams_removed) == (0, 0, 0)
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "DELETE"))]
    stream_updates = [
        s for s in counter.statements if "UPDATE streams" in s or "UPDATE channels" in s
    ]
    assert writes == [] and stream_updates == []
    assert await snapshot(session_factory) == before
    # --force bypasses the list hash but still finds nothing to write row by row.
    forced = await sync_provider(ctx, provider_id=pid, force=True)
    assert forced.status == "unchanged"
    assert await snapshot(session_factory) == before


async def test_changes_are_applied_incrementally(fake_provider, session_factory, tmp_path) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    await sync_provider(ctx, provider_id=pid)
    catalog: Catalog = fake_provider.account("acme").catalog
    ids = sorted(catalog.live)
    catalog.remove_channel(ids[0])
    added = catalog.add_channel("US: Brand New Channel HD", category_id=None)
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert result.streams_added == 1
    assert result.streams_removed == 1
    assert result.channels_created == 1
    async with session_factory() as s:
        new = (
            await s.execute(select(Channel).where(Channel.name == "Brand New Channel"))
        ).scalar_one()
        assert new.stream_count == 1
        removed = await s.scalar(
            select(func.count()).select_from(Stream).where(Stream.removed_at.is_not(None))
        )
        assert removed == 1
    assert added.stream_id in catalog.live


async def test_guards_keep_previous_data(fake_provider, session_factory, tmp_path) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    await sync_provider(ctx, provider_id=pid)
    before = await snapshot(session_factory)

    fake_provider.faults.set("empty", account="acme")
    empty = await sync_provider(ctx, provider_id=pid)
    assert empty.status in ("refused", "failed") and "no entries" in empty.message
    fake_provider.faults.clear()

    fake_provider.faults.set("http_500", account="acme")
    failed = await sync_provider(ctx, provider_id=pid)
    assert failed.status == "failed" and "500" in failed.message
    fake_provider.faults.clear()

    fake_provider.faults.set("html", account="acme")
    html = await sync_provider(ctx, provider_id=pid)
    assert html.status == "failed" and "HTML" in html.message
    fake_provider.faults.clear()

    catalog: Catalog = fake_provider.account("acme").catalog
    for sid in sorted(catalog.live)[: int(len(catalog.live) * 0.6)]:
        catalog.remove_channel(sid)
    shrunk = await sync_provider(ctx, provider_id=pid)
    assert shrunk.status == "refused" and "--force" in shrunk.message
    assert await snapshot(session_factory) == before
    async with session_factory() as s:
        provider = await s.get(Provider, pid)
        assert provider is not None and provider.last_sync_status == "refused"

    forced = await sync_provider(ctx, provider_id=pid, force=True)
    assert forced.status == "ok" and forced.streams_removed > 0


async def test_backup_url_used_when_primary_fails(fake_provider, session_factory, tmp_path) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_provider(
        session_factory,
        name="with-backup",
        kind="m3u",
        url=f"{fake_provider.url}/playlist/nobody.m3u",
        backup_urls=[fake_provider.playlist_url("acme")],
    )
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert len(result.attempts) == 1 and "nobody" in result.attempts[0]["url"]


async def test_wrong_xtream_password_fails_clearly(
    fake_provider, session_factory, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_provider(
        session_factory,
        name="bad",
        kind="xtream",
        url=fake_provider.url,
        username="globex",
        password="wrong-pass",
    )
    result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "failed"
    assert "authentication failed" in result.message
    assert "wrong-pass" not in result.message


async def test_killed_sync_leaves_previous_data(
    fake_provider, session_factory, tmp_path, monkeypatch
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_m3u(session_factory, fake_provider)
    await sync_provider(ctx, provider_id=pid)
    before = await snapshot(session_factory)
    catalog: Catalog = fake_provider.account("acme").catalog
    for sid in sorted(catalog.live)[:5]:
        catalog.rename_channel(sid, f"Renamed {sid}")

    async def die(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(recompute, "channels", die)
    with pytest.raises(RuntimeError):
        await sync_provider(ctx, provider_id=pid)
    assert await snapshot(session_factory) == before


async def test_merge_rules_and_manual_moves_survive_sync(
    fake_provider, session_factory, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    acme = await add_m3u(session_factory, fake_provider, "acme")
    await sync_provider(ctx, provider_id=acme)
    async with session_scope(session_factory) as s:
        stream = (await s.execute(select(Stream).order_by(Stream.id).limit(1))).scalar_one()
        target = Channel(name="My Own", search_name="my own", match_key="my own", manual=True)
        s.add(target)
        await s.flush()
        old_channel = stream.channel_id
        stream.channel_id = target.id
        stream.manual_override = True
        stream.merge_method = "manual"
        await recompute.channels(s, [old_channel, target.id])
        s.add(MergeRule(kind="never", pattern_a="?? | *", pattern_b="??: *"))
        moved_id, target_id = stream.id, target.id
    globex = await add_xtream(session_factory, fake_provider, "globex")
    await sync_provider(ctx, provider_id=globex)
    await sync_provider(ctx, provider_id=acme, force=True)
    async with session_factory() as s:
        moved = await s.get(Stream, moved_id)
        assert moved is not None and moved.channel_id == target_id
        shared = await s.scalar(
            select(func.count()).select_from(
                select(Stream.channel_id)
                .group_by(Stream.channel_id)
                .having(func.count(func.distinct(Stream.provider_id)) > 1)
                .subquery()
            )
        )
    # "never merge the pipe-style names with the colon-style ones" wins over the matcher, which
    # would otherwise merge the two providers' channels (see the cross-provider test).
    assert shared == 0


@pytest.mark.parametrize("sizes", [(1_000, 10_000)])
async def test_statement_count_does_not_grow_with_entries(
    fake_provider, session_factory, engine: AsyncEngine, tmp_path, sizes
) -> None:
    ctx = make_ctx(session_factory, tmp_path, batch_size=20_000)
    used = []
    for n in sizes:
        fake_provider.account("acme").catalog = Catalog.generate(n, live=n, name_style="us_prefix")
        async with session_scope(session_factory) as s:
            await s.execute(Stream.__table__.delete())
            await s.execute(Channel.__table__.delete())
            await s.execute(Provider.__table__.delete())
        pid = await add_m3u(session_factory, fake_provider)
        with StatementCounter(engine) as counter:
            result = await sync_provider(ctx, provider_id=pid)
        assert result.status == "ok", result.message
        used.append(counter.count)
    small, large = used
    # insertmanyvalues may split very large RETURNING batches into pages; nothing grows per row.
    assert large <= small + 12, used


async def test_movies_and_episodes_in_an_m3u_are_left_to_the_vod_sync(
    fake_provider, session_factory, tmp_path
) -> None:
    ctx = make_ctx(session_factory, tmp_path)
    pid = await add_provider(
        session_factory, name="plus", kind="m3u", url=fake_provider.get_php_url("acme")
    )
    result = await sync_provider(ctx, provider_id=pid)
    catalog = fake_provider.account("acme").catalog
    assert result.status == "ok", result.message
    assert result.entries == len(catalog.live)
    assert result.vod_entries > 0 and "VOD sync" in result.message
    assert (await counts(session_factory))[1] == len(catalog.live)


_SYLLABLES = ["ka", "ri", "to", "na", "mi", "lo", "ve", "sa", "du", "pe", "zo", "bi", "fu", "go"]


def _catalogue_playlist(path: Path, n: int) -> None:
    """``n`` distinct channels, one entry each: a big provider's full catalogue, in short."""
    lines = ["#EXTM3U"]
    for i in range(n):
        word, rest = "", i
        for _ in range(4):
            word, rest = word + _SYLLABLES[rest % len(_SYLLABLES)], rest // len(_SYLLABLES)
        name = f"{word.title()} {i}"
        tvg = f'tvg-id="{word.title()}{i}.uk" ' if i < 3 else ""
        lines += [f'#EXTINF:-1 {tvg}group-title="Cat",{name}', f"http://cat.test/{i}.ts"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
async def test_a_sync_of_more_channels_than_a_statement_can_bind_matches_the_guide(
    session_factory, engine: AsyncEngine, tmp_path
) -> None:
    # asyncpg binds at most 32,767 parameters per statement: guide matching after the sync
    # once selected channels.id IN (…every new channel…) and failed the committed sync.
    n = 33_500
    playlist = tmp_path / "catalogue.m3u"
    _catalogue_playlist(playlist, n)
    guide = tmp_path / "guide.xml"
    guide.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n'
        + channel_element("Named.uk", ["Kakakaka 0"], None)
        + channel_element("Rikakaka1.uk", ["Other name"], None)
        + "</tv>\n",
        encoding="utf-8",
    )
    async with session_scope(session_factory) as s:
        source = await epg_sources.create(session=s, url=str(guide))
    ctx = make_ctx(session_factory, tmp_path, batch_size=5000)
    imported = await epg.import_source(ctx, source_id=source.id)
    assert imported.status in ("ok", "unchanged"), imported.message
    pid = await add_provider(session_factory, name="catalogue", kind="m3u", url=str(playlist))
    with StatementCounter(engine) as counter:
        result = await sync_provider(ctx, provider_id=pid)
    assert result.status == "ok", result.message
    assert "guide matching failed" not in result.message
    assert result.entries == result.streams_added == n
    assert result.channels_created == n > 33_000
    # No statement binds a list that grows with the rows (32,767 on asyncpg).
    assert max(len(st) for st in counter.statements) < 20_000
    async with session_factory() as s:
        rows = await s.execute(
            select(Channel.name, Channel.epg_match_method).where(
                Channel.epg_channel_id.is_not(None)
            )
        )
        linked = {r.name: r.epg_match_method for r in rows}
    assert linked == {"Kakakaka 0": "name", "Rikakaka 1": "tvg_id"}
