"""``strmline process SOURCE --out DIR``."""

from __future__ import annotations

from pathlib import Path

import typer

from strmline.cli.common import console, print_json, progress_bar, run
from strmline.config import get_settings
from strmline.pipelines.process import ProcessOptions, run_process
from strmline.providers import catalogue as catalogue_store

PREFER_CHOICES = ["best", "4k", "fhd", "hd", "sd", "all"]


def process(
    source: str = typer.Argument(..., help="Playlist file path or http(s) URL (gzip is fine)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the .strm files."),
    prefer: str = typer.Option(
        "best",
        help="best: best quality per channel; 4k|fhd|hd|sd: that quality only (others skipped); all: one file per stream.",
    ),
    no_merge: bool = typer.Option(
        False, "--no-merge", help="Do not merge; one file per playlist entry."
    ),
    by_category: bool = typer.Option(
        False, "--by-category", help="Put files under <group-title>/ folders."
    ),
    threshold: int = typer.Option(
        90, min=50, max=100, help="Fuzzy name similarity needed to merge."
    ),
    clean: bool = typer.Option(
        False, "--clean", help="Remove .strm files in OUT that this run did not produce."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary object."),
) -> None:
    """Turn a playlist into a folder with one .strm file per channel, pointing at its best stream."""
    if prefer not in PREFER_CHOICES:
        raise typer.BadParameter(
            f"must be one of {', '.join(PREFER_CHOICES)}", param_hint="--prefer"
        )
    options = ProcessOptions(
        prefer=prefer,  # type: ignore[arg-type]
        merge=not no_merge,
        by_category=by_category,
        threshold=threshold,
        clean=clean,
        catalogue=catalogue_store.load(get_settings()),
    )
    with progress_bar(enabled=not as_json, bytes_mode=True) as bar:
        task = bar.add_task("reading playlist", total=None)

        def on_progress(nbytes: int, entries: int) -> None:
            bar.update(task, completed=nbytes, description=f"reading playlist: {entries:,} entries")

        summary = run(run_process(source, out, options, on_progress=on_progress))
    if as_json:
        print_json(summary.as_dict())
        return
    console.print(
        f"{summary.entries:,} entries → {summary.channels:,} channels "
        f"({summary.duplicates_merged:,} duplicates merged) in {summary.out}\n"
        f"files: {summary.files_written:,} written, {summary.files_unchanged:,} unchanged, "
        f"{summary.files_removed:,} removed"
    )
    if summary.skipped:
        console.print(f"skipped {len(summary.skipped):,}:")
        for skip in summary.skipped[:20]:
            console.print(f"  {skip['source']}: {skip['reason']}")
        if len(summary.skipped) > 20:
            console.print(f"  … and {len(summary.skipped) - 20:,} more (use --json to see all)")
