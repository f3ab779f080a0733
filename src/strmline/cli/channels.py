"""``strmline channels``: the merged channel list."""

from __future__ import annotations

import typer
from rich.table import Table

from strmline.cli.common import console, open_db, print_json, run
from strmline.services import channels as channel_service


def channels(
    search: str | None = typer.Option(
        None, "--search", "-s", help="Part of a name (case and accents ignored)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per channel, with its ranked streams."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after this many channels."),
) -> None:
    """List merged channels with their ranked streams."""

    async def _go() -> None:
        table = Table("id", "name", "category", "country", "streams", "best", "providers")
        shown = 0
        async with open_db() as factory, factory() as session:
            async for channel in channel_service.iter_channels(session, search=search):
                if as_json:
                    print_json(channel)
                else:
                    streams = channel["streams"]
                    table.add_row(
                        str(channel["id"]),
                        channel["name"],
                        channel["category"] or "",
                        channel["country"] or "",
                        str(channel["stream_count"]),
                        channel["best_quality"] or "",
                        ", ".join(sorted({s["provider"] for s in streams})),
                    )
                shown += 1
                if limit and shown >= limit:
                    break
        if not as_json:
            if shown:
                console.print(table)
            else:
                console.print(
                    "no channels"
                    + (
                        f" matching {search!r}"
                        if search
                        else " yet: add a provider and run `strmline sync`"
                    )
                )

    run(_go())
