"""``strmline serve`` and ``strmline user``."""

from __future__ import annotations

import copy
from typing import Any

import typer

from strmline.cli.common import console, open_db, run
from strmline.db.engine import session_scope
from strmline.services import users as user_service

user_app = typer.Typer(help="Accounts.", no_args_is_help=True)


def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."
    ),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Server processes sharing the port. Without Celery one of them is elected to run "
        "the jobs and the scheduler; the others hand jobs over to it.",
    ),
) -> None:
    """Run the web server (API, outputs and UI); in embedded mode also the jobs and the scheduler."""
    import os

    import uvicorn

    # Discovery announces the tuner's URL; without a configured one it is the port served here.
    os.environ.setdefault("STRMLINE_DISCOVERY__HTTP_PORT", str(port))
    console.print(
        f"strmline listening on http://{host}:{port} (API docs at /api/docs)"
        + (f", {workers} processes" if workers > 1 else "")
    )
    if workers == 1:
        from strmline.api.app import create_app

        uvicorn.run(
            create_app(),
            host=host,
            port=port,
            log_level="info",
            log_config=_log_config(),
            proxy_headers=False,  # the app's own, from http.trusted_proxies (api/ratelimit.py)
        )
        return
    _prepare_database()
    # Each process builds its own app from the same environment (hence the import string).
    uvicorn.run(
        "strmline.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=_log_config(),
        proxy_headers=False,  # the app's own, from http.trusted_proxies (api/ratelimit.py)
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus which process runs the jobs and the scheduler (an INFO line that
    would otherwise not reach the log; strmline's other loggers keep their WARNING default)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["strmline.jobs.election"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def _prepare_database() -> None:
    """Migrate (and make the signing key) once, before the processes start all at once."""

    async def _go() -> None:
        async with open_db():
            pass

    run(_go())


@user_app.command("create")
def create_user(
    username: str = typer.Argument(..., help="Login name."),
    admin: bool = typer.Option(False, "--admin", help="Give the account every right."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Password (prompted when not given).",
    ),
) -> None:
    """Create an account (the first admin, or more users)."""

    async def _go() -> str:
        async with open_db() as factory, session_scope(factory) as session:
            user = await user_service.create(
                session=session,
                username=username,
                password=password,
                role="admin" if admin else "user",
            )
            return f"created {user.role} {user.username} (id {user.id})"

    console.print(run(_go()))
