"""What killed runs leave behind, removed when an API process or a worker starts.

- Guide staging rows: an import streams a source's programmes into ``epg_programme_staging`` and
  clears them when it ends; one killed half way (kill -9, power cut) left 35k-192k rows there
  until that source was imported again. They are deleted when no guide import is alive: no
  ``epg_import`` job is running with a heartbeat younger than ``jobs.stale_after_seconds`` (the
  rule that also declares such a job interrupted), so an import running in another process
  keeps its rows.
- Hidden temporary files: a library write goes to ``.<name>.<pid>.tmp`` and is renamed into
  place; one killed between the two left the temporary file forever. Those older than an hour
  under the library folder are deleted (younger ones may belong to a run in progress).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import EpgProgrammeStaging, Job

log = logging.getLogger(__name__)

TMP_MAX_AGE = 3600.0
# LibraryWriter's and Library's temporary names: ".<file name>.<pid>.tmp".
_TMP_NAME = re.compile(r"^\..+\.\d+\.tmp$")


@dataclass(frozen=True, slots=True)
class Cleaned:
    staging_rows: int
    tmp_files: int


async def clean_at_start(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    runner_alive: Callable[[int, str | None], Awaitable[bool]] | None = None,
) -> Cleaned:
    """Both clean-ups; a failure is logged, never stops the process from starting."""
    rows = files = 0
    try:
        rows = await clear_orphan_staging(
            factory,
            stale_after=timedelta(seconds=settings.jobs.stale_after_seconds),
            runner_alive=runner_alive,
        )
    except Exception as exc:  # start-up must go on; the next start tries again
        log.warning("could not clear guide staging rows left by killed imports: %s", exc)
    try:
        files = await asyncio.to_thread(remove_stale_tmp_files, settings.strm_dir)
    except OSError as exc:
        log.warning("could not remove temporary files under %s: %s", settings.strm_dir, exc)
    if rows or files:
        log.info(
            "removed what killed runs left: %d guide staging rows, %d temporary library files",
            rows,
            files,
        )
    return Cleaned(staging_rows=rows, tmp_files=files)


async def clear_orphan_staging(
    factory: async_sessionmaker[AsyncSession],
    *,
    stale_after: timedelta,
    runner_alive: Callable[[int, str | None], Awaitable[bool]] | None = None,
) -> int:
    """Delete every staging row, in one statement, unless a guide import is alive.

    ``runner_alive`` (``JobRuntime.liveness.alive``) applies the whole stale-job rule: a silent
    import whose process still runs (stalled, not dead) keeps its rows too.
    """
    beat = utcnow() - stale_after
    alive = exists().where(
        Job.kind == "epg_import",
        Job.state == "running",
        or_(
            Job.heartbeat_at >= beat,
            and_(Job.heartbeat_at.is_(None), Job.created_at >= beat),
        ),
    )
    async with session_scope(factory) as session:
        # An empty table (the usual case) then takes no write lock at all.
        if await session.scalar(select(func.count()).select_from(EpgProgrammeStaging)) == 0:
            return 0
        if runner_alive is not None:
            running = await session.execute(
                select(Job.id, Job.worker).where(Job.kind == "epg_import", Job.state == "running")
            )
            for job_id, worker in running.all():
                if await runner_alive(job_id, worker):
                    return 0
        result = await session.execute(
            delete(EpgProgrammeStaging).where(~alive).execution_options(synchronize_session=False)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)


def remove_stale_tmp_files(root: Path, *, max_age: float = TMP_MAX_AGE) -> int:
    """Delete ``.<name>.<pid>.tmp`` files older than ``max_age`` seconds below ``root``.

    The walk never follows a symbolic link (a link may lead anywhere) and touches no other file.
    """
    if not root.is_dir() or root.is_symlink():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif (
                _TMP_NAME.match(entry.name)
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            ):
                try:
                    os.unlink(entry.path)
                    removed += 1
                except FileNotFoundError:
                    continue
    return removed
