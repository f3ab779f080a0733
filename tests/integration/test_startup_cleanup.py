"""What killed runs leave behind is removed at start-up (API and worker); a symlinked library
folder is refused in one line."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import EpgProgrammeStaging, EpgSource, Job
from strmline.errors import ConfigError
from strmline.jobs.runtime import JobRuntime
from strmline.pipelines.strm.library import Library
from strmline.services.cleanup import remove_stale_tmp_files

Factory = async_sessionmaker[AsyncSession]


def _settings(url: str, tmp_path: Path, **kw: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=url,
        secret_key="k" * 48,
        **kw,  # type: ignore[arg-type]
    )


async def _stage_rows(factory: Factory, n: int = 500) -> None:
    """What an import killed half way leaves: a source's programmes in staging."""
    now = utcnow()
    async with session_scope(factory) as s:
        source = EpgSource(name="g", kind="url", url="http://127.0.0.1:9/g.xml")
        s.add(source)
        await s.flush()
        s.add_all(
            EpgProgrammeStaging(
                source_id=source.id,
                xmltv_id=f"ch{i % 7}",
                start=now + timedelta(minutes=i),
                stop=now + timedelta(minutes=i + 1),
                title=f"show {i}",
            )
            for i in range(n)
        )


async def _staged(factory: Factory) -> int:
    async with factory() as s:
        return int(await s.scalar(select(func.count()).select_from(EpgProgrammeStaging)) or 0)


async def _start_app(settings: Settings) -> None:
    app = create_app(settings, scheduler=False, migrate=False)
    async with app.router.lifespan_context(app):
        pass


async def _import_job(factory: Factory, *, beat_age: timedelta) -> None:
    async with session_scope(factory) as s:
        s.add(
            Job(
                kind="epg_import",
                args={"source_id": 1},
                resource="epg",
                state="running",
                trigger="schedule",
                started_at=utcnow() - beat_age,
                heartbeat_at=utcnow() - beat_age,
            )
        )


async def test_app_start_clears_staging_of_killed_imports(
    session_factory: Factory, migrated_url: str, tmp_path: Path
) -> None:
    await _stage_rows(session_factory)
    # The killed import's job record still says running, but its heartbeat stopped long ago.
    await _import_job(session_factory, beat_age=timedelta(hours=2))
    await _start_app(_settings(migrated_url, tmp_path))
    assert await _staged(session_factory) == 0


async def test_staging_of_a_live_import_is_kept(
    session_factory: Factory, migrated_url: str, tmp_path: Path
) -> None:
    await _stage_rows(session_factory)
    await _import_job(session_factory, beat_age=timedelta(seconds=5))
    await _start_app(_settings(migrated_url, tmp_path))
    assert await _staged(session_factory) == 500


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def _library_leftovers(root: Path, outside: Path) -> dict[str, Path]:
    movie = root / "Movies" / "Film (2001)"
    movie.mkdir(parents=True)
    files = {
        "old_tmp": movie / ".Film (2001).strm.4242.tmp",
        "young_tmp": movie / ".Other (2002).strm.4243.tmp",
        "strm": movie / "Film (2001).strm",
        "user_file": movie / "notes.tmp",
        "outside_tmp": outside / ".Elsewhere.strm.11.tmp",
    }
    for path in files.values():
        path.write_text("x")
    for key in ("old_tmp", "strm", "user_file", "outside_tmp"):
        _age(files[key], 7200)
    (root / "TV Shows").mkdir()
    (root / "TV Shows" / "linked").symlink_to(outside, target_is_directory=True)
    return files


async def test_app_start_removes_stale_temporary_library_files(
    session_factory: Factory, migrated_url: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    files = _library_leftovers(tmp_path / "lib", outside)
    await _start_app(_settings(migrated_url, tmp_path, output_dir=tmp_path / "lib"))
    left = {key for key, path in files.items() if path.exists()}
    # Only the old hidden temporary file went: not a young one (a run may be writing it), not
    # library or user files, and nothing reached through a symbolic link.
    assert left == {"young_tmp", "strm", "user_file", "outside_tmp"}


def test_tmp_sweep_of_a_missing_or_linked_root_does_nothing(tmp_path: Path) -> None:
    assert remove_stale_tmp_files(tmp_path / "absent") == 0
    real = tmp_path / "real"
    real.mkdir()
    (real / ".a.strm.1.tmp").write_text("x")
    _age(real / ".a.strm.1.tmp", 7200)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    assert remove_stale_tmp_files(tmp_path / "link") == 0
    assert remove_stale_tmp_files(real) == 1


def test_worker_start_cleans_too(engine: object, migrated_url: str, tmp_path: Path) -> None:
    """A Celery worker process (prefork child or solo) cleans when its runtime starts."""
    import asyncio

    from strmline.db.engine import create_engine, make_session_factory
    from strmline.jobs import worker

    async def on_own_engine(fn: Any) -> Any:  # the fixtures' engine lives on another loop
        eng = create_engine(migrated_url)
        try:
            return await fn(make_session_factory(eng))
        finally:
            await eng.dispose()

    asyncio.run(on_own_engine(lambda f: _stage_rows(f, 50)))
    (tmp_path / "strm").mkdir()
    leftover = tmp_path / "strm" / ".x.strm.9.tmp"
    leftover.write_text("x")
    _age(leftover, 7200)
    worker.start(_settings(migrated_url, tmp_path))
    try:
        assert not leftover.exists()
    finally:
        worker.stop()
    asyncio.set_event_loop(None)
    assert asyncio.run(on_own_engine(_staged)) == 0


def test_symlinked_output_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    with pytest.raises(ConfigError) as err:
        Library(tmp_path / "link")
    assert "symbolic link" in str(err.value) and "\n" not in str(err.value)
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "Movies").symlink_to(real, target_is_directory=True)
    with pytest.raises(ConfigError) as err:
        Library(lib).write(PurePosixPath("Movies/A (2000)/A (2000).strm"), "x")
    assert "leading out of it" in str(err.value) and not any(real.iterdir())


async def test_library_job_with_a_symlinked_folder_fails_with_the_reason(
    session_factory: Factory, migrated_url: str, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    settings = _settings(migrated_url, tmp_path, output_dir=tmp_path / "link")
    async with JobRuntime(settings, session_factory=session_factory) as runtime:
        job = await runtime.run_inline("strm_generate", {})
    assert job.state == "failed"
    assert job.error is not None and "internal error" not in job.error
    assert "is a symbolic link" in job.error and str(tmp_path / "link") in job.error
