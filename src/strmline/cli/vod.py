"""``strmline vod``: sync movies and series from providers, and list them."""

from __future__ import annotations

from typing import Any

import typer

from strmline.cli.common import (
    console,
    console_err,
    open_cli_context,
    open_db,
    print_json,
    progress_bar,
    run,
)
from strmline.services import providers as provider_service
from strmline.services import vod_catalog

app = typer.Typer(help="Movies and series (VOD).", no_args_is_help=True)


@app.command("sync")
def sync(
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="Provider id or name (default: all enabled)."
    ),
    force: bool = typer.Option(False, "--force", help="Accept a much shorter list."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per provider."),
) -> None:
    """Sync movies and series now. Exits non-zero when any provider failed or was refused."""
    rows = run(_sync(provider, force, as_json))
    if any(r.get("status") in ("failed", "refused") for r in rows):
        raise typer.Exit(1)


async def _sync(ref: str | None, force: bool, as_json: bool) -> list[dict[str, Any]]:
    async with open_cli_context() as ctx:
        factory = ctx.session_factory
        provider_id = None
        if ref is not None:
            async with factory() as session:
                provider_id = (await provider_service.get_by_ref(session=session, ref=ref)).id
        runtime = ctx.runtime
        with progress_bar(enabled=not as_json) as bar:
            task = bar.add_task("vod: starting", total=None)

            def hook(progress: int, total: int | None, message: str | None) -> None:
                bar.update(task, completed=progress, total=total, description=(message or "")[:100])

            job = await runtime.run_inline(
                "vod_sync", {"provider_id": provider_id, "force": force}, report_hook=hook
            )
    result = job.result or {}
    rows: list[dict[str, Any]] = list(result.get("providers") or [])
    if not rows:
        rows = [dict(result, status=result.get("status", "failed"), message=job.error or "")]
    for row in rows:
        if as_json:
            print_json(row)
        else:
            ok = row.get("status") in ("ok", "unchanged")
            line = f"{row.get('status', ''):>9} {row.get('provider', '')}: {row.get('message', '')}"
            (console if ok else console_err).print(line, soft_wrap=True, markup=False)
    return rows


@app.command("list")
def list_(
    movies: bool = typer.Option(False, "--movies", help="Only movies."),
    series: bool = typer.Option(False, "--series", help="Only series."),
    search: str | None = typer.Option(None, "--search", "-q", help="Title search."),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per title."),
) -> None:
    """List movies and series."""
    run(_list(movies or not series, series or not movies, search, limit, as_json))


async def _list(
    with_movies: bool, with_series: bool, search: str | None, limit: int, as_json: bool
) -> None:
    async with open_db() as factory, factory() as session:
        kinds: tuple[tuple[vod_catalog.Kind, bool], ...] = (
            ("movie", with_movies),
            ("series", with_series),
        )
        for kind, enabled in kinds:
            if not enabled:
                continue
            page = await vod_catalog.list_titles(
                session=session, kind=kind, query=search, limit=limit
            )
            for item in page["items"]:
                if as_json:
                    print_json(item | {"kind": kind})
                else:
                    year = f" ({item['year']})" if item.get("year") else ""
                    console.print(
                        f"{kind:>6} {item['id']:>7}  {item['title']}{year}  "
                        f"[{item['sources']} source(s)]",
                        markup=False,
                    )
