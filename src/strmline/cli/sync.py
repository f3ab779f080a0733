"""``strmline sync``: fetch providers and merge them into the channel list."""

from __future__ import annotations

from typing import Any

import typer

from strmline.cli.common import (
    console,
    console_err,
    open_cli_context,
    print_json,
    progress_bar,
    run,
)
from strmline.errors import ConfigError, Conflict
from strmline.jobs.runtime import JobRuntime
from strmline.services import providers as provider_service

FIELDS = (
    "provider",
    "status",
    "entries",
    "channels_created",
    "streams_added",
    "streams_updated",
    "streams_removed",
    "seconds",
    "message",
)


def sync(
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="Provider id or name (default: all enabled)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Accept a list much shorter than the last good one."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per provider."),
) -> None:
    """Sync providers now. Exits non-zero when any provider failed or was refused."""
    results = run(_sync(provider, force, as_json))
    if any(r["status"] in ("failed", "refused") for r in results):
        raise typer.Exit(1)


async def _sync(ref: str | None, force: bool, as_json: bool) -> list[dict[str, Any]]:
    async with open_cli_context() as ctx:
        async with ctx.session_factory() as session:
            if ref is not None:
                targets = [await provider_service.get_by_ref(session=session, ref=ref)]
            else:
                targets = [
                    p for p, _ in await provider_service.list_all(session=session) if p.enabled
                ]
        if not targets:
            raise ConfigError("no enabled providers: add one with `strmline provider add`")
        results = []
        for provider in targets:
            results.append(await _one(ctx.runtime, provider.id, provider.name, force, as_json))
    return results


async def _one(
    runtime: JobRuntime, provider_id: int, name: str, force: bool, as_json: bool
) -> dict[str, Any]:
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task(f"{name}: starting", total=None)

        def hook(progress: int, total: int | None, message: str | None) -> None:
            bar.update(
                task, completed=progress, total=total, description=f"{name}: {message or ''}"[:100]
            )

        try:
            job = await runtime.run_inline(
                "sync", {"provider_id": provider_id, "force": force}, report_hook=hook
            )
        except Conflict as exc:
            job_id = exc.details.get("job_id") if isinstance(exc.details, dict) else None
            result = {
                "provider": name,
                "status": "failed",
                "message": f"a sync of {name} is already running (job {job_id})",
            }
            return _emit(result, as_json)
    result = dict(job.result or {})
    result.setdefault("provider", name)
    if job.state != "succeeded":
        result.setdefault("status", "failed")
        result["message"] = result.get("message") or job.error or job.state
    return _emit(result, as_json)


def _emit(result: dict[str, Any], as_json: bool) -> dict[str, Any]:
    row = {
        key: result.get(key, 0 if key not in ("provider", "status", "message") else "")
        for key in FIELDS
    }
    if as_json:
        print_json(row)
    else:
        colour = {"ok": "green", "unchanged": "cyan", "refused": "yellow"}.get(
            str(row["status"]), "red"
        )
        line = f"[{colour}]{row['status']:>9}[/] {row['provider']}: {row['message']} ({row['seconds']} s)"
        (console if row["status"] in ("ok", "unchanged") else console_err).print(
            line, soft_wrap=True
        )
    return row
