"""Guide sources: create, list, update, delete, and the automatic ones providers bring along.

An Xtream provider serves ``xmltv.php``; an M3U provider may name a guide in its header
(``x-tvg-url``, stored by the sync as ``Provider.epg_url``). Each such provider gets one source
marked ``auto`` unless ``Provider.auto_epg`` is off. The stored URL is redacted for display; the
import resolves the real one from the provider, so credentials live in one place.

A source that is new, points somewhere else or is enabled again gets ``import_requested_at``:
the scheduler imports it at its next tick. Adding, removing, enabling or reordering sources
changes which guide each channel should use, so those re-run the channel matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from croniter import croniter
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.models import Channel, EpgChannel, EpgSource, Provider
from strmline.errors import ConfigError, NotFound
from strmline.formats.redact import redact_url
from strmline.formats.xtream import xmltv_url
from strmline.providers import epg as epg_fetch
from strmline.providers.local import LocalFiles, is_local
from strmline.services import epg_match

KINDS = ("url", "file", "xtream", "m3u_header")
_EDITABLE = frozenset(
    {"name", "url", "offset_minutes", "enabled", "priority", "refresh_minutes", "refresh_cron"}
)
# Changing these changes which guide channel each channel should get.
_REMATCH = frozenset({"enabled", "priority"})


@dataclass(frozen=True)
class AutoChanges:
    """What ``ensure_auto_sources`` did: sources added, re-pointed and removed."""

    added: int = 0
    changed: int = 0
    removed: int = 0


def kind_for(url: str) -> str:
    return "url" if epg_fetch.is_remote(url) else "file"


async def get(*, session: AsyncSession, source_id: int) -> EpgSource:
    source = await session.get(EpgSource, source_id)
    if source is None:
        raise NotFound(f"no guide source with id {source_id}")
    return source


async def list_all(*, session: AsyncSession) -> list[EpgSource]:
    rows = await session.execute(
        select(EpgSource).order_by(EpgSource.priority.desc(), EpgSource.id)
    )
    return list(rows.scalars())


async def enabled_ids(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(EpgSource.id)
        .where(EpgSource.enabled.is_(True))
        .order_by(EpgSource.priority.desc(), EpgSource.id)
    )
    return list(rows.scalars())


def _check_url(url: str, local_files: LocalFiles | None) -> None:
    url = url.strip()
    if not url:
        raise ConfigError("a guide source needs a URL or a file path")
    if not epg_fetch.is_remote(url):
        if not is_local(url):
            raise ConfigError("a guide source must be an http(s) URL or a file path")
        # Refused now (a path outside the sources folder, no such file), not at the import.
        epg_fetch.local_path(url, local_files)


def _check_schedule(minutes: int | None, cron: str | None) -> None:
    if minutes is not None and minutes < 15:
        raise ConfigError("refresh_minutes: at least 15")
    if cron and not croniter.is_valid(cron):
        raise ConfigError(f"refresh_cron: not a cron expression: {cron!r}")


async def create(
    *,
    session: AsyncSession,
    url: str,
    name: str | None = None,
    offset_minutes: int = 0,
    priority: int = 0,
    enabled: bool = True,
    refresh_minutes: int | None = None,
    refresh_cron: str | None = None,
    local_files: LocalFiles | None = None,
) -> EpgSource:
    """A new source; ``local_files`` (the API and CLI pass it) confines file paths."""
    _check_url(url, local_files)
    _check_schedule(refresh_minutes, refresh_cron)
    source = EpgSource(
        name=(name or redact_url(url))[:200],
        kind=kind_for(url),
        url=url.strip(),
        offset_minutes=offset_minutes,
        priority=priority,
        enabled=enabled,
        auto=False,
        channel_count=0,
        programme_count=0,
        refresh_minutes=refresh_minutes,
        refresh_cron=refresh_cron or None,
        import_requested_at=utcnow(),
    )
    session.add(source)
    await session.flush()
    return source


async def update(
    *,
    session: AsyncSession,
    source: EpgSource,
    changes: dict[str, Any],
    threshold: int | None = None,
    local_files: LocalFiles | None = None,
) -> EpgSource:
    """Apply ``changes``; with ``threshold``, re-match channels when enabling or priority changed."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ConfigError(f"cannot change {', '.join(sorted(unknown))}")
    if "refresh_cron" in changes:
        changes = {**changes, "refresh_cron": changes["refresh_cron"] or None}
    _check_schedule(
        changes.get("refresh_minutes", source.refresh_minutes),
        changes.get("refresh_cron", source.refresh_cron),
    )
    if "url" in changes:
        if source.auto:
            raise ConfigError("the URL of an automatic source comes from its provider")
        _check_url(changes["url"], local_files)
        source.kind = kind_for(changes["url"])
        source.content_hash = None  # a new URL is a new guide, whatever its bytes
        if changes["url"].strip() != source.url:
            source.import_requested_at = utcnow()
    if changes.get("enabled") and not source.enabled:
        source.import_requested_at = utcnow()  # its guide may be days old
    rematch = any(k in _REMATCH and getattr(source, k) != v for k, v in changes.items())
    for key, value in changes.items():
        setattr(source, key, value.strip() if key == "url" else value)
    await session.flush()
    if rematch and threshold is not None:
        await epg_match.match_channels(session, threshold=threshold)
    return source


