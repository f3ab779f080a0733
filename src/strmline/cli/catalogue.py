"""``strmline catalogue``: the built-in channel catalogue (iptv-org database, public domain)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from strmline.cli.common import console, console_err, run
from strmline.config import get_settings
from strmline.errors import ConfigError
from strmline.matching.catalogue import Catalogue, Match, packaged
from strmline.providers import catalogue as catalogue_store

app = typer.Typer(help="The built-in channel catalogue: aliases, logos, categories, guide ids.")


def _active() -> Catalogue:
    catalogue = catalogue_store.load(get_settings())
    if catalogue is None:
        raise ConfigError("the channel catalogue is off (setting match.catalogue)")
    return catalogue


@app.command("update")
def update(
    source: str = typer.Argument(
        catalogue_store.DEFAULT_URL,
        help="URL or path of the iptv-org database: a zip, a folder of its CSV files, or a "
        "snapshot (.json.gz)",
    ),
) -> None:
    """Refresh the catalogue into the data dir from the iptv-org database."""
    settings = get_settings()
    if source.startswith(("http://", "https://")):
        snapshot = catalogue_store.snapshot_from_bytes(
            run(catalogue_store.download(source, settings)), source
        )
    else:
        path = Path(source).expanduser()
        if path.is_dir():
            from strmline.matching.catalogue_build import build_snapshot

            snapshot = build_snapshot(catalogue_store.read_source(path))
        else:
            snapshot = catalogue_store.snapshot_from_bytes(path.read_bytes(), str(path))
    written, catalogue = catalogue_store.install(snapshot, settings)
    console.print(
        f"catalogue: {len(catalogue):,} channels, {len(snapshot):,} bytes → {written}",
        soft_wrap=True,
    )


@app.command("info")
def info(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
    """Which catalogue is in use and how many channels it knows."""
    settings = get_settings()
    catalogue = _active()
    path = catalogue_store.data_file(settings)
    where = str(path) if catalogue is not packaged() else "built in"
    summary = {"source": where, **catalogue.source, "categories": len(catalogue.categories)}
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for key, value in summary.items():
        console.print(f"{key}: {value}", soft_wrap=True)


def _as_dict(m: Match) -> dict[str, object]:
    c = m.channel
    return {
        "id": m.tvg_id,
        "name": m.name,
        "country": c.country,
        "categories": list(c.categories),
        "network": c.network or None,
        "logo": c.logo or None,
        "closed": c.closed or None,
        "method": m.method,
        "confidence": m.confidence,
    }


@app.command("lookup")
def lookup(
    name: str = typer.Argument(..., help="a channel name as a provider writes it, or a tvg-id"),
    country: str | None = typer.Option(None, "--country", help="two-letter country code"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """The catalogue channel a name means, or its candidates when the name is ambiguous."""
    catalogue = _active()
    found = catalogue.by_tvg_id(name) if "." in name and " " not in name else None
    match = found or catalogue.lookup(name, country)
    matches = [match] if match is not None else catalogue.candidates(name, country)
    if not matches:
        console.print(f"not in the catalogue: {name}", soft_wrap=True)
        raise typer.Exit(1)
    for m in matches:
        row = _as_dict(m)
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            console.print(
                f"{row['id']}  {row['name']}  {row['country']}  {','.join(m.channel.categories)}"
                f"  {m.method} {m.confidence}" + ("  (closed)" if m.channel.closed else ""),
                soft_wrap=True,
                markup=False,
            )
    if match is None:
        console_err.print(f"ambiguous: {len(matches)} candidates; give --country", soft_wrap=True)
