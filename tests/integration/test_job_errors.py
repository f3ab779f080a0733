"""An internal error's job message: one readable line, never the SQL (that goes to the log)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.errors import one_line
from strmline.jobs import registry
from strmline.jobs.events import LocalEventBus
from strmline.jobs.runtime import JobRuntime
from strmline.pipelines.context import PipelineContext


async def huge_failing_query(ctx: PipelineContext, **_: Any) -> dict[str, Any]:
    """A statement of 40,000 bound ids against a table that is not there."""
    missing = table("no_such_table", column("id"))
    async with ctx.session_factory() as session:
        await session.execute(select(missing.c.id).where(missing.c.id.in_(range(40_000))))
    return {}


registry.register("test.huge_sql_error", huge_failing_query, replace=True)


async def test_an_internal_error_is_one_line_without_sql(
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = JobRuntime(
        Settings(data_dir=tmp_path, redis_url=None),
        session_factory=session_factory,
        bus=LocalEventBus(),
        backend="local",
    )
    try:
        with caplog.at_level(logging.ERROR, logger="strmline.jobs.runtime"):
            job = await runtime.run_inline("test.huge_sql_error", {})
    finally:
        await runtime.close()
    assert job.state == "failed"
    error = job.error or ""
    assert error.startswith("internal error: "), error
    assert "\n" not in error and len(error) <= 350, error
    assert "SELECT" not in error and "no_such_table (" not in error and "39999" not in error
    assert "no_such_table" in error or "no such table" in error  # the driver's own reason
    # The whole story, statement included, is in the log.
    assert any("SELECT" in (r.exc_text or "") for r in caplog.records), "traceback not logged"


def test_one_line_keeps_a_plain_error_whole_and_cuts_a_long_one() -> None:
    assert one_line(ValueError("boom")) == "ValueError: boom"
    assert one_line(RuntimeError("first\nsecond")) == "RuntimeError: first"
    long = one_line(RuntimeError("x" * 1000))
    assert len(long) <= len("RuntimeError: ") + 300 and long.endswith("…")
    assert one_line(KeyError()) == "KeyError"
