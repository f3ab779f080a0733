"""Helpers every command shares: consoles, JSON output, running coroutines, progress bars."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from strmline.config import Settings, get_settings
from strmline.db.engine import SessionFactory
from strmline.jobs.context import Context, open_context, open_database

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def print_json(obj: Any) -> None:
    sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()


def progress_bar(*, enabled: bool, bytes_mode: bool = False) -> Progress:
    """A progress bar on stderr, only when stderr is a terminal and output is not JSON."""
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if bytes_mode else TextColumn("{task.completed:,.0f}"))
    columns.append(TimeElapsedColumn())
    return Progress(
        *columns,
        console=console_err,
        transient=True,
        disable=not (enabled and console_err.is_terminal),
    )


@asynccontextmanager
async def open_db(
    settings: Settings | None = None, *, migrate: bool = True
) -> AsyncIterator[SessionFactory]:
    """The database of ``settings`` (default: the configured one), brought up to date first
    (cheap when it already is), for commands that run no job; those open a context instead."""
    async with open_database(settings or get_settings(), migrate=migrate, load_key=migrate) as (
        _,
        factory,
    ):
        yield factory


def open_cli_context(settings: Settings | None = None) -> AbstractAsyncContextManager[Context]:
    """The context a command that runs jobs works in (jobs/context.py, role ``cli``)."""
    return open_context(settings, role="cli")
