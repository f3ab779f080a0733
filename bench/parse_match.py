"""Benchmark: parse a 100k-entry multi-provider M3U and cluster it into channels.

Prints one JSON line: parse and match throughput, match time, pairwise precision/recall/F1
against the generator's truth, and peak RSS. Asserts nothing (see DESIGN.md section 7).

Then, when the real playlists are beside the repo (../shared/data/iptv-org/streams), a second
line ``parse_match_real``: four providers decorating real channel names (tvg-ids are the
truth), clustered by the in-memory matcher and by the real sync (provider by provider into a
temporary SQLite database), names only and with tvg-ids: pairwise precision, recall and F1 for
each, whether the sync's clusters equal the in-memory ones, and whether syncing the providers
in reverse order gives the same clusters.

    .venv/bin/python bench/parse_match.py [n_entries]
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from playlist_gen import generate

from strmline.formats.m3u import parse_lines
from strmline.matching import MatchItem, cluster
from strmline.matching.catalogue import packaged
from strmline.matching.names import parse_name

ROOT = Path(__file__).resolve().parents[1]


def _pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def pairwise_scores(predicted: dict[str, int], truth: dict[str, str]) -> tuple[float, float, float]:
    """Pair-counting precision/recall over all entry pairs, from cluster sizes (not O(n^2))."""
    pred_sizes: Counter[object] = Counter(predicted.values())
    true_sizes: Counter[object] = Counter(truth[url] for url in predicted)
    both: Counter[object] = Counter((predicted[url], truth[url]) for url in predicted)
    tp = _pairs(both)
    pred_pairs = _pairs(pred_sizes)
    true_pairs = _pairs(true_sizes)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- real names ---------------------------------------------------------------------------------
# iptv-org playlists carry tvg-ids, which are the truth: entries with one tvg-id are one channel.
# Four "providers" each list a seeded subset of those channels and decorate the names the way
# real providers do (country prefixes in several styles, suffix countries, quality tags,
# superscripts), so the matcher sees the same channel spelled four ways.

SHARED_STREAMS = ROOT.parent / "shared" / "data" / "iptv-org" / "streams"
_IPTV_ORG_TAGS = re.compile(r"\s*\(\d{3,4}[pi]\)|\s*\[[^\]]*\]")
# (decorated name, url, tvg-id, truth) for one provider's entry.
RealEntry = tuple[str, str, str, str]
_QUALITY_FEEDS = frozenset({"sd", "hd", "fhd", "uhd", "4k"})


def _truth_id(tvg_id: str) -> str:
    # "Channel.us@HD" and "Channel.us@SD" are one channel in two qualities; other feeds
    # (regional, language, timeshift) are channels of their own.
    base, _, feed = tvg_id.casefold().partition("@")
    return base if feed in _QUALITY_FEEDS or not feed else f"{base}@{feed}"


def _country(tvg_id: str) -> str | None:
    m = re.search(r"\.([a-z]{2})(?:@|$)", tvg_id, re.IGNORECASE)
    if m is None:
        return None
    code = m.group(1).upper()
    return "UK" if code == "GB" else code


def _decorate(style: int, name: str, country: str | None, rng: random.Random) -> str:
    cc = country or "INT"
    quality = rng.choice(["", "", " HD", " FHD", " SD", " 720p", " HEVC"])
    if style == 0:
        return f"{cc}: {name}{quality}"
    if style == 1:
        sup = rng.choice(["", " ᴴᴰ", " ᶠᴴᴰ", " ᵁᴴᴰ"])
        return f"|{cc}| {name}{sup}"
    if style == 2:
        return f"{name}{quality} {cc}" if rng.random() < 0.5 else f"{name} - {cc}{quality}"
    return f"{name}{quality}"


def real_providers(
    streams: Path, n_providers: int = 4, share: float = 0.35, seed: int = 13
) -> list[list[RealEntry]]:
    """Per provider, a list of (name, url, tvg_id, truth) built from the real playlists."""
    by_truth: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted(streams.glob("*.m3u")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for e in parse_lines(lines):
            tvg = (e.attrs.get("tvg-id") or "").strip()
            name = _IPTV_ORG_TAGS.sub("", e.name).strip()
            if tvg and name:
                by_truth.setdefault(_truth_id(tvg), []).append((name, e.url, tvg))
    channels = sorted(by_truth)
    providers: list[list[RealEntry]] = []
    for k in range(n_providers):
        rng = random.Random(seed * 100 + k)
        out: list[RealEntry] = []
        for truth in rng.sample(channels, int(len(channels) * share)):
            for name, url, tvg in by_truth[truth]:
                decorated = _decorate(k, name, _country(tvg), rng)
                out.append((decorated, f"{url}#p{k}", tvg, truth))
        providers.append(out)
    return providers


def _m3u(entries: list[RealEntry], with_tvg: bool) -> str:
    lines = ["#EXTM3U"]
    for name, url, tvg, _ in entries:
        attr = f' tvg-id="{tvg}"' if with_tvg else ""
        lines += [f"#EXTINF:-1{attr},{name}", url]
    return "\n".join(lines) + "\n"


def _in_memory(providers: list[list[RealEntry]], with_tvg: bool) -> dict[str, int]:
    """What ``strmline process`` decides, with the built-in catalogue as the sync uses it."""
    canonical = packaged().canonical
    items = []
    for k, entries in enumerate(providers):
        for name, url, tvg, _ in entries:
            tvg_id = tvg if with_tvg else None
            items.append(MatchItem(f"{k}|{url}", name, tvg_id, canonical(parse_name(name), tvg_id)))
    return {str(c.item_id): c.cluster for c in cluster(items)}


async def _sync_path(
    providers: list[list[RealEntry]], with_tvg: bool, order: list[int], filled: dict[str, int]
) -> dict[str, int]:
    """The real sync, provider by provider in ``order``, into a temporary SQLite database.

    ``filled`` gets how many channels there are and how many have a logo, a guide id and a
    category (the playlists send none: each one came from the catalogue).
    """
    from sqlalchemy import func, select

    from strmline.config import Settings
    from strmline.db.engine import create_engine, make_session_factory, session_scope
    from strmline.db.migrate import upgrade
    from strmline.db.models import Channel, Stream
    from strmline.pipelines.context import PipelineContext
    from strmline.pipelines.sync import sync_provider
    from strmline.services import providers as provider_service

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(engine)
        factory = make_session_factory(engine)
        ctx = PipelineContext(
            session_factory=factory, settings=Settings(data_dir=Path(tmp), sources_dir=Path(tmp))
        )
        ids: dict[int, int] = {}
        for k in order:
            path = Path(tmp) / f"p{k}.m3u"
            path.write_text(_m3u(providers[k], with_tvg), encoding="utf-8")
            async with session_scope(factory) as s:
                spec = provider_service.ProviderCreate(name=f"p{k}", kind="m3u", url=str(path))
                ids[k] = (await provider_service.create(session=s, spec=spec)).id
            result = await sync_provider(ctx, provider_id=ids[k])
            assert result.status == "ok", result.message
        by_id = {v: k for k, v in ids.items()}
        async with factory() as s:
            rows = await s.execute(select(Stream.provider_id, Stream.url, Stream.channel_id))
            predicted = {f"{by_id[p]}|{url}": ch for p, url, ch in rows}
            counts = await s.execute(
                select(
                    func.count(),
                    func.count(Channel.logo),
                    func.count(Channel.tvg_id),
                    func.count(Channel.category),
                )
            )
            filled.update(
                zip(("channels", "logo", "tvg_id", "category"), counts.one(), strict=True)
            )
        await engine.dispose()
    return predicted


def _same_partition(a: dict[str, int], b: dict[str, int]) -> bool:
    def groups(p: dict[str, int]) -> set[frozenset[str]]:
        out: dict[int, set[str]] = {}
        for item, c in p.items():
            out.setdefault(c, set()).add(item)
        return {frozenset(g) for g in out.values()}

    return a.keys() == b.keys() and groups(a) == groups(b)


def real_names(streams: Path) -> dict[str, object]:
    providers = real_providers(streams)
    truth = {f"{k}|{url}": t for k, entries in enumerate(providers) for _, url, _, t in entries}
    line: dict[str, object] = {
        "bench": "parse_match_real",
        "entries": len(truth),
        "true_channels": len(set(truth.values())),
    }
    forward = list(range(len(providers)))
    for with_tvg in (False, True):
        mode = "tvg" if with_tvg else "names"
        memory = _in_memory(providers, with_tvg)
        t0 = time.perf_counter()
        filled: dict[str, int] = {}
        synced = asyncio.run(_sync_path(providers, with_tvg, forward, filled))
        line[f"sync_{mode}_seconds"] = round(time.perf_counter() - t0, 2)
        if not with_tvg:
            line["catalogue_filled_channels"] = filled
        backward = asyncio.run(_sync_path(providers, with_tvg, forward[::-1], {}))
        for path, predicted in (("memory", memory), ("sync", synced)):
            p, r, f = pairwise_scores(predicted, truth)
            line[f"{path}_{mode}"] = {
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(f, 4),
            }
        line[f"sync_{mode}_equals_memory"] = _same_partition(synced, memory)
        line[f"sync_{mode}_order_independent"] = _same_partition(synced, backward)
    return line


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lines, truth = generate(n)

    # Streamed like the sync pipeline: entries become match items as they are parsed, and the
    # raw lines are dropped before matching.
    t0 = time.perf_counter()
    items = [MatchItem(e.url, e.name, e.attrs.get("tvg-id") or None) for e in parse_lines(lines)]
    parse_s = time.perf_counter() - t0
    del lines

    t0 = time.perf_counter()
    plain = cluster(items)
    match_plain_s = time.perf_counter() - t0
    del plain

    # As the sync matches: each name through the catalogue (aliases, rebrands) first. Names
    # are parsed again, as the first run had to.
    parse_name.cache_clear()
    t0 = time.perf_counter()
    canonical = packaged().canonical
    items = [
        MatchItem(i.id, i.name, i.tvg_id, canonical(parse_name(i.name), i.tvg_id)) for i in items
    ]
    result = cluster(items)
    match_s = time.perf_counter() - t0

    predicted = {str(c.item_id): c.cluster for c in result}
    precision, recall, f1 = pairwise_scores(predicted, truth)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "bench": "parse_match",
                "entries": len(items),
                "channels": len(set(predicted.values())),
                "true_channels": len(set(truth.values())),
                "parse_entries_per_s": round(len(items) / parse_s),
                "match_entries_per_s": round(len(items) / match_s),
                "match_seconds": round(match_s, 3),
                "match_seconds_without_catalogue": round(match_plain_s, 3),
                "precision": round(precision, 5),
                "recall": round(recall, 5),
                "f1": round(f1, 5),
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )

    # After the throughput line, so its peak RSS is the 100k run's own.
    if SHARED_STREAMS.is_dir():
        print(json.dumps(real_names(SHARED_STREAMS)))
    else:
        print(json.dumps({"bench": "parse_match_real", "skipped": f"{SHARED_STREAMS} not found"}))


if __name__ == "__main__":
    main()
