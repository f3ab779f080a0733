"""The swap: upsert the source's guide channels and replace its programmes from staging."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.bulk import insert_rows
from strmline.db.models import Channel, EpgChannel, EpgProgramme
from strmline.formats.xmltv import XmltvChannel
from strmline.matching.names import normalize, parse_name
from strmline.pipelines.epg.repair import Repair

CHANNELS = cast(Table, EpgChannel.__table__)

# xmltv id → (display names, icon) of the guide channels a source should have
Wanted = dict[str, tuple[list[str], str | None]]


async def prune(session: AsyncSession, source_id: int, earliest: datetime) -> int:
    """Remove the source's programmes that ended before the retention window."""
    res = await session.execute(
        delete(EpgProgramme)
        .where(
            EpgProgramme.stop <= earliest,
            EpgProgramme.epg_channel_id.in_(
                select(EpgChannel.id).where(EpgChannel.source_id == source_id)
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def _match_key(names: tuple[str, ...], xmltv_id: str) -> str:
    return normalize(parse_name(names[0] if names else xmltv_id).display)[:300]


async def swap(
    session: AsyncSession, source_id: int, channels: dict[str, XmltvChannel], repair: Repair
) -> tuple[int, int]:
    """Upsert the source's guide channels and replace its programmes, set-based."""
    wanted: Wanted = {
        ident: (list(c.display_names) or [ident], c.icon) for ident, c in channels.items()
    }
    for ident in repair.channel_ids - wanted.keys():
        wanted[ident] = ([ident], None)  # programmes for a channel the document never declared
    await _upsert_channels(session, source_id, wanted)
    return len(wanted), await _replace_programmes(session, source_id)


async def _upsert_channels(session: AsyncSession, source_id: int, wanted: Wanted) -> None:
    """Insert new guide channels, update changed ones, remove the ones the guide dropped."""
    existing = {
        row.xmltv_id: row
        for row in await session.execute(
            select(
                EpgChannel.id, EpgChannel.xmltv_id, EpgChannel.display_names, EpgChannel.icon
            ).where(EpgChannel.source_id == source_id)
        )
    }
    new = [
        {
            "source_id": source_id,
            "xmltv_id": ident,
            "display_names": names,
            "match_key": _match_key(tuple(names), ident),
            "icon": icon,
        }
        for ident, (names, icon) in wanted.items()
        if ident not in existing
    ]
    changed = [
        {
            "b_id": row.id,
            "b_names": wanted[ident][0],
            "b_key": _match_key(tuple(wanted[ident][0]), ident),
            "b_icon": wanted[ident][1],
        }
        for ident, row in existing.items()
        if ident in wanted
        and (row.display_names != wanted[ident][0] or row.icon != wanted[ident][1])
    ]
    gone = [row.id for ident, row in existing.items() if ident not in wanted]
    if new:
        await insert_rows(session, CHANNELS, new, batch=5000)
    if changed:
        await session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.id == bindparam("b_id"))
            .values(
                display_names=bindparam("b_names"),
                match_key=bindparam("b_key"),
                icon=bindparam("b_icon"),
            ),
            changed,
        )
    if gone:
        await _remove_channels(session, gone)


async def _remove_channels(session: AsyncSession, gone: list[int]) -> None:
    """Delete guide channels the guide no longer has, except those assigned by hand."""
    # A guide channel somebody assigned by hand stays (without programmes) until they change it.
    # Every hand-assigned guide channel (few), not an IN over the gone ones (any number).
    manual = set(
        (
            await session.execute(
                select(Channel.epg_channel_id).where(
                    Channel.epg_manual.is_(True), Channel.epg_channel_id.is_not(None)
                )
            )
        ).scalars()
    )
    doomed = [i for i in gone if i not in manual]
    for start in range(0, len(doomed), 5000):
        await session.execute(
            delete(EpgChannel).where(EpgChannel.id.in_(doomed[start : start + 5000]))
        )


async def _replace_programmes(session: AsyncSession, source_id: int) -> int:
    """The source's programmes, replaced by its staging rows; the number inserted."""
    await session.execute(
        text(
            "DELETE FROM epg_programmes WHERE epg_channel_id IN "
            "(SELECT id FROM epg_channels WHERE source_id = :s)"
        ),
        {"s": source_id},
    )
    inserted = await session.execute(
        text(
            "INSERT INTO epg_programmes (epg_channel_id, start, stop, title, sub_title, description,"
            " categories, episode_num, episode_onscreen, icon, rating) "
            "SELECT c.id, s.start, s.stop, s.title, s.sub_title, s.description, s.categories,"
            " s.episode_num, s.episode_onscreen, s.icon, s.rating "
            "FROM epg_programme_staging s JOIN epg_channels c"
            " ON c.source_id = s.source_id AND c.xmltv_id = s.xmltv_id "
            "WHERE s.source_id = :s"
        ),
        {"s": source_id},
    )
    return int(getattr(inserted, "rowcount", 0) or 0)
