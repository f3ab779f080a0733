"""``strmline strm``: write the .strm library of movies, series and (optionally) live channels."""

from __future__ import annotations

from pathlib import Path

import typer

from strmline.cli.common import console, open_cli_context, print_json, progress_bar, run

app = typer.Typer(help="The .strm library for Jellyfin, Emby, Kodi and Plex.", no_args_is_help=True)


@app.command("generate")
def generate(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Library folder (default: settings)."
    ),
    live: bool | None = typer.Option(
        None, "--live/--no-live", help="Also write live channels under 'Live TV/'."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Write the library: only changed files are written, orphans and empty folders removed.

    Files point at the public URL saved in Settings or STRMLINE_BASE_URL, else at the address
    the last library request from the web UI came in on."""
    run(_generate(out, live, as_json))


async def _generate(out: Path | None, live: bool | None, as_json: bool) -> None:
    args: dict[str, object] = {"out": str(out) if out else None, "live": live}
    async with open_cli_context() as ctx:
        with progress_bar(enabled=not as_json) as bar:
            task = bar.add_task("strm: starting", total=None)

            def hook(progress: int, total: int | None, message: str | None) -> None:
                bar.update(task, description=(message or "")[:100])

            job = await ctx.runtime.run_inline("strm_generate", args, report_hook=hook)
    if job.state != "succeeded":
        from strmline.errors import StrmlineError

        raise StrmlineError(job.error or f"strm generation {job.state}")
    result = job.result or {}
    if as_json:
        print_json(result)
    else:
        console.print(f"{result.get('out')}: {result.get('message')}", markup=False)
        if result.get("warning"):
            console.print(
                f"warning: {result['warning']} (or STRMLINE_BASE_URL)", style="yellow", markup=False
            )
        if result.get("rescan"):
            console.print(str(result["rescan"]), markup=False)
