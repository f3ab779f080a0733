"""Library paths and .nfo sidecars for movies and episodes, as media servers expect them (pure).

Jellyfin (default): ``Movies/Title (Year) [tmdbid-N]/Title (Year) [tmdbid-N].strm`` and
``TV Shows/Show (Year) [tmdbid-N]/Season 01/Show (Year) S01E02 - Episode Title.strm``.
Emby and Kodi write the tag ``[tmdbid=N]``, Plex ``{tmdb-N}``; the tag only when the id is known.
"""

from __future__ import annotations

import re
from typing import Literal
from xml.sax.saxutils import escape

from strmline.formats.names import safe_name
from strmline.formats.vodnames import parse_episode_marker

__all__ = [
    "MOVIES_DIR",
    "SHOWS_DIR",
    "Flavour",
    "episode_file",
    "episode_nfo",
    "id_tag",
    "movie_nfo",
    "season_dir",
    "title_dir",
    "tvshow_nfo",
]

Flavour = Literal["jellyfin", "emby", "kodi", "plex"]
MOVIES_DIR = "Movies"
SHOWS_DIR = "TV Shows"
# Title folder plus tag stay under this, leaving room for " (2)" and the episode suffix.
_TITLE_BYTES = 120


def id_tag(tmdb_id: str | None, flavour: Flavour) -> str:
    if not tmdb_id:
        return ""
    if flavour == "plex":
        return f" {{tmdb-{tmdb_id}}}"
    if flavour in ("emby", "kodi"):
        return f" [tmdbid={tmdb_id}]"
    return f" [tmdbid-{tmdb_id}]"


def title_dir(title: str, year: int | None, tmdb_id: str | None, flavour: Flavour) -> str:
    """ "Title (Year) [tmdbid-N]" as one safe path component."""
    base = safe_name(title, max_bytes=_TITLE_BYTES)
    if year:
        base = f"{base} ({year})"
    return safe_name(base + id_tag(tmdb_id, flavour))


def season_dir(season: int) -> str:
    return f"Season {season:02d}"


_MARKER_NOISE = re.compile(r"^[\s\-–—:|.]+|[\s\-–—:|.]+$")


def _episode_title(show: str, title: str | None) -> str | None:
    """The episode's own title, without the show name or an "S01E02" the panel put in it."""
    if not title:
        return None
    text = title.strip()
    marker = parse_episode_marker(text)
    if marker is not None:
        text = text[marker[3] :]
    if text.casefold().startswith(show.casefold()):
        text = text[len(show) :]
    text = _MARKER_NOISE.sub("", text)
    return text or None


def episode_file(
    show_dir: str, show_title: str, season: int, episode: int, title: str | None
) -> str:
    """ "Show (Year) S01E02 - Episode Title" (the show part is the show's folder name)."""
    name = f"{show_dir} S{season:02d}E{episode:02d}"
    own = _episode_title(show_title, title)
    if own:
        name = f"{name} - {own}"
    return safe_name(name)


def _tag(name: str, value: object) -> str:
    if value is None or value == "":
        return ""
    return f"  <{name}>{escape(str(value))}</{name}>\n"


def _ids(tmdb_id: str | None, imdb_id: str | None) -> str:
    out = ""
    if tmdb_id:
        out += f'  <uniqueid type="tmdb" default="true">{escape(tmdb_id)}</uniqueid>\n'
    if imdb_id:
        default = "" if tmdb_id else ' default="true"'
        out += f'  <uniqueid type="imdb"{default}>{escape(imdb_id)}</uniqueid>\n'
    return out


_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def movie_nfo(
    title: str,
    year: int | None,
    plot: str | None,
    rating: float | None,
    genre: str | None,
    tmdb_id: str | None,
    imdb_id: str | None,
) -> str:
    return (
        f"{_HEAD}<movie>\n{_tag('title', title)}{_tag('year', year)}{_tag('plot', plot)}"
        f"{_tag('rating', rating)}{_tag('genre', genre)}{_ids(tmdb_id, imdb_id)}</movie>\n"
    )


def tvshow_nfo(
    title: str,
    year: int | None,
    plot: str | None,
    rating: float | None,
    genre: str | None,
    tmdb_id: str | None,
    imdb_id: str | None,
) -> str:
    return (
        f"{_HEAD}<tvshow>\n{_tag('title', title)}{_tag('year', year)}{_tag('plot', plot)}"
        f"{_tag('rating', rating)}{_tag('genre', genre)}{_ids(tmdb_id, imdb_id)}</tvshow>\n"
    )


def episode_nfo(
    show: str,
    title: str | None,
    season: int,
    episode: int,
    plot: str | None,
    aired: str | None,
    rating: float | None,
) -> str:
    own = _episode_title(show, title) or f"Episode {episode}"
    return (
        f"{_HEAD}<episodedetails>\n{_tag('title', own)}{_tag('showtitle', show)}"
        f"{_tag('season', season)}{_tag('episode', episode)}{_tag('plot', plot)}"
        f"{_tag('aired', aired)}{_tag('rating', rating)}</episodedetails>\n"
    )
