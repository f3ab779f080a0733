"""``strmline process``: a playlist in, a folder with one .strm file per real channel out.

No database: fetch (streamed), match in memory, pick a stream per channel, write files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from strmline.formats.names import safe_name, unique_names
from strmline.matching.catalogue import Catalogue
from strmline.matching.matcher import MatchItem, cluster
from strmline.matching.names import ParsedName, parse_name
from strmline.pipelines.files import LibraryWriter
from strmline.providers.base import LiveItem
from strmline.providers.http import make_client
from strmline.providers.m3u import fetch_m3u

Prefer = Literal["best", "4k", "fhd", "hd", "sd", "all"]
PREFER_LABELS: dict[str, frozenset[str]] = {
    "4k": frozenset({"UHD", "8K"}),
    "fhd": frozenset({"FHD"}),
    "hd": frozenset({"HD"}),
    "sd": frozenset({"SD"}),
}
UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True)
class ProcessOptions:
    prefer: Prefer = "best"
    merge: bool = True
    by_category: bool = False
    threshold: int = 90
    clean: bool = False
    # The built-in channel catalogue (aliases and rebrands), as the sync uses it; None: off.
    catalogue: Catalogue | None = None


@dataclass
class ProcessSummary:
    source: str
    out: str
    entries: int = 0
    channels: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    duplicates_merged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Pick:
    """One file to write: the stream it points at and the name it gets."""

    name: str
    category: str
    item: LiveItem


def _quality_rank(parsed: ParsedName) -> int:
    return parsed.quality.score


def choose_files(
    items: list[LiveItem], options: ProcessOptions, skipped: list[dict[str, str]]
) -> tuple[list[_Pick], int]:
    """Decide which files to write. Returns the picks and the number of merged-away entries."""
    parsed = [parse_name(item.name) for item in items]
    if options.catalogue is not None:
        canonical = options.catalogue.canonical
        parsed = [canonical(p, item.tvg_id) for p, item in zip(parsed, items, strict=True)]
    if not options.merge or options.prefer == "all":
        groups: list[list[int]] = [[i] for i in range(len(items))]
        if options.merge:  # "all" still merges, it just keeps every stream as its own file
            groups = _clusters(items, parsed, options.threshold)
        picks = []
        for members in groups:
            for i in members:
                p = parsed[i]
                label = f" [{p.quality.label}]" if p.quality.label else ""
                picks.append(
                    _Pick(
                        f"{_display(parsed, members)}{label}", _category(items, members), items[i]
                    )
                )
        merged = len(items) - len(groups) if options.merge else 0
        return picks, merged

    groups = _clusters(items, parsed, options.threshold)
    wanted = PREFER_LABELS.get(options.prefer)
    picks = []
    for members in groups:
        candidates = members
        if wanted is not None:
            candidates = [i for i in members if parsed[i].quality.label in wanted]
            if not candidates:
                skipped.append(
                    {
                        "source": f"channel {_display(parsed, members)}",
                        "reason": f"no {options.prefer.upper()} stream",
                    }
                )
                continue
        # Best quality wins; among equals the earliest entry in the playlist (stable, predictable).
        best = max(candidates, key=lambda i: (_quality_rank(parsed[i]), -i))
        picks.append(_Pick(_display(parsed, members), _category(items, members), items[best]))
    return picks, len(items) - len(groups)


def _clusters(items: list[LiveItem], parsed: list[ParsedName], threshold: int) -> list[list[int]]:
    match_items = [
        MatchItem(id=i, name=item.name, tvg_id=item.tvg_id, parsed=parsed[i])
        for i, item in enumerate(items)
    ]
    by_cluster: dict[int, list[int]] = defaultdict(list)
    for result in cluster(match_items, threshold=threshold):
        by_cluster[result.cluster].append(int(result.item_id))  # type: ignore[call-overload]
    groups = [sorted(members) for members in by_cluster.values()]
    groups.sort(key=lambda members: members[0])
    return groups


def _display(parsed: list[ParsedName], members: list[int]) -> str:
    # The most common display name among the members; ties go to the earliest entry.
    counts = Counter(parsed[i].display for i in members)
    top = max(counts.values())
    return next(parsed[i].display for i in members if counts[parsed[i].display] == top)


def _category(items: list[LiveItem], members: list[int]) -> str:
    for i in members:
        group = items[i].group
        if group:
            return group
    return UNCATEGORIZED


def plan_paths(picks: list[_Pick], *, by_category: bool) -> list[tuple[PurePosixPath, _Pick]]:
    """Safe, unique relative paths; collisions are resolved in a stable order."""
    order = sorted(
        range(len(picks)), key=lambda i: (picks[i].category, picks[i].name, picks[i].item.url)
    )
    folders: dict[str, list[int]] = defaultdict(list)
    for i in order:
        folder = safe_name(picks[i].category, fallback=UNCATEGORIZED) if by_category else ""
        folders[folder].append(i)
    planned: list[tuple[PurePosixPath, _Pick]] = []
    for folder, members in sorted(folders.items()):
        names = unique_names(safe_name(picks[i].name) for i in members)
        for i, name in zip(members, names, strict=True):
            rel = PurePosixPath(folder, f"{name}.strm") if folder else PurePosixPath(f"{name}.strm")
            planned.append((rel, picks[i]))
    return planned


async def run_process(
    source: str,
    out: Path,
    options: ProcessOptions,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    http_timeout: float = 30.0,
) -> ProcessSummary:
    summary = ProcessSummary(source=source, out=str(out))
    async with make_client(timeout=http_timeout) as client:
        fetched = await fetch_m3u(client, [source], on_progress=on_progress)
    for skip in fetched.skips:
        summary.skipped.append({"source": f"line {skip.line}", "reason": skip.reason})
    summary.entries = len(fetched.items)

    writer = LibraryWriter(out)
    picks, merged = choose_files(fetched.items, options, summary.skipped)
    summary.duplicates_merged = merged
    planned = plan_paths(picks, by_category=options.by_category)
    summary.channels = (
        len({(p.category, p.name) for _, p in planned}) if options.prefer != "all" else len(planned)
    )
    for rel, pick in planned:
        writer.write(rel, pick.item.url.strip() + "\n")
    summary.files_written = writer.written
    summary.files_unchanged = writer.unchanged
    if options.clean:
        summary.files_removed = writer.clean()
    return summary
