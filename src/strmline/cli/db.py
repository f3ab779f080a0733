"""``strmline db``: schema management."""

from __future__ import annotations

import typer

from strmline.cli.common import console, run
from strmline.config import get_settings
from strmline.db.engine import engine_from_settings
from strmline.db.migrate import upgrade as upgrade_schema

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the database schema to the latest version."""

    async def _go() -> str:
        engine = engine_from_settings(get_settings())
        try:
            await upgrade_schema(engine, revision)
        finally:
            await engine.dispose()
        return engine.url.render_as_string(hide_password=True)

    url = run(_go())
    console.print(f"database at {url} is up to date")
