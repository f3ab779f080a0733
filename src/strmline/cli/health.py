"""``strmline health``: check streams now and store the results (the nightly run, on demand)."""

from __future__ import annotations

from typing import Any

import typer

from strmline.cli.common import console, open_cli_context, print_json, progress_bar, run
from strmline.errors import Conflict, StrmlineError
from strmline.services import providers as provider_service

FIELDS = (
    "checked",
    "ok",
    "slow",
    "failed",
    "skipped",
    "reactivated",
    "deactivated",
    "probed",
    "probe_failed",
    "probe_skipped",
    "probe_seconds",
    "seconds",
)


def health(
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="Provider id or name (default: every enabled provider)."
    ),
    channel: int | None = typer.Option(
        None, "--channel", "-c", help="Only this channel's streams."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """Check streams: video or not, how fast; deactivate dead ones, reactivate recovered ones."""
    result = run(_health(provider, channel, as_json))
    if as_json:
        print_json(result)
    else:
        # The pipeline's own one-line summary, the same text the job shows as its message.
        console.print(result["summary"], soft_wrap=True, markup=False, highlight=False)


async def _health(ref: str | None, channel: int | None, as_json: bool) -> dict[str, Any]:
    args: dict[str, Any] = {}
    async with open_cli_context() as ctx:
        factory = ctx.session_factory
        if ref is not None:
            async with factory() as session:
                args["provider_id"] = (
                    await provider_service.get_by_ref(session=session, ref=ref)
                ).id
        if channel is not None:
            args["channel_id"] = channel
        runtime = ctx.runtime
        with progress_bar(enabled=not as_json) as bar:
            task = bar.add_task("health: starting", total=None)

            def hook(progress: int, total: int | None, message: str | None) -> None:
                bar.update(
                    task,
                    completed=progress,
                    total=total,
                    description=f"health: {message or ''}",
                )

            try:
                job = await runtime.run_inline("health", args, report_hook=hook)
            except Conflict as exc:
                raise StrmlineError("a health check is already running") from exc
    if job.state != "succeeded":
        raise StrmlineError(f"health check {job.state}: {job.error or ''}".rstrip(": "))
    values = dict(job.result or {})
    counts = {key: values.get(key, 0) for key in FIELDS}
    summary = values.get("summary")
    return {**counts, "summary": summary if isinstance(summary, str) else job.message or ""}
