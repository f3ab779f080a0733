"""``strmline provider``: add, list and remove IPTV providers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import typer
from rich.table import Table

from strmline.cli.common import console, open_db, print_json, run
from strmline.config import get_settings
from strmline.db.engine import session_scope
from strmline.errors import ConfigError
from strmline.providers.local import LocalFiles, is_local
from strmline.services import providers as provider_service

app = typer.Typer(
    help="IPTV providers (M3U playlists and Xtream Codes accounts).", no_args_is_help=True
)


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="A name you will recognise."),
    m3u: str | None = typer.Option(None, "--m3u", help="Playlist URL or local file."),
    xtream: str | None = typer.Option(None, "--xtream", help="Xtream Codes server URL."),
    username: str | None = typer.Option(None, "--username", help="Xtream username."),
    password: str | None = typer.Option(
        None, "--password", help="Xtream password (stored, never printed)."
    ),
    backup_url: list[str] = typer.Option(
        [], "--backup-url", help="Backup playlist URL, tried in order."
    ),
    backup_host: list[str] = typer.Option(
        [], "--backup-host", help="Backup Xtream server, tried in order."
    ),
    user_agent: str | None = typer.Option(
        None, "--user-agent", help="User-Agent for this provider."
    ),
    priority: int = typer.Option(
        0, "--priority", help="Higher wins when streams are otherwise equal."
    ),
    max_connections: int | None = typer.Option(
        None, "--max-connections", min=1, help="Connections the account allows."
    ),
    refresh_minutes: int | None = typer.Option(
        None, "--refresh-minutes", min=5, help="Sync interval (default 720)."
    ),
    refresh_cron: str | None = typer.Option(
        None, "--refresh-cron", help="Sync schedule as a cron expression."
    ),
    output: str = typer.Option("ts", "--output", help="Xtream live format: ts or m3u8."),
    as_json: bool = typer.Option(False, "--json", help="Print the new provider as JSON."),
) -> None:
    """Add a provider: either --m3u URL, or --xtream URL --username U --password P."""
    if bool(m3u) == bool(xtream):
        raise ConfigError("give exactly one of --m3u or --xtream")
    if m3u and is_local(m3u) and not m3u.startswith("file:") and not Path(m3u).is_absolute():
        # Typed in a shell: relative to where the command runs (the API takes it as relative
        # to the sources folder); either way it must end up inside that folder.
        m3u = os.path.abspath(m3u)
    spec = provider_service.ProviderCreate(
        name=name,
        kind="m3u" if m3u else "xtream",
        url=m3u or xtream or "",
        username=username,
        password=password,
        backup_urls=list(backup_url) + list(backup_host),
        user_agent=user_agent,
        priority=priority,
        max_connections=max_connections,
        refresh_minutes=refresh_minutes,
        refresh_cron=refresh_cron,
        # Checked with the rest by the service (a ConfigError names the allowed values).
        output_format=cast(provider_service.OutputFormat, output),
    )

    async def _go() -> dict[str, object]:
        async with open_db() as factory, session_scope(factory) as session:
            provider = await provider_service.create(
                session=session, spec=spec, local_files=LocalFiles.from_settings(get_settings())
            )
            return provider_service.public_view(provider, 0)

    view = run(_go())
    if as_json:
        print_json(view)
    else:
        console.print(
            f"added provider {view['id']}: {view['name']} ({view['kind']}) — run `strmline sync` to fetch it"
        )


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """List providers with their last sync."""

    async def _go() -> list[dict[str, object]]:
        async with open_db() as factory, factory() as session:
            return [
                provider_service.public_view(p, n)
                for p, n in await provider_service.list_all(session=session)
            ]

    views = run(_go())
    if as_json:
        for view in views:
            print_json(view)
        return
    if not views:
        console.print("no providers yet: add one with `strmline provider add --name N --m3u URL`")
        return
    table = Table(
        "id", "name", "kind", "enabled", "priority", "streams", "last sync", "status", "message"
    )
    for v in views:
        table.add_row(
            str(v["id"]),
            str(v["name"]),
            str(v["kind"]),
            "yes" if v["enabled"] else "no",
            str(v["priority"]),
            f"{v['stream_count']:,}",
            str(v["last_sync_at"] or "never")[:19],
            str(v["last_sync_status"] or "-"),
            str(v["last_sync_message"] or "")[:60],
        )
    console.print(table)


@app.command("remove")
def remove(provider: str = typer.Argument(..., help="Provider id or name.")) -> None:
    """Remove a provider and its streams (channels left without streams go too)."""

    async def _go() -> str:
        async with open_db() as factory, session_scope(factory) as session:
            row = await provider_service.get_by_ref(session=session, ref=provider)
            await provider_service.delete(session=session, provider=row)
            return row.name

    console.print(f"removed provider {run(_go())}")
