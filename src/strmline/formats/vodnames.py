"""Movie and episode titles as providers write them, cleaned for media servers (pure).

"EN - The Matrix (1999) [4K]" → title "The Matrix", year 1999, language EN, quality 4K.
"|FR| Dark S02E03" and "Dark Season 2 Episode 3" → show "Dark", season 2, episode 3.

Media servers look titles up by name and year, so everything that is not the title (language
prefixes, quality tags, release noise) has to go, and what it said is kept in its own field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ParsedTitle",
    "looks_like_vod",
    "parse_episode_marker",
    "parse_title",
]


@dataclass(frozen=True, slots=True)
class ParsedTitle:
    title: str
    year: int | None = None
    language: str | None = None
    quality: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_title: str | None = None
    tmdb_id: str | None = None
    imdb_id: str | None = None


_LANGS = (
    "EN|ENG|FR|FRE|DE|GER|ES|SPA|IT|ITA|PT|POR|NL|PL|TR|AR|RU|SE|SW|NO|DK|FI|GR|IN|HI|"
    "JP|KR|CN|ZH|US|UK|LAT|MULTI|VOSTFR|VF"
)
# "EN - ", "EN: ", "|EN| ", "[EN] ", "EN | " at the start of a name.
_LANG_PREFIX = re.compile(
    rf"^\s*(?:\|\s*(?P<a>{_LANGS})\s*\||\[\s*(?P<b>{_LANGS})\s*\]|(?P<c>{_LANGS})\s*(?:-|:|\|))\s*",
    re.IGNORECASE,
)
_QUALITY_WORDS = {
    "4K": "4K",
    "UHD": "4K",
    "2160P": "4K",
    "8K": "8K",
    "FHD": "1080p",
    "1080P": "1080p",
    "HD": "720p",
    "720P": "720p",
    "SD": "SD",
    "480P": "SD",
}
_QUALITY = re.compile(r"\b(4K|8K|UHD|2160p|FHD|1080p|720p|480p|HD|SD)\b", re.IGNORECASE)
# Bracketed or trailing release noise that is never part of a title.
_NOISE_WORDS = (
    r"MULTI[- ]?SUBS?|MULTI[- ]?AUDIO|MULTI|SUBBED|DUBBED|DUAL[- ]?AUDIO|VOSTFR|VOST|VF|"
    r"HEVC|H\.?26[45]|X26[45]|HDR10\+?|HDR|DV|DOLBY ?VISION|WEB[- ]?DL|WEBRIP|BLU[- ]?RAY|"
    r"BDRIP|BRRIP|DVDRIP|HDRIP|CAM|TS|REMUX|PROPER|REPACK|EXTENDED|UNRATED|ATMOS|AAC|AC3|DTS"
)
_NOISE = re.compile(rf"\b(?:{_NOISE_WORDS})\b", re.IGNORECASE)
_BRACKETS = re.compile(r"\[[^\]]*\]|\{[^}]*\}|\((?!\s*(?:19|20)\d{2}\s*\))[^)]*\)")
_YEAR_PAREN = re.compile(r"\(\s*((?:19|20)\d{2})\s*\)")
_YEAR_TAIL = re.compile(r"(?:^|[\s.\-_])((?:19|20)\d{2})\s*$")
_TMDB = re.compile(r"(?:tmdb(?:id)?)\s*[-=:]\s*(\d{1,9})", re.IGNORECASE)
_IMDB = re.compile(r"\b(tt\d{6,10})\b", re.IGNORECASE)
_SXXEYY = re.compile(r"\bS(\d{1,3})\s*[ ._-]?\s*E(\d{1,4})\b", re.IGNORECASE)
_NXNN = re.compile(r"\b(\d{1,2})x(\d{2,3})\b")
_SEASON_EPISODE = re.compile(
    r"\b(?:Season|Saison|Staffel|Temporada)\s*(\d{1,3})\s*[,.\-]?\s*"
    r"(?:Episode|Épisode|Folge|Episodio|Ep\.?)\s*(\d{1,4})\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_EDGE = re.compile(r"^[\s\-–—:|.,_]+|[\s\-–—:|.,_]+$")


def parse_episode_marker(text: str) -> tuple[int, int, int, int] | None:
    """(season, episode, start, end) of the first SxxEyy / 1x02 / "Season 1 Episode 2" in text."""
    best: tuple[int, int, int, int] | None = None
    for pattern in (_SXXEYY, _SEASON_EPISODE, _NXNN):
        match = pattern.search(text)
        if match and (best is None or match.start() < best[2]):
            best = (int(match.group(1)), int(match.group(2)), match.start(), match.end())
    return best


def _language(text: str) -> tuple[str | None, str]:
    match = _LANG_PREFIX.match(text)
    if not match:
        return None, text
    code = (match.group("a") or match.group("b") or match.group("c") or "").upper()
    return code[:8], text[match.end() :]


def _clean(text: str) -> str:
    text = _BRACKETS.sub(" ", text)
    text = _NOISE.sub(" ", text)
    text = _QUALITY.sub(" ", text)
    text = _SPACES.sub(" ", text)
    # Dots or underscores as word separators ("The.Matrix.1999") but not in "Mr. Robot".
    if " " not in text.strip() and re.search(r"[._]", text):
        text = re.sub(r"[._]+", " ", text)
    return _EDGE.sub("", text).strip()


def parse_title(name: str) -> ParsedTitle:
    """Split a provider's movie or episode name into clean title and the facts around it."""
    raw = name.strip()
    tmdb = _TMDB.search(raw)
    imdb = _IMDB.search(raw)
    language, text = _language(_IMDB.sub(" ", raw))
    qualities = [_QUALITY_WORDS[q.upper()] for q in _QUALITY.findall(_strip_title_years(text))]
    quality = qualities[-1] if qualities else None

    season = episode = None
    episode_title: str | None = None
    marker = parse_episode_marker(text)
    if marker is not None:
        season, episode, start, end = marker
        episode_title = _clean(text[end:]) or None
        text = text[:start]

    year: int | None = None
    years = list(_YEAR_PAREN.finditer(text))
    if years:
        last = years[-1]
        year = int(last.group(1))
        text = text[: last.start()] + " " + text[last.end() :]
    else:
        tail = _YEAR_TAIL.search(_clean(text))
        cleaned = _clean(text)
        if tail and tail.start(1) > 0:
            year = int(tail.group(1))
            text = cleaned[: tail.start(1)]
    title = _clean(text)
    if not title:
        # A name that is nothing but a year or tags: keep something recognisable.
        title = _EDGE.sub("", _SPACES.sub(" ", raw)) or raw
    return ParsedTitle(
        title=title,
        year=year,
        language=language,
        quality=quality,
        season=season,
        episode=episode,
        episode_title=episode_title,
        tmdb_id=tmdb.group(1) if tmdb else None,
        imdb_id=imdb.group(1).lower() if imdb else None,
    )


