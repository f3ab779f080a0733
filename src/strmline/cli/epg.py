"""``strmline epg``: guide sources, imports, what is on now, manual channel ↔ guide links."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import TaskID

from strmline.cli.common import (
    console,
    console_err,
    open_cli_context,
    open_db,
    print_json,
    progress_bar,
    run,
)
from strmline.config import get_settings
from strmline.db.base import utcnow
from strmline.errors import ConfigError
from strmline.providers.local import LocalFiles
from strmline.services import epg_guide, epg_match
from strmline.services import epg_sources as source_service

app = typer.Typer(help="TV guide (XMLTV) sources and imports.", no_args_is_help=True)


@app.command("add")
def add(
    url: str = typer.Argument(..., help="XMLTV URL or file (plain, .gz, .xz, .zip)."),
    name: str | None = typer.Option(None, "--name", help="Shown name (default: the URL)."),
    offset_minutes: int = typer.Option(
        0, "--offset-minutes", help="Shift every time of this guide by N minutes."
    ),
    refresh_minutes: int | None = typer.Option(
        None, "--refresh-minutes", help="Own refresh interval (default: epg.refresh_*)."
    ),
    refresh_cron: str | None = typer.Option(
        None, "--refresh-cron", help="Own refresh schedule, cron in UTC."
    ),
    import_now: bool = typer.Option(
        True, "--import/--no-import", help="Import it now (else at the scheduler's next tick)."
    ),
) -> None:
    """Add a guide source and import it. Exits non-zero when that import failed."""

    async def _add() -> dict[str, Any]:
        async with open_db() as factory, factory() as session, session.begin():
            source = await source_service.create(
                session=session,
                url=url,
                name=name,
                offset_minutes=offset_minutes,
                refresh_minutes=refresh_minutes,
                refresh_cron=refresh_cron,
                local_files=LocalFiles.from_settings(get_settings()),
            )
            return {"id": source.id, "name": source.name, "kind": source.kind}

    row = run(_add())
    console.print(f"added guide source {row['id']}: {row['name']} ({row['kind']})")
    if import_now:
        results = run(_import(row["id"], False, False))
        if any(r.get("status") in ("failed", "refused") for r in results):
            raise typer.Exit(1)


@app.command("remove")
def remove(source_id: int = typer.Argument(..., help="Guide source id (see `epg list`).")) -> None:
    """Remove a guide source; its channels get another source's guide at once."""

    async def _remove() -> str:
        settings = get_settings()
        async with open_db() as factory, factory() as session, session.begin():
            source = await source_service.get(session=session, source_id=source_id)
            name = source.name
            await source_service.delete_source(
                session=session, source=source, threshold=settings.epg.fuzzy_threshold
            )
            return name

    console.print(f"removed guide source {source_id}: {run(_remove())}")


@app.command("list")
def list_sources(as_json: bool = typer.Option(False, "--json")) -> None:
    """Guide sources with their last import."""

    async def _list() -> list[dict[str, Any]]:
        async with open_db() as factory, factory() as session, session.begin():
            await source_service.ensure_auto_sources(session, get_settings())
            return [
                {
                    "id": s.id,
                    "name": s.name,
                    "kind": s.kind,
                    "enabled": s.enabled,
                    "offset_minutes": s.offset_minutes,
                    "last_status": s.last_status,
                    "channels": s.channel_count,
                    "programmes": s.programme_count,
                    "last_import_at": s.last_import_at,
                    "message": s.last_message,
                }
                for s in await source_service.list_all(session=session)
            ]

    for row in run(_list()):
        if as_json:
            print_json(row)
        else:
            state = "" if row["enabled"] else " (disabled)"
            console.print(
                f"{row['id']:>4} {row['name']}{state} [{row['kind']}] {row['last_status'] or 'never'}"
                f": {row['channels']:,} channels, {row['programmes']:,} programmes",
                soft_wrap=True,
            )


