"""``strmline jobs``, ``strmline worker`` and ``strmline beat``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timedelta
from typing import Any

import typer
from rich.table import Table

from strmline.cli.common import console, open_db, print_json, run
from strmline.config import get_settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models.system import Job
from strmline.errors import ConfigError
from strmline.services import jobs as job_service

STATE_STYLE = {
    "queued": "cyan",
    "running": "yellow",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "magenta",
}


def jobs(
    limit: int = typer.Option(
        20, "--limit", "-n", min=1, max=500, help="How many of the newest jobs."
    ),
    kind: list[str] = typer.Option([], "--kind", help="Only jobs of this kind (repeatable)."),
    state: list[str] = typer.Option([], "--state", help="Only jobs in this state (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List recent background jobs, newest first."""

    async def _go() -> list[Job]:
        async with open_db(migrate=False) as factory, session_scope(factory) as session:
            return await job_service.list_recent(
                session=session, limit=limit, kinds=kind or None, states=state or None
            )

    rows = run(_go())
    if as_json:
        for job in rows:
            print_json(job_dict(job))
        return
    if not rows:
        console.print("no jobs yet")
        return
    table = Table(box=None, pad_edge=False)
    for name, justify in (
        ("id", "right"),
        ("kind", "left"),
        ("state", "left"),
        ("progress", "right"),
        ("message", "left"),
        ("created", "left"),
        ("duration", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    now = utcnow()
    for job in rows:
        style = STATE_STYLE.get(job.state, "")
        progress = f"{job.progress:,}" + (f"/{job.total:,}" if job.total is not None else "")
        table.add_row(
            str(job.id),
            job.kind,
            f"[{style}]{job.state}[/]" if style else job.state,
            progress,
            _short(job.error if job.state == "failed" and job.error else job.message),
            _when(job.created_at, now),
            _duration(job, now),
        )
    console.print(table)


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress,
        "total": job.total,
        "message": job.message,
        "result": job.result,
        "error": job.error,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def worker(
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        "-c",
        min=1,
        max=64,
        help="Jobs run at once (default: jobs concurrency setting).",
    ),
    pool: str = typer.Option(
        "prefork", "--pool", help="prefork (one process per slot) or solo (one process)."
    ),
    loglevel: str = typer.Option("INFO", "--loglevel", help="Celery log level."),
) -> None:
    """Run a Celery worker that executes queued jobs (scaled mode; needs STRMLINE_REDIS_URL)."""
    settings = get_settings()
    if not settings.redis_url:
        raise ConfigError(
            "strmline worker needs Redis: set STRMLINE_REDIS_URL (and STRMLINE_JOBS__BACKEND=celery "
            "on the API servers so they send jobs to it)"
        )
    if pool not in ("prefork", "solo"):
        raise typer.BadParameter("must be prefork or solo", param_hint="--pool")
    from strmline.jobs import celery_app
    from strmline.jobs.options import job_settings

    n = concurrency or job_settings(settings).concurrency
    celery_app.app.worker_main(
        [
            "worker",
            f"--concurrency={n}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--queues={celery_app.QUEUE}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def beat(
    tick: float | None = typer.Option(
        None, "--tick", min=1.0, help="Seconds between looks for due providers."
    ),
) -> None:
    """Submit scheduled provider syncs to the Celery workers, in the foreground (scaled mode).

    Several beats may run: each scheduled run is claimed once in the database.
    """
    settings = get_settings()
    if not settings.redis_url:
        raise ConfigError("strmline beat sends jobs to Celery workers: set STRMLINE_REDIS_URL")
    from strmline.jobs.context import open_context
    from strmline.jobs.schedule import Scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def _go() -> None:
        # The context loads the signing key: guide sources are built from provider passwords,
        # encrypted at rest with it.
        async with open_context(settings, role="beat") as ctx:
            scheduler = Scheduler(ctx.runtime, tick_seconds=tick)
            task = scheduler.start()
            # Service managers stop with SIGTERM; end the loop so the pools close cleanly.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
            console.print(f"scheduler running, every {scheduler.tick_seconds:g} s; Ctrl-C stops it")
            with contextlib.suppress(asyncio.CancelledError):
                await task

    run(_go())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(value: datetime, now: datetime) -> str:
    age = now - value
    if age < timedelta(days=1):
        return value.astimezone().strftime("%H:%M:%S")
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _duration(job: Job, now: datetime) -> str:
    if job.started_at is None:
        return ""
    seconds = int(((job.finished_at or now) - job.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
