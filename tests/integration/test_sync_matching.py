"""The sync path and the in-memory matcher decide the same channels, in any provider order.

Each case is a few providers' playlists (written as files, synced by the real sync pipeline);
the channels the sync makes must be what :func:`strmline.matching.cluster` makes of all the
entries at once, whatever order the providers are synced in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.models import Provider, Stream
from strmline.formats.m3u import parse_lines
from strmline.matching import MatchItem, cluster
from strmline.matching.catalogue import packaged
from strmline.matching.names import parse_name
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import sync_provider
from tests.dbutil import truncate_all
from tests.integration.test_sync import add_provider

# One provider's entries: (name, tvg-id or None).
Playlist = list[tuple[str, str | None]]
Partition = set[frozenset[str]]


def _m3u(entries: Playlist) -> str:
    lines = ["#EXTM3U"]
    for n, (name, tvg) in enumerate(entries):
        attr = f' tvg-id="{tvg}"' if tvg else ""
        lines += [f"#EXTINF:-1{attr},{name}", f"http://example.test/{n}.m3u8"]
    return "\n".join(lines) + "\n"


def _label(provider: int, name: str) -> str:
    return f"{provider}|{name}"


async def sync_all(
    engine: AsyncEngine,
    factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    playlists: Sequence[Playlist],
    order: Sequence[int],
) -> Partition:
    """Sync the playlists into an empty database in ``order``; the channels as sets of labels."""
    await truncate_all(engine)
    ctx = PipelineContext(session_factory=factory, settings=Settings(data_dir=tmp_path))
    for k in order:
        path = tmp_path / f"p{k}.m3u"
        path.write_text(_m3u(playlists[k]), encoding="utf-8")
        pid = await add_provider(factory, name=f"p{k}", kind="m3u", url=str(path))
        result = await sync_provider(ctx, provider_id=pid)
        assert result.status == "ok", result.message
    async with factory() as s:
        rows = await s.execute(
            select(Provider.name, Stream.name, Stream.channel_id)
            .join(Provider, Provider.id == Stream.provider_id)
            .where(Stream.removed_at.is_(None))
        )
        groups: dict[int, set[str]] = {}
        for provider, name, channel_id in rows:
            groups.setdefault(channel_id, set()).add(_label(int(provider[1:]), name))
    return {frozenset(g) for g in groups.values()}


def in_memory(playlists: Sequence[Playlist], *, catalogue: bool = True) -> Partition:
    """What ``strmline process`` makes of all the entries at once (with the catalogue, as the
    sync uses it by default)."""
    canonical = packaged().canonical if catalogue else (lambda p, _t: p)
    items = [
        MatchItem(_label(k, name), name, tvg, canonical(parse_name(name), tvg))
        for k, entries in enumerate(playlists)
        for name, tvg in entries
    ]
    groups: dict[int, set[str]] = {}
    for c in cluster(items):
        groups.setdefault(c.cluster, set()).add(str(c.item_id))
    return {frozenset(g) for g in groups.values()}


def together(partition: Partition, a: str, b: str) -> bool:
    return any(a in g and b in g for g in partition)


# (providers' playlists, pairs that must share a channel, pairs that must not), labels are
# "provider|name". The first provider is synced first in one order and last in the other.
CASES: dict[str, tuple[list[Playlist], list[tuple[str, str]], list[tuple[str, str]]]] = {
    "a channel without country does not absorb every country's version": (
        [
            [("Discovery Channel", None)],
            [
                ("NL: Discovery Channel FHD", None),
                ("PL: Discovery Channel", None),
                ("UK: Discovery Channel", None),
            ],
        ],
        [],
        [
            ("1|NL: Discovery Channel FHD", "1|PL: Discovery Channel"),
            ("1|NL: Discovery Channel FHD", "1|UK: Discovery Channel"),
            ("1|PL: Discovery Channel", "1|UK: Discovery Channel"),
            ("0|Discovery Channel", "1|UK: Discovery Channel"),
        ],
    ),
    "a joined entry's country blocks other countries": (
        [[("ESPN", None)], [("|US| ESPN", None)], [("AU: ESPN", None)]],
        [],
        # ESPN without a country could be either: it stays on its own.
        [("1||US| ESPN", "2|AU: ESPN"), ("0|ESPN", "2|AU: ESPN"), ("0|ESPN", "1||US| ESPN")],
    ),
    "a name without country joins the one country it is known in": (
        [[("ESPN", None)], [("|US| ESPN", None), ("US: ESPN FHD", None)]],
        [("0|ESPN", "1||US| ESPN"), ("0|ESPN", "1|US: ESPN FHD")],
        [],
    ),
    "one country's spellings merge": (
        [[("BBC One HD", None)], [("UK: BBC 1", None), ("|UK| BBC ONE ᴴᴰ", None)]],
        [("0|BBC One HD", "1|UK: BBC 1"), ("1|UK: BBC 1", "1||UK| BBC ONE ᴴᴰ")],
        [],
    ),
    "a joined entry's tvg-id identifies the channel": (
        [
            [("Nick Jr", None)],
            [("Nick Jr HD", "NickJr.us"), ("Nickelodeon Junior", "NickJr.us")],
        ],
        [("0|Nick Jr", "1|Nickelodeon Junior"), ("0|Nick Jr", "1|Nick Jr HD")],
        [],
    ),
    "different tvg-id countries block a fuzzy merge": (
        [[("AMG TV", "AMGTV.us")], [("Amga TV", "AmgaTV.am")]],
        [],
        [("0|AMG TV", "1|Amga TV")],
    ),
    "the catalogue knows aliases and rebrands": (
        [
            [("FS2", None), ("BT Sport 10", None), ("UK: ITV", None), ("Canal Sur", None)],
            [
                ("Fox Sports 2 HD", None),
                ("UK: TNT Sports 10", None),
                ("ITV1", None),
                ("CanalSur", None),
            ],
        ],
        [
            ("0|FS2", "1|Fox Sports 2 HD"),
            ("0|BT Sport 10", "1|UK: TNT Sports 10"),
            ("0|UK: ITV", "1|ITV1"),
            ("0|Canal Sur", "1|CanalSur"),
        ],
        [("0|FS2", "0|BT Sport 10")],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_sync_decides_what_the_matcher_decides_in_any_order(
    case: str, engine: AsyncEngine, session_factory, tmp_path: Path
) -> None:
    playlists, merge, apart = CASES[case]
    expected = in_memory(playlists)
    for a, b in merge:
        assert together(expected, a, b), f"matcher: {a!r} and {b!r} should merge"
    for a, b in apart:
        assert not together(expected, a, b), f"matcher: {a!r} and {b!r} should stay apart"
    for order in itertools.permutations(range(len(playlists))):
        synced = await sync_all(engine, session_factory, tmp_path, playlists, order)
        assert synced == expected, f"sync order {order}"


async def test_resync_with_a_new_provider_moves_streams_to_the_right_channel(
    engine: AsyncEngine, session_factory, tmp_path: Path
) -> None:
    """A channel made from a name without country is split when countries arrive later."""
    playlists: list[Playlist] = [
        [("Sophia TV", None)],
        [("ES: Sophia TV", None)],
        [("IT: Sophia TV", None)],
    ]
    synced = await sync_all(engine, session_factory, tmp_path, playlists, (0, 1, 2))
    assert synced == in_memory(playlists)
    assert not together(synced, "1|ES: Sophia TV", "2|IT: Sophia TV")


_IPTV_ORG_TAGS = re.compile(r"\s*\[[^\]]*\]")


def real_playlists(streams: Path, with_tvg: bool) -> list[Playlist]:
    out: list[Playlist] = []
    for code in ("us", "uk", "ca", "in", "es", "de"):
        lines = (streams / f"{code}.m3u").read_text(encoding="utf-8").splitlines()
        entries: dict[str, str | None] = {}
        for e in parse_lines(lines):
            # Names are the labels, so one provider lists a name once.
            entries.setdefault(e.name, (e.attrs.get("tvg-id") or None) if with_tvg else None)
        out.append(list(entries.items()))
    return out


@pytest.mark.parametrize("with_tvg", [False, True], ids=["names", "tvg-ids"])
async def test_real_playlists_sync_equals_in_memory_clustering(
    with_tvg: bool, shared_data: Path, engine: AsyncEngine, session_factory, tmp_path: Path
) -> None:
    playlists = real_playlists(shared_data / "iptv-org" / "streams", with_tvg)
    expected = in_memory(playlists)
    assert len(expected) < sum(map(len, playlists))  # some entries do merge
    forward = list(range(len(playlists)))
    for order in (forward, forward[::-1]):
        synced = await sync_all(engine, session_factory, tmp_path, playlists, order)
        assert synced == expected, f"sync order {order}"