def _strip_title_years(text: str) -> str:
    return _YEAR_PAREN.sub(" ", text)


_VOD_GROUP = re.compile(
    r"\b(?:VOD|Movies?|Films?|Filmes|Peliculas|Películas|Cinema|Series|TV Shows?|Séries|"
    r"Serien|Box ?Sets?|Netflix|Disney\+?|Amazon Prime|HBO Max|Apple TV\+?)\b",
    re.IGNORECASE,
)
# Live groups that mention movies: a channel, not a film.
_LIVE_GROUP = re.compile(r"\b(?:Live|24/7|24-7|Channels?|TV)\b(?!\s*Shows?)", re.IGNORECASE)
_LIVE_EXT = frozenset({"ts", "m3u8", "m3u", "mpd", "flv"})
_VOD_EXT = frozenset({"mp4", "mkv", "avi", "mov", "m4v", "wmv", "webm", "mpg", "mpeg"})


def looks_like_vod(
    name: str, group: str | None, url: str, attrs: Mapping[str, str] | None = None
) -> str | None:
    """ "movie", "episode" or None (live) for one playlist entry.

    URLs are the strongest hint (Xtream panels put films under /movie/ and episodes under
    /series/); then a playlist-type VOD attribute, a file extension, a group title, and a
    season/episode marker in the name. A live group wins over a name that merely has
    "S01E01" in it only when nothing else points at VOD.
    """
    attrs = attrs or {}
    try:
        path = urlsplit(url.strip()).path.lower()
    except ValueError:
        path = ""
    episode = parse_episode_marker(name) is not None
    if "/series/" in path:
        return "episode"
    if "/movie/" in path or "/movies/" in path:
        return "episode" if episode else "movie"
    playlist_type = (attrs.get("playlist-type") or attrs.get("x-playlist-type") or "").upper()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if playlist_type != "VOD" and ("/live/" in path or ext in _LIVE_EXT):
        return None  # a live stream in a "Movies" group is a movie channel
    vod_group = bool(group and _VOD_GROUP.search(group) and not _LIVE_GROUP.search(group))
    if playlist_type == "VOD" or ext in _VOD_EXT or vod_group:
        return "episode" if episode else "movie"
    if episode and not (group and _LIVE_GROUP.search(group)):
        return "episode"
    return None
