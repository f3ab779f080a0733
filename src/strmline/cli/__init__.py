"""The ``strmline`` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from strmline import __version__
from strmline.cli import catalogue as catalogue_cli
from strmline.cli import channels as channels_cli
from strmline.cli import db as db_cli
from strmline.cli import demo as demo_cli
from strmline.cli import epg as epg_cli
from strmline.cli import health as health_cli
from strmline.cli import jobs as jobs_cli
from strmline.cli import process as process_cli
from strmline.cli import providers as providers_cli
from strmline.cli import server as server_cli
from strmline.cli import strm as strm_cli
from strmline.cli import sync as sync_cli
from strmline.cli import vod as vod_cli
from strmline.cli.common import console_err
from strmline.errors import StrmlineError

app = typer.Typer(
    name="strmline",
    help="strmline: one clean channel list, guide and .strm library out of your IPTV providers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(server_cli.serve)
app.command("demo")(demo_cli.demo)
app.command("process")(process_cli.process)
app.add_typer(providers_cli.app, name="provider")
app.command("sync")(sync_cli.sync)
app.command("health")(health_cli.health)
app.command("channels")(channels_cli.channels)
app.command("jobs")(jobs_cli.jobs)
app.command("worker")(jobs_cli.worker)
app.command("beat")(jobs_cli.beat)
app.add_typer(server_cli.user_app, name="user")
app.add_typer(db_cli.app, name="db")
app.add_typer(vod_cli.app, name="vod")
app.add_typer(strm_cli.app, name="strm")
app.add_typer(epg_cli.app, name="epg")
app.add_typer(catalogue_cli.app, name="catalogue")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"strmline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """strmline: one clean channel list, guide and .strm library out of your IPTV providers."""


def main() -> None:
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = app(standalone_mode=False)
    except StrmlineError as exc:
        console_err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        console_err.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