@app.command("import")
def import_(
    source: int | None = typer.Option(None, "--source", help="Source id (default: all enabled)."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Import even when the guide is unchanged, or has far fewer programmes or none on now.",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per source."),
) -> None:
    """Import guides now. Exits non-zero when any source failed."""
    results = run(_import(source, force, as_json))
    if any(r.get("status") in ("failed", "refused") for r in results):
        raise typer.Exit(1)


async def _import(ref: int | None, force: bool, as_json: bool) -> list[dict[str, Any]]:
    async with open_cli_context() as ctx:
        settings, factory = ctx.settings, ctx.session_factory
        async with factory() as session, session.begin():
            await source_service.ensure_auto_sources(session, settings)
            if ref is not None:
                sources = [await source_service.get(session=session, source_id=ref)]
            else:
                ids = await source_service.enabled_ids(session)
                sources = [await source_service.get(session=session, source_id=i) for i in ids]
            targets = [(s.id, s.name) for s in sources]
        if not targets:
            raise ConfigError("no guide sources: add one with `strmline epg add URL`")
        results = []
        runtime = ctx.runtime
        for source_id, name in targets:
            with progress_bar(enabled=not as_json) as bar:
                task = bar.add_task(f"{name}: starting", total=None)

                def hook(
                    progress: int,
                    total: int | None,
                    message: str | None,
                    task: TaskID = task,
                ) -> None:
                    bar.update(
                        task, completed=progress, total=total, description=(message or "")[:100]
                    )

                job = await runtime.run_inline(
                    "epg_import", {"source_id": source_id, "force": force}, report_hook=hook
                )
            result = dict(job.result or {})
            if job.state != "succeeded":
                details = getattr(job, "error", None)
                result = {
                    "source": name,
                    "source_id": source_id,
                    "status": "failed",
                    "message": details or job.state,
                }
            results.append(result)
            _emit(result, as_json)
    return results


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    status = str(result.get("status"))
    colour = {"ok": "green", "unchanged": "cyan"}.get(status, "red")
    extra = "".join(
        f" ({label}: {', '.join(f'{k} {v}' for k, v in counts.items())})"
        for label, counts in (
            ("dropped", result.get("dropped") or {}),
            ("repaired", result.get("repaired") or {}),
        )
        if counts
    )
    line = f"[{colour}]{status:>9}[/] {result.get('message', '')}{extra}"
    (console if status not in ("failed", "refused") else console_err).print(line, soft_wrap=True)


@app.command("now")
def now(as_json: bool = typer.Option(False, "--json", help="One JSON object per channel.")) -> None:
    """What is on now and next on every channel with a guide."""

    async def _now() -> list[dict[str, Any]]:
        async with open_db() as factory, factory() as session:
            rows = await epg_guide.now_next(session, now=utcnow())
            return [r.as_dict() for r in rows]

    for row in run(_now()):
        if as_json:
            print_json(row)
            continue
        on = row["now"]
        nxt = row["next"]
        now_text = f"{on['title']} (until {on['stop']:%H:%M})" if on else "-"
        next_text = f"{nxt['start']:%H:%M} {nxt['title']}" if nxt else "-"
        console.print(
            f"{row['channel_id']:>6} {row['channel']}: {now_text} | next {next_text}",
            soft_wrap=True,
        )


@app.command("assign")
def assign(
    channel_id: int = typer.Argument(..., help="Channel id."),
    xmltv_id: str = typer.Argument(..., help="Guide channel id, as in the XMLTV <channel id>."),
) -> None:
    """Pin a channel to a guide channel; kept across imports and syncs."""

    async def _assign() -> None:
        async with open_db() as factory, factory() as session, session.begin():
            guide = await epg_match.find_guide_channel(session, xmltv_id)
            await epg_match.assign(
                session=session,
                channel_id=channel_id,
                epg_channel_id=guide,
                threshold=get_settings().epg.fuzzy_threshold,
            )

    run(_assign())
    console.print(f"channel {channel_id} now uses the guide of {xmltv_id}")


__all__ = ["app", "console_err"]
