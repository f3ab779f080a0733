"""``strmline demo``: the whole thing on one machine, with a fake IPTV provider to play with."""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer
from rich.markup import escape

from strmline.cli.common import console, open_cli_context, run
from strmline.config import Settings
from strmline.db.engine import SessionFactory, session_scope
from strmline.demo import FakeProviderServer, ProviderOptions
from strmline.jobs.runtime import JobRuntime
from strmline.services import providers as provider_service
from strmline.services import user_admin
from strmline.services import users as user_service

DEMO_DATA_DIR = Path("./data-demo")
M3U_NAME = "Demo M3U (acme)"
XTREAM_NAME = "Demo Xtream (globex)"
ADMIN = "admin"


def demo_settings(host: str, port: int) -> Settings:
    """Settings for the demo: its own data dir and a base URL that is this server's address."""
    values: dict[str, Any] = {}
    # The demo keeps its data apart from a real install's ./data unless told otherwise.
    if not os.environ.get("STRMLINE_DATA_DIR"):
        values["data_dir"] = DEMO_DATA_DIR
    # .strm files and playlists must reach this server, not the :8000 default.
    if not os.environ.get("STRMLINE_BASE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        shown = "[::1]" if shown == "::" else f"[{shown}]" if ":" in shown else shown
        values["base_url"] = f"http://{shown}:{port}"
    return Settings(**values)


def provider_options(data_dir: Path) -> ProviderOptions:
    """The demo guide covers the last hours and the next days; the clip is cached per data dir."""
    return ProviderOptions(
        media_dir=data_dir / "demo-media", epg_hours_before=6.0, epg_hours_after=4 * 24.0
    )


@dataclass
class DemoSetup:
    """What ``prepare`` did: one line per step, and the admin account to show."""

    lines: list[str] = field(default_factory=list)
    admin: str | None = None
    password: str | None = None  # only when this run created the account
    token: str | None = None

    @property
    def ok(self) -> bool:
        return not any("FAILED" in line for line in self.lines)


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


async def _providers(factory: SessionFactory, server: FakeProviderServer) -> list[int]:
    ids: list[int] = []
    async with session_scope(factory) as session:
        for spec in _specs(server):
            existing = await provider_service.get_by_name(session=session, name=spec.name)
            if existing is None:
                ids.append((await provider_service.create(session=session, spec=spec)).id)
            else:
                # The fake provider gets a free port each run: follow it.
                existing.url = spec.url
                ids.append(existing.id)
    return ids


async def _admin(factory: SessionFactory, setup: DemoSetup) -> str:
    async with session_scope(factory) as session:
        user = await user_service.get_by_username(session=session, username=ADMIN)
        if user is None:
            user = await user_admin.get_first_admin(session=session)
        if user is None:
            setup.password = secrets.token_urlsafe(12)
            user = await user_service.create(
                session=session, username=ADMIN, password=setup.password, role="admin"
            )
        setup.admin, setup.token = user.username, user.api_token
    return "created" if setup.password else "exists"


async def _job(runtime: JobRuntime, kind: str, args: dict[str, Any] | None = None) -> Any:
    job = await runtime.run_inline(kind, args or {}, trigger="cli")
    if job.state != "succeeded":
        raise RuntimeError(job.error or job.state)
    return job.result or {}


def _guide_line(result: dict[str, Any]) -> str:
    sources = result.get("sources", [result])
    programmes = sum(int(s.get("programmes") or 0) for s in sources)
    channels = sum(int(s.get("channels") or 0) for s in sources)
    failed = [f"{s.get('source')}: {s.get('message')}" for s in sources if s["status"] == "failed"]
    text = f"{programmes} programmes for {channels} guide channels from {len(sources)} source(s)"
    return text + (f"; failed: {'; '.join(failed)}" if failed else "")


def _vod_line(result: dict[str, Any]) -> str:
    parts = [
        f"{p['provider']}: {p['status']}, {p['movies']} movies, {p['series']} series"
        for p in result.get("providers", [])
    ]
    return "; ".join(parts) or "no provider offers VOD"


def _strm_line(result: dict[str, Any]) -> str:
    return (
        f"{result['movies']} movies, {result['episodes']} episodes, {result['live']} live "
        f"({result['written']} files written, {result['unchanged']} unchanged) in {result['out']}"
    )


async def prepare(settings: Settings, server: FakeProviderServer) -> DemoSetup:
    """Everything but serving: providers, admin, channels, guide, VOD and the .strm library.

    A failing step is reported in its line and the next steps still run.
    """
    setup = DemoSetup()

    async def step(label: str, action: Callable[[], Awaitable[str]]) -> None:
        try:
            setup.lines.append(f"  {label}: {escape(await action())}")
        except Exception as exc:
            setup.lines.append(f"  {label}: [red]FAILED[/] {escape(f'{exc}' or repr(exc))}")

    async with open_cli_context(settings) as ctx:
        factory, runtime = ctx.session_factory, ctx.runtime
        ids: list[int] = []

        async def providers() -> str:
            ids.extend(await _providers(factory, server))
            return f"{M3U_NAME}, {XTREAM_NAME}"

        await step("providers", providers)
        # Before the library: .strm files carry an admin's API token.
        await step("admin account", lambda: _admin(factory, setup))
        # Through the job runtime, so these runs show up in the UI's job history.
        for provider_id in ids:

            async def sync(provider_id: int = provider_id) -> str:
                result = await _job(runtime, "sync", {"provider_id": provider_id})
                return f"{result.get('provider')}: {result.get('status')}, {result.get('message')}"

            await step("channels", sync)
        # With no source id the import first adds the providers' own guides as sources.
        await step("guide", lambda: _guide_line_async(runtime))
        await step("movies and series", lambda: _vod_async(runtime))
        await step("library", lambda: _strm_async(runtime))
    return setup


async def _guide_line_async(runtime: JobRuntime) -> str:
    return _guide_line(await _job(runtime, "epg_import"))


async def _vod_async(runtime: JobRuntime) -> str:
    return _vod_line(await _job(runtime, "vod_sync"))


async def _strm_async(runtime: JobRuntime) -> str:
    return _strm_line(await _job(runtime, "strm_generate"))


def _print_access(settings: Settings, server: FakeProviderServer, setup: DemoSetup) -> None:
    base = settings.base_url.rstrip("/")
    accounts = ", ".join(f"{a.username} / {a.password}" for a in server.accounts.values())
    console.print(f"fake provider accounts (username / password): {accounts}")
    if setup.password:
        console.print(
            f"admin account: [bold]{setup.admin}[/] / [bold]{escape(setup.password)}[/]"
            " (shown once, note it down)"
        )
    elif setup.admin:
        console.print(f"admin account: {setup.admin} (password set on an earlier run)")
    console.print(f"base URL: {base}")
    console.print(f"  web UI      {base}/")
    if setup.token:
        token = quote(setup.token, safe="")
        console.print(f"  M3U         {base}/output/m3u?token={token}", soft_wrap=True)
        console.print(f"  XMLTV       {base}/output/xmltv?token={token}", soft_wrap=True)
        console.print(f"  HDHomeRun   {base}/hdhr/{token}/", soft_wrap=True)


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    provider_port: int = typer.Option(
        0, "--provider-port", help="Port of the fake provider (default: any free one)."
    ),
) -> None:
    """Try strmline with a fake provider: adds two demo accounts, syncs channels, guide, movies
    and series, writes the .strm library, then serves.

    Data goes to ./data-demo unless STRMLINE_DATA_DIR is set. Ctrl-C stops everything.
    """
    import uvicorn

    from strmline.api.app import create_app
    from strmline.demo import demo_provider, run_fake_provider

    settings = demo_settings(host, port)
    settings.ensure_data_dir()
    provider = demo_provider(options=provider_options(settings.data_dir))
    with console.status("making the demo video clip (once)..."):
        no_video = provider.prepare_media()
    if no_video:
        console.print(f"[yellow]demo streams carry no video: {escape(no_video)}[/]")

    with run_fake_provider(provider, port=provider_port) as server:
        console.print(f"fake IPTV provider on {server.url}")
        with console.status("adding and syncing the demo providers..."):
            setup = run(prepare(settings, server))
        console.print("demo setup:")
        for line in setup.lines:
            console.print(line, soft_wrap=True)
        console.print(
            f"\nstrmline demo on [bold]{settings.base_url}[/] "
            f"(data in {settings.data_dir.resolve()})"
        )
        _print_access(settings, server, setup)
        console.print("Ctrl-C stops the server and the fake provider.\n")
        # uvicorn handles Ctrl-C itself (graceful shutdown, lifespan ends); the provider thread
        # stops when this block exits.
        uvicorn.run(  # forwarded headers: the app's http.trusted_proxies, not uvicorn's
            create_app(settings), host=host, port=port, log_level="info", proxy_headers=False
        )
