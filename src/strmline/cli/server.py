"""``strmline serve`` and ``strmline user``."""

from __future__ import annotations

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
) -> None:
    """Run the web server (API, outputs and UI); in embedded mode also the jobs and the scheduler."""
    import os

    import uvicorn

    from strmline.api.app import create_app

    # Discovery announces the tuner's URL; without a configured one it is the port served here.
    os.environ.setdefault("STRMLINE_DISCOVERY__HTTP_PORT", str(port))
    console.print(f"strmline listening on http://{host}:{port} (API docs at /api/docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info", proxy_headers=True)


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
