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
- The logo cache: logos past ``logos.max_age_days``, then the least recently shown ones over
  ``logos.max_mb``, expired failure markers and unfinished writes (services/logos.py, which
  also prunes it from then on, in the process that serves it).
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

from strmline.config import LogoSettings, Settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import EpgProgrammeStaging, Job
from strmline.services import logos
from strmline.services import settings as settings_service

log = logging.getLogger(__name__)

TMP_MAX_AGE = 3600.0
# LibraryWriter's and Library's temporary names: ".<file name>.<pid>.tmp".
_TMP_NAME = re.compile(r"^\..+\.\d+\.tmp$")


@dataclass(frozen=True, slots=True)
class Cleaned:
    staging_rows: int
    tmp_files: int
    logo_files: int = 0


async def clean_at_start(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    runner_alive: Callable[[int, str | None], Awaitable[bool]] | None = None,
) -> Cleaned:
    """Every clean-up; a failure is logged, never stops the process from starting."""
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
    limits = await logo_limits(factory, settings)
    pruned = await logos.prune_logged(
        settings.data_dir / "logos",
        max_bytes=limits.max_mb * logos.MB,
        max_age=limits.max_age_days * 86400.0,
    )
    return Cleaned(staging_rows=rows, tmp_files=files, logo_files=pruned.removed)


async def logo_limits(
    factory: async_sessionmaker[AsyncSession], settings: Settings
) -> LogoSettings:
    """The logo cache's limits as the process will run with them: this runs before the values
    saved on the settings page are applied, and pruning by the environment's limits alone
    could empty a cache someone allowed to grow larger there."""
    try:
        async with factory() as session:
            saved = await settings_service.load(session=session, settings=settings)
        values = {k.removeprefix("logos."): v for k, v in saved.items() if k.startswith("logos.")}
        return LogoSettings.model_validate(settings.logos.model_dump() | values)
    except Exception as exc:  # start-up must go on: a saved value refused now, no table yet
        log.debug("logo cache limits from the environment only: %s", exc)
        return settings.logos


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
