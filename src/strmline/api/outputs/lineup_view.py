"""Which lineup an output shows: ``?lineup=<slug>`` on the M3U, XMLTV and Xtream ``get.php``
URLs (players take any URL), a path segment for HDHomeRun devices (media servers append
document names to a base URL, so each lineup needs a base URL of its own).

Without one, a user given lineups gets the first of them and anyone else every channel
(:func:`strmline.services.lineups.resolve_view`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query

from strmline.api.deps import SessionDep, TokenUser
from strmline.services import lineups as lineup_service
from strmline.services.lineups import View

__all__ = ["LineupQuery", "LineupView", "get_view", "view_query"]

LineupQuery = Annotated[
    str | None,
    Query(max_length=60, description="a lineup's slug (GET /api/lineups); default: your first"),
]


async def get_view(session: SessionDep, user: TokenUser, lineup: LineupQuery = None) -> View:
    return await lineup_service.resolve_view(session, user, lineup)


LineupView = Annotated[View, Depends(get_view)]


def view_query(view: View) -> str:
    """``&lineup=<slug>`` for URLs an output hands out (its guide URL), "" for every channel."""
    return "" if view.id is None else "&lineup=" + quote(view.slug, safe="")
