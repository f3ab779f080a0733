"""Scheduled provider syncs and guide imports that fire once per cluster, however many
schedulers tick.

Every process that runs a ``Scheduler`` (the embedded server, ``strmline beat``) looks for due
providers each tick. Before submitting, it claims the provider's slot (the fire time it is due
for) by inserting ``lock:schedule:sync:<provider id>:<slot>`` into the ``settings`` table: the
primary key lets exactly one claimant win. The jobs table's one-active-job-per-resource index is
the second guard, for a slot computed differently near a boundary.

Guide sources work the same way (``lock:schedule:epg:<source id>:<slot>``), on their own cron or
interval, else ``epg.refresh_cron`` / ``epg.refresh_minutes``; a source that was added or
re-pointed (``import_requested_at`` after its last import) is due at once. Each tick first
refreshes the automatic sources providers bring along, so a sync that discovered a guide
(Xtream ``xmltv.php``, an M3U ``x-tvg-url``) has it imported at the next tick. All due sources
go into one ``epg_import`` job: the kind locks the one resource "epg". When that lock is taken
by an import already running, the claims are given back so the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import EpgSettings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models.catalog import Provider
from strmline.db.models.epg import EpgSource
from strmline.db.models.system import Job, Setting
from strmline.errors import Conflict
from strmline.jobs import records
from strmline.jobs.options import job_settings
from strmline.jobs.runtime import JobRuntime
from strmline.services import epg_match, epg_sources

log = logging.getLogger(__name__)

LOCK_PREFIX = "lock:schedule:"
LOCK_RETENTION = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    provider_id: int
    slot: datetime  # the fire time this run is for; the same in every process


def due_slot(
    *,
    last_sync_at: datetime | None,
    refresh_minutes: int | None,
    refresh_cron: str | None,
    default_minutes: int,
    now: datetime,
) -> datetime | None:
    """The slot a provider is due for at ``now``, or None when it is not due.

    Cron: due when the first fire time after the last sync has passed; the slot is the latest
    fire time up to now. Interval: due ``minutes`` after the last sync; the slot is that time
    plus whole intervals, so a failed sync that leaves ``last_sync_at`` alone is retried once
    per interval, not on every tick. Never synced: due now, slot = the current period.
    """
    if refresh_cron:
        if last_sync_at is not None and _next_fire(refresh_cron, last_sync_at) > now:
            return None
        return _prev_fire(refresh_cron, now)
    step = timedelta(minutes=refresh_minutes or default_minutes)
    if last_sync_at is None:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return epoch + ((now - epoch) // step) * step
    first = last_sync_at + step
    if first > now:
        return None
    return first + ((now - first) // step) * step


def next_run(
    *,
    last_sync_at: datetime | None,
    refresh_minutes: int | None,
    refresh_cron: str | None,
    default_minutes: int,
    now: datetime,
) -> datetime:
    """When the provider is next due (``now`` when it already is); for display."""
    if last_sync_at is None:
        return now
    if refresh_cron:
        return max(now, _next_fire(refresh_cron, last_sync_at))
    return max(now, last_sync_at + timedelta(minutes=refresh_minutes or default_minutes))


def valid_cron(expr: str) -> bool:
    return bool(croniter.is_valid(expr))


def _next_fire(expr: str, after: datetime) -> datetime:
    return croniter(expr, after.astimezone(UTC)).get_next(datetime)


def _prev_fire(expr: str, at: datetime) -> datetime:
    # croniter's get_prev is strict; nudge forward so a fire time exactly at ``at`` counts.
    return croniter(expr, at.astimezone(UTC) + timedelta(microseconds=1)).get_prev(datetime)


def lock_key(provider_id: int, slot: datetime) -> str:
    return f"{LOCK_PREFIX}sync:{provider_id}:{slot.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


async def find_due(*, session: AsyncSession, default_minutes: int, now: datetime) -> list[Due]:
    rows = await session.execute(
        select(Provider.id, Provider.last_sync_at, Provider.refresh_minutes, Provider.refresh_cron)
        .where(Provider.enabled.is_(True))
        .order_by(Provider.priority, Provider.id)
    )
    due: list[Due] = []
    for provider_id, last, minutes, cron in rows:
        if cron and not valid_cron(cron):
            log.warning(
                "provider %s: invalid refresh_cron %r; using its interval", provider_id, cron
            )
            cron = None
        slot = due_slot(
            last_sync_at=last,
            refresh_minutes=minutes,
            refresh_cron=cron,
            default_minutes=default_minutes,
            now=now,
        )
        if slot is not None:
            due.append(Due(provider_id, slot))
    return due


async def claim(*, session: AsyncSession, due: list[Due], owner: str) -> list[Due]:
    """Insert every slot lock in one statement; return those this caller won."""
    by_key = {lock_key(d.provider_id, d.slot): d for d in due}
    won = await _claim_keys(session, {k: d.slot for k, d in by_key.items()}, owner)
    return [d for k, d in by_key.items() if k in won]


async def _claim_keys(session: AsyncSession, slots: dict[str, datetime], owner: str) -> set[str]:
    if not slots:
        return set()
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    stmt = (
        insert(Setting)
        .values(
            [
                {"key": k, "value": {"owner": owner, "slot": slot.isoformat()}, "updated_at": now}
                for k, slot in slots.items()
            ]
        )
        .on_conflict_do_nothing(index_elements=[Setting.key])
        .returning(Setting.key)
    )
    return set((await session.scalars(stmt)).all())


# -- guide imports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuideDue:
    source_id: int
    slot: datetime


def guide_lock_key(source_id: int, slot: datetime) -> str:
    # To the microsecond: a request slot is the time it was made, and two requests for the
    # same source within a second (added, then re-pointed) are two imports.
    return f"{LOCK_PREFIX}epg:{source_id}:{slot.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"


def guide_slot(
    *,
    last_import_at: datetime | None,
    requested_at: datetime | None,
    refresh_minutes: int | None,
    refresh_cron: str | None,
    epg: EpgSettings,
    now: datetime,
) -> datetime | None:
    """The slot a guide source is due for at ``now``, or None.

    Requested after its last import (added, re-pointed, enabled again): due at once, the slot
    being the request time. Otherwise the source's own cron, else its own interval, else the
    ``epg.refresh_cron`` default, else ``epg.refresh_minutes``; never imported: due now.
    """
    if requested_at is not None and (last_import_at is None or requested_at > last_import_at):
        return requested_at
    cron = refresh_cron if refresh_cron and valid_cron(refresh_cron) else None
    if cron is None and refresh_minutes is None and epg.refresh_cron:
        cron = epg.refresh_cron if valid_cron(epg.refresh_cron) else None
    return due_slot(
        last_sync_at=last_import_at,
        refresh_minutes=refresh_minutes,
        refresh_cron=cron,
        default_minutes=epg.refresh_minutes,
        now=now,
    )


async def find_due_guides(
    *, session: AsyncSession, epg: EpgSettings, now: datetime
) -> list[GuideDue]:
    rows = await session.execute(
        select(
            EpgSource.id,
            EpgSource.last_import_at,
            EpgSource.import_requested_at,
            EpgSource.refresh_minutes,
            EpgSource.refresh_cron,
        )
        .where(EpgSource.enabled.is_(True))
        .order_by(EpgSource.priority.desc(), EpgSource.id)
    )
    due: list[GuideDue] = []
    for source_id, last, requested, minutes, cron in rows:
        if cron and not valid_cron(cron):
            log.warning("guide source %s: invalid refresh_cron %r ignored", source_id, cron)
        slot = guide_slot(
            last_import_at=last,
            requested_at=requested,
            refresh_minutes=minutes,
            refresh_cron=cron,
            epg=epg,
            now=now,
        )
        if slot is not None:
            due.append(GuideDue(source_id, slot))
    return due


async def claim_guides(*, session: AsyncSession, due: list[GuideDue], owner: str) -> list[GuideDue]:
    by_key = {guide_lock_key(d.source_id, d.slot): d for d in due}
    won = await _claim_keys(session, {k: d.slot for k, d in by_key.items()}, owner)
    return [d for k, d in by_key.items() if k in won]


async def release_guides(*, session: AsyncSession, due: list[GuideDue]) -> None:
    keys = [guide_lock_key(d.source_id, d.slot) for d in due]
    await session.execute(delete(Setting).where(Setting.key.in_(keys)))


async def prune_locks(*, session: AsyncSession, older_than: datetime) -> int:
    res = await session.execute(
        delete(Setting).where(Setting.key.startswith(LOCK_PREFIX), Setting.updated_at < older_than)
    )
    return int(getattr(res, "rowcount", 0) or 0)


class Scheduler:
    """Ticks every ``tick_seconds``: finds due providers and guide sources, claims their slots,
    submits ``sync`` and ``epg_import`` jobs (and the scheduled health check)."""

    def __init__(self, runtime: JobRuntime, *, tick_seconds: float | None = None) -> None:
        self.runtime = runtime
        self.tick_seconds = tick_seconds or job_settings(runtime.settings).schedule_tick_seconds
        self._task: asyncio.Task[None] | None = None
        self._last_prune: datetime | None = None

    async def tick(self, now: datetime | None = None) -> list[Job]:
        now = now or utcnow()
        await self.runtime.settings_watch.refresh()  # a sync interval or cron saved meanwhile
        default = self.runtime.settings.sync.default_interval_minutes
        async with session_scope(self.runtime.session_factory) as session:
            # Jobs without a resource are never swept by ``create``; this frees the rest.
            await records.fail_interrupted(
                session=session,
                older_than=self.runtime.stale_after,
                queued_older_than=self.runtime.queued_timeout,
                alive=self.runtime.liveness.alive,
            )
            due = await find_due(session=session, default_minutes=default, now=now)
            if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
                self._last_prune = now
                await prune_locks(session=session, older_than=now - LOCK_RETENTION)
        jobs: list[Job] = []
        if due:
            # Committed on its own, before any submit, so other schedulers see the claims at once.
            async with session_scope(self.runtime.session_factory) as session:
                won = await claim(session=session, due=due, owner=self.runtime.worker_name)
            for d in won:
                try:
                    jobs.append(
                        await self.runtime.submit(
                            "sync", {"provider_id": d.provider_id}, trigger="schedule"
                        )
                    )
                except Conflict:
                    log.debug(
                        "provider %s already has an active sync; slot %s skipped",
                        d.provider_id,
                        d.slot,
                    )
        await self._tick_guides(now, jobs)
        return await self._tick_health(now, jobs)

    # -- guide imports: automatic sources kept current, due sources in one claim-guarded job ------

    async def _tick_guides(self, now: datetime, jobs: list[Job]) -> None:
        settings = self.runtime.settings
        try:
            async with session_scope(self.runtime.session_factory) as session:
                changes = await epg_sources.ensure_auto_sources(session, settings)
                if changes.removed:
                    # Their channels were unlinked: give them another source's guide now.
                    await epg_match.match_channels(session, threshold=settings.epg.fuzzy_threshold)
        except IntegrityError:
            # Another scheduler added the same automatic source a moment ago; it counts.
            log.debug("automatic guide sources changed by another scheduler")
        async with session_scope(self.runtime.session_factory) as session:
            due = await find_due_guides(session=session, epg=settings.epg, now=now)
        if not due:
            return
        async with session_scope(self.runtime.session_factory) as session:
            won = await claim_guides(session=session, due=due, owner=self.runtime.worker_name)
        if not won:
            return
        try:
            jobs.append(
                await self.runtime.submit(
                    "epg_import", {"source_ids": [d.source_id for d in won]}, trigger="schedule"
                )
            )
        except Conflict:
            # An import is running (resource "epg"): give the slots back for the next tick.
            log.debug("a guide import is already running; %d source(s) wait", len(won))
            async with session_scope(self.runtime.session_factory) as session:
                await release_guides(session=session, due=won)

    # -- scheduled health checks: one claim-guarded job per cron slot of ``health.cron`` ---------

    async def _tick_health(self, now: datetime, jobs: list[Job]) -> list[Job]:
        cron = self.runtime.settings.health.cron
        if not cron or not valid_cron(cron):
            return jobs
        slot = _prev_fire(cron, now)
        # Fires when a slot passes between two ticks of this scheduler: a slot missed while the
        # server was off waits for the next one, and each slot is claimed once, not every tick.
        last: datetime | None = getattr(self, "_health_seen", None)
        self._health_seen = now
        if last is None or not last < slot <= now:
            return jobs
        async with session_scope(self.runtime.session_factory) as session:
            # Provider ids start at 1, so slot locks of "provider 0" are the health run's own.
            won = await claim(session=session, due=[Due(0, slot)], owner=self.runtime.worker_name)
        if won:
            try:
                jobs.append(
                    await self.runtime.submit("health", {"due_only": True}, trigger="schedule")
                )
            except Conflict:
                log.debug("a health check is already running; slot %s skipped", slot)
        return jobs

    async def run_forever(self) -> None:
        while True:
            try:
                jobs = await self.tick()
                if jobs:
                    log.info("scheduled %d job(s): %s", len(jobs), [(j.kind, j.id) for j in jobs])
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.tick_seconds)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run_forever(), name="strmline-scheduler")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