async def delete_source(
    *, session: AsyncSession, source: EpgSource, threshold: int | None = None
) -> None:
    """Remove a source; with ``threshold``, its channels are matched again at once (to another
    source's guide) rather than at the next import."""
    # Clear the links first: SET NULL would leave method/confidence describing nothing.
    await _unlink(session, [source.id])
    await session.delete(source)
    await session.flush()
    if threshold is not None:
        await epg_match.match_channels(session, threshold=threshold)


async def _unlink(session: AsyncSession, source_ids: list[int]) -> None:
    from sqlalchemy import update

    guide_ids = select(EpgChannel.id).where(EpgChannel.source_id.in_(source_ids))
    await session.execute(
        update(Channel)
        .where(Channel.epg_channel_id.in_(guide_ids))
        .values(
            epg_channel_id=None, epg_match_method=None, epg_match_confidence=None, epg_manual=False
        )
    )


async def ensure_auto_sources(session: AsyncSession, settings: Settings) -> AutoChanges:
    """Add a source for each provider offering a guide, drop those no longer offered.

    Added and re-pointed sources are marked for import. Two statements when nothing changes.
    Channels that lost their guide are unlinked; matching them again is the caller's call.
    """
    providers = (
        await session.execute(
            select(Provider).where(
                Provider.enabled.is_(True),
                Provider.auto_epg.is_(True),
                or_(Provider.kind == "xtream", func.coalesce(Provider.epg_url, "") != ""),
            )
        )
    ).scalars()
    wanted = {p.id: p for p in providers} if settings.epg.auto_sources else {}
    existing = {
        s.provider_id: s
        for s in (
            await session.execute(select(EpgSource).where(EpgSource.auto.is_(True)))
        ).scalars()
    }
    stale = [s.id for pid, s in existing.items() if pid not in wanted]
    if stale:
        await _unlink(session, stale)
        await session.execute(delete(EpgSource).where(EpgSource.id.in_(stale)))
    added = changed = 0
    now = utcnow()
    for pid, provider in wanted.items():
        secrets = [s for s in (provider.password, provider.username) if s]
        if provider.kind == "xtream":
            kind = "xtream"
            url = xmltv_url(provider.url, provider.username or "", provider.password or "")
        else:
            kind, url = "m3u_header", provider.epg_url or ""
        shown = redact_url(url, secrets)
        source = existing.get(pid)
        if source is None:
            session.add(
                EpgSource(
                    name=f"{provider.name} guide"[:200],
                    kind=kind,
                    url=shown,
                    provider_id=pid,
                    auto=True,
                    enabled=True,
                    offset_minutes=0,
                    priority=0,
                    channel_count=0,
                    programme_count=0,
                    import_requested_at=now,
                )
            )
            added += 1
        elif source.url != shown or source.kind != kind:
            source.url, source.kind = shown, kind
            source.content_hash = None
            source.import_requested_at = now
            changed += 1
    await session.flush()
    return AutoChanges(added=added, changed=changed, removed=len(stale))
