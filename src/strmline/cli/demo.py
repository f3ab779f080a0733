"""``strmline demo``: the whole thing on one machine, with a fake IPTV provider to play with."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from sqlalchemy import select

from strmline.cli.common import console, open_db, run
from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import Provider
from strmline.demo import FakeProviderServer
from strmline.jobs.runtime import JobRuntime
from strmline.pipelines import providers as provider_service
from strmline.pipelines import users as user_service

DEMO_DATA_DIR = Path("./data-demo")
M3U_NAME = "Demo M3U (acme)"
XTREAM_NAME = "Demo Xtream (globex)"


def _specs(server: FakeProviderServer) -> list[provider_service.ProviderCreate]:
    globex = server.account("globex")
    return [
        provider_service.ProviderCreate(
            name=M3U_NAME, kind="m3u", url=server.playlist_url("acme"), max_connections=2
        ),
        provider_service.ProviderCreate(
            name=XTREAM_NAME,
            kind="xtream",
            url=server.url,
            username=globex.username,
            password=globex.password,
            max_connections=2,
        ),
    ]


async def _prepare(settings: Settings, server: FakeProviderServer) -> tuple[bool, list[str]]:
    """Add (or re-point) the demo providers and sync them; returns (has users, sync lines)."""
    async with open_db(settings) as factory:
        ids: list[int] = []
        async with session_scope(factory) as session:
            for spec in _specs(server):
                existing = (
                    await session.execute(select(Provider).where(Provider.name == spec.name))
                ).scalar_one_or_none()
                if existing is None:
                    ids.append((await provider_service.create(session=session, spec=spec)).id)
                else:
                    # The fake provider gets a free port each run: follow it.
                    existing.url = spec.url
                    ids.append(existing.id)
            has_users = await user_service.count(session=session) > 0
        lines = []
        # Through the job runtime, so the first syncs show up in the UI's job history.
        async with JobRuntime(settings, session_factory=factory) as runtime:
            for provider_id in ids:
                job = await runtime.run_inline("sync", {"provider_id": provider_id}, trigger="cli")
                result = job.result or {}
                status = result.get("status", job.state)
                lines.append(
                    f"  {result.get('provider', provider_id)}: {status}, {result.get('message') or job.error}"
                )
        return has_users, lines


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    provider_port: int = typer.Option(
        0, "--provider-port", help="Port of the fake provider (default: any free one)."
    ),
) -> None:
    """Try strmline with a fake provider: adds two demo accounts, syncs them, then serves.

    Data goes to ./data-demo unless STRMLINE_DATA_DIR is set. Ctrl-C stops everything.
    """
    import uvicorn

    from strmline.api.app import create_app
    from strmline.demo import demo_provider, run_fake_provider

    # The demo keeps its data apart from a real install's ./data unless told otherwise.
    settings = (
        Settings() if os.environ.get("STRMLINE_DATA_DIR") else Settings(data_dir=DEMO_DATA_DIR)
    )
    settings.ensure_data_dir()

    with run_fake_provider(demo_provider(), port=provider_port) as server:
        console.print(f"fake IPTV provider on {server.url} (accounts acme and globex)")
        has_users, lines = run(_prepare(settings, server))
        console.print("first sync:")
        for line in lines:
            console.print(line, soft_wrap=True)
        url = f"http://{host}:{port}"
        console.print(f"\nstrmline demo on [bold]{url}[/] (data in {settings.data_dir.resolve()})")
        if not has_users:
            console.print(
                f"create the admin account on the setup page at {url}, or with\n"
                f"  STRMLINE_DATA_DIR={settings.data_dir} strmline user create admin --admin"
            )
        console.print("Ctrl-C stops the server and the fake provider.\n")
        # uvicorn handles Ctrl-C itself (graceful shutdown, lifespan ends); the provider thread
        # stops when this block exits.
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
