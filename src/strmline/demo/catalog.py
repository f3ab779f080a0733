"""Deterministic fake IPTV catalogs: live channels, movies, series and their guide.

Pure data, no I/O. Two catalogs generated from the same seed share their channel identities
(country, base name, quality, tvg-id) whatever their ``name_style``, so the same channel shows up
under different spellings in different "providers" and cross-provider merging can be tested
against a known ground truth (``LiveChannel.identity``).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

NameStyle = Literal["us_prefix", "pipe", "bar", "bracket", "plain", "mixed"]
NAME_STYLES: tuple[NameStyle, ...] = ("us_prefix", "pipe", "bar", "bracket", "plain", "mixed")

# A fixed epoch keeps "added" timestamps stable across runs, so re-syncs see no change.
BASE_TIME = 1_700_000_000

# (country, name, genre). Names are what real panels carry; regions and variants are
# deliberately included because the matcher must keep them apart.
_CURATED_LIVE: tuple[tuple[str, str, str], ...] = (
    ("US", "ESPN", "Sports"),
    ("US", "ESPN 2", "Sports"),
    ("US", "ESPNews", "Sports"),
    ("US", "Fox Sports 1", "Sports"),
    ("US", "NFL Network", "Sports"),
    ("US", "NBA TV", "Sports"),
    ("US", "CNN", "News"),
    ("US", "Fox News", "News"),
    ("US", "MSNBC", "News"),
    ("US", "CNBC", "News"),
    ("US", "HBO East", "Movies"),
    ("US", "HBO West", "Movies"),
    ("US", "HBO 2", "Movies"),
    ("US", "Cinemax", "Movies"),
    ("US", "Showtime", "Movies"),
    ("US", "AMC", "Entertainment"),
    ("US", "TNT", "Entertainment"),
    ("US", "TBS", "Entertainment"),
    ("US", "FX", "Entertainment"),
    ("US", "Discovery Channel", "Documentary"),
    ("US", "National Geographic", "Documentary"),
    ("US", "History", "Documentary"),
    ("US", "Nickelodeon", "Kids"),
    ("US", "Cartoon Network", "Kids"),
    ("US", "Disney Channel", "Kids"),
    ("US", "ABC 7 New York", "Locals"),
    ("US", "CBS 2 Los Angeles", "Locals"),
    ("US", "NBC 5 Chicago", "Locals"),
    ("UK", "BBC One", "Entertainment"),
    ("UK", "BBC Two", "Entertainment"),
    ("UK", "BBC News", "News"),
    ("UK", "ITV 1", "Entertainment"),
    ("UK", "Channel 4", "Entertainment"),
    ("UK", "Channel 5", "Entertainment"),
    ("UK", "Sky News", "News"),
    ("UK", "Sky Sports Main Event", "Sports"),
    ("UK", "Sky Sports Premier League", "Sports"),
    ("UK", "Sky Sports F1", "Sports"),
    ("UK", "Sky Cinema Premiere", "Movies"),
    ("UK", "Sky Atlantic", "Entertainment"),
    ("UK", "TNT Sports 1", "Sports"),
    ("UK", "Dave", "Entertainment"),
    ("CA", "CBC Toronto", "Locals"),
    ("CA", "CBC Vancouver", "Locals"),
    ("CA", "CTV", "Entertainment"),
    ("CA", "Global", "Entertainment"),
    ("CA", "TSN 1", "Sports"),
    ("CA", "TSN 2", "Sports"),
    ("CA", "Sportsnet Ontario", "Sports"),
    ("CA", "Sportsnet Pacific", "Sports"),
    ("CA", "CP24", "News"),
    ("DE", "Das Erste", "Entertainment"),
    ("DE", "ZDF", "Entertainment"),
    ("DE", "RTL", "Entertainment"),
    ("DE", "Sat.1", "Entertainment"),
    ("DE", "ProSieben", "Entertainment"),
    ("DE", "Sky Sport Bundesliga 1", "Sports"),
    ("FR", "TF1", "Entertainment"),
    ("FR", "France 2", "Entertainment"),
    ("FR", "Canal+", "Movies"),
    ("FR", "Canal+ Sport", "Sports"),
    ("FR", "BFM TV", "News"),
)
_NETWORKS = ("ABC", "CBS", "NBC", "FOX", "PBS", "CW")
_CITIES = (
    "New York",
    "Los Angeles",
    "Chicago",
    "Houston",
    "Phoenix",
    "Philadelphia",
    "San Antonio",
    "San Diego",
    "Dallas",
    "Austin",
    "Denver",
    "Seattle",
    "Boston",
    "Detroit",
    "Nashville",
    "Portland",
    "Las Vegas",
    "Memphis",
    "Atlanta",
    "Miami",
)
_QUALITIES = ("HD", "HD", "FHD", "SD", "4K", "HEVC", "", "720p", "1080p", "UHD")

_CURATED_MOVIES: tuple[tuple[str, int], ...] = (
    ("The Matrix", 1999),
    ("Inception", 2010),
    ("Interstellar", 2014),
    ("The Dark Knight", 2008),
    ("Heat", 1995),
    ("Alien", 1979),
    ("Blade Runner", 1982),
    ("Arrival", 2016),
    ("Jaws", 1975),
    ("Up", 2009),
    ("Parasite", 2019),
    ("Amelie", 2001),
    ("Spirited Away", 2001),
    ("The Godfather", 1972),
    ("Casablanca", 1942),
    ("Goodfellas", 1990),
    ("Dune", 2021),
    ("Oppenheimer", 2023),
    ("Mad Max: Fury Road", 2015),
    ("Knives Out", 2019),
)
_ADJECTIVES = (
    "Silent",
    "Broken",
    "Last",
    "Hidden",
    "Crimson",
    "Frozen",
    "Lost",
    "Golden",
    "Midnight",
    "Distant",
    "Burning",
    "Hollow",
    "Wild",
    "Quiet",
    "Iron",
    "Glass",
)
_NOUNS = (
    "River",
    "Empire",
    "Horizon",
    "Garden",
    "Signal",
    "Harbor",
    "Kingdom",
    "Witness",
    "Orchard",
    "Frontier",
    "Letter",
    "Machine",
    "Summer",
    "Tide",
    "Echo",
    "Crown",
)
_CURATED_SERIES: tuple[tuple[str, int], ...] = (
    ("Breaking Bad", 2008),
    ("The Office", 2005),
    ("Dark", 2017),
    ("Chernobyl", 2019),
    ("The Expanse", 2015),
    ("Succession", 2018),
    ("Sherlock", 2010),
    ("Fargo", 2014),
)
_MOVIE_GENRES = ("Action", "Comedy", "Drama", "Sci-Fi", "Horror", "Family", "Documentary")
_SERIES_GENRES = ("Drama", "Comedy", "Crime", "Sci-Fi", "Reality")
_LANGS = ("EN", "EN", "EN", "FR", "DE", "ES")
_MOVIE_TAGS = ("", "", " [4K]", " [HD]", " [MULTI-SUB]", " (Dubbed)")
_EXTS: tuple[str | None, ...] = ("mp4", "mkv", "mp4", None, "avi")
_SHOW_WORDS = ("News Hour", "Live", "Tonight", "Special", "Report", "Classics", "Weekly", "Kickoff")
_SLOT_MINUTES = (30, 45, 60)

LIVE_ID_BASE = 1
MOVIE_ID_BASE = 1_000_000
EPISODE_ID_BASE = 5_000_000


def _episode_id(series_id: int, season: int, number: int) -> int:
    # Room for 99 seasons of 999 episodes per series without colliding with the next series.
    return EPISODE_ID_BASE + series_id * 100_000 + season * 1000 + number


@dataclass(slots=True)
class Category:
    id: int
    name: str
    parent_id: int = 0


@dataclass(slots=True)
class LiveChannel:
    stream_id: int
    name: str
    category_id: int | None
    # Ground truth for merge tests: same identity in two catalogs means the same channel.
    identity: str
    country: str
    quality: str
    tvg_id: str | None = None
    logo: str | None = None
    chno: int | None = None
    added: int = BASE_TIME
    tv_archive: bool = False
    # Per-channel switch: the .m3u8 URL answers with a master playlist with variants.
    hls_master: bool = False
    genre: str = "Entertainment"
    slot_minutes: int = 30


@dataclass(slots=True)
class Movie:
    stream_id: int
    name: str
    title: str
    year: int
    category_id: int | None
    tmdb_id: int | None = None
    container_extension: str | None = "mp4"
    logo: str | None = None
    rating: float = 0.0
    added: int = BASE_TIME
    plot: str = ""
    duration_secs: int = 5400


@dataclass(slots=True)
class Episode:
    id: int
    season: int
    episode_num: int
    title: str
    container_extension: str | None = "mkv"
    added: int = BASE_TIME
    duration_secs: int = 2700


@dataclass(slots=True)
class Series:
    series_id: int
    name: str
    title: str
    year: int
    category_id: int | None
    seasons: int
    episodes_per_season: int
    tmdb_id: int | None = None
    cover: str | None = None
    plot: str = ""
    genre: str = "Drama"
    rating: float = 0.0
    last_modified: int = BASE_TIME
    # Payload shape switches seen on real panels, decided per series.
    episodes_as_list: bool = False
    info_empty: bool = False
    backdrop_as_list: bool = True
    container_extension: str | None = "mkv"
    # Materialised on first use so that 2,000 series x 50 episodes cost nothing until asked for.
    episodes: dict[int, list[Episode]] | None = None


@dataclass(slots=True)
class Programme:
    channel: str
    start: int
    stop: int
    title: str
    sub_title: str | None
    desc: str
    category: str
    season: int | None
    episode: int | None


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)


def _tvg_id(country: str, base: str) -> str:
    return "".join(ch for ch in base if ch.isalnum()) + "." + country.lower()


def _format_prefix(style: NameStyle, country: str) -> str:
    if style == "us_prefix":
        return f"{country}: "
    if style == "pipe":
        return f"{country} | "
    if style == "bar":
        return f"|{country}| "
    if style == "bracket":
        return f"[{country}] "
    return ""


def _format_quality(style: NameStyle, quality: str) -> str:
    if not quality:
        return ""
    if style == "bracket":
        return f" ({quality})"
    return f" {quality}"


def format_channel_name(style: NameStyle, country: str, base: str, quality: str) -> str:
    """The display name a provider of the given style would use."""
    return f"{_format_prefix(style, country)}{base}{_format_quality(style, quality)}"


def _category_name(style: NameStyle, country: str, genre: str) -> str:
    if style in ("us_prefix", "plain"):
        return f"{country}: {genre}"
    if style == "bar":
        return f"|{country}| {genre.upper()}"
    if style == "bracket":
        return f"[{country}] {genre}"
    return f"{country} | {genre}"


def _call_sign(j: int) -> str:
    # Call signs keep synthetic locals unique, and never collide with the curated names.
    prefix = "K" if j % 2 else "W"
    n = j // 2
    letters = "".join(chr(65 + (n // 26**k) % 26) for k in (2, 1, 0))
    sub = n // 26**3
    return f"{prefix}{letters}" + (f"-DT{sub + 1}" if sub else "")


def _identity_base(index: int, order: list[int]) -> tuple[str, str, str]:
    if index < len(order):
        return _CURATED_LIVE[order[index]]
    j = index - len(order)
    net = _NETWORKS[j % len(_NETWORKS)]
    city = _CITIES[(j // len(_NETWORKS)) % len(_CITIES)]
    return ("US", f"{net} {city} {_call_sign(j)}", "Locals")


def _title(index: int, curated: tuple[tuple[str, int], ...], rng: random.Random) -> tuple[str, int]:
    if index < len(curated):
        return curated[index]
    j = index - len(curated)
    adj = _ADJECTIVES[j % len(_ADJECTIVES)]
    noun = _NOUNS[(j // len(_ADJECTIVES)) % len(_NOUNS)]
    cycle = j // (len(_ADJECTIVES) * len(_NOUNS))
    title = f"The {adj} {noun}" if cycle == 0 else f"The {adj} {noun} {cycle + 1}"
    return title, rng.randint(1960, 2024)


@dataclass
class Catalog:
    """One account's content. Mutable: tests add, remove and rename entries between syncs."""

    name_style: NameStyle = "us_prefix"
    live_categories: dict[int, Category] = field(default_factory=dict)
    live: dict[int, LiveChannel] = field(default_factory=dict)
    vod_categories: dict[int, Category] = field(default_factory=dict)
    movies: dict[int, Movie] = field(default_factory=dict)
    series_categories: dict[int, Category] = field(default_factory=dict)
    series: dict[int, Series] = field(default_factory=dict)
    seed: int = 0

    # ---- generation -------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        seed: int = 0,
        *,
        live: int = 50,
        movies: int = 30,
        series: int = 5,
        seasons: int = 2,
        episodes_per_season: int = 4,
        name_style: NameStyle = "us_prefix",
        id_offset: int = 0,
    ) -> Catalog:
        """Build a catalog; same seed → same identities, ids and metadata, for any style.

        ``live`` counts entries, not identities: about one identity in five is offered twice in
        two qualities, as real panels do.
        """
        cat = cls(name_style=name_style, seed=seed)
        cat._generate_live(seed, live, id_offset)
        cat._generate_movies(seed, movies, id_offset)
        cat._generate_series(seed, series, seasons, episodes_per_season, id_offset)
        return cat

    def _style_for(self, rng: random.Random) -> NameStyle:
        if self.name_style == "mixed":
            return rng.choice(("us_prefix", "pipe", "bar", "bracket"))
        return self.name_style

    def _category(self, table: dict[int, Category], name: str, first_id: int) -> int:
        for cat in table.values():
            if cat.name == name:
                return cat.id
        new_id = first_id + len(table)
        table[new_id] = Category(new_id, name)
        return new_id

    def _generate_live(self, seed: int, count: int, id_offset: int) -> None:
        # The identity stream must not depend on the style, the style stream may.
        rng = random.Random(seed)
        style_rng = random.Random(seed * 7919 + zlib.crc32(self.name_style.encode()))
        order = list(range(len(_CURATED_LIVE)))
        rng.shuffle(order)
        next_id = LIVE_ID_BASE + id_offset
        index = 0
        chno = 1
        while len(self.live) < count:
            country, base, genre = _identity_base(index, order)
            index += 1
            has_tvg = rng.random() < 0.75
            has_logo = rng.random() < 0.8
            has_chno = rng.random() < 0.5
            archive = rng.random() < 0.1
            master = rng.random() < 0.15
            slot = rng.choice(_SLOT_MINUTES)
            qualities = [rng.choice(_QUALITIES)]
            if rng.random() < 0.2:
                qualities.append(rng.choice([q for q in _QUALITIES if q != qualities[0]]))
            identity = f"{country}:{base}"
            for quality in qualities:
                if len(self.live) >= count:
                    break
                style = self._style_for(style_rng)
                cat_id = self._category(
                    self.live_categories, _category_name(style, country, genre), 1
                )
                self.live[next_id] = LiveChannel(
                    stream_id=next_id,
                    name=format_channel_name(style, country, base, quality),
                    category_id=cat_id,
                    identity=identity,
                    country=country,
                    quality=quality,
                    tvg_id=_tvg_id(country, base) if has_tvg else None,
                    logo=f"logos/{_slug(base)}.png" if has_logo else None,
                    chno=chno if has_chno else None,
                    added=BASE_TIME + next_id * 60,
                    tv_archive=archive,
                    hls_master=master,
                    genre=genre,
                    slot_minutes=slot,
                )
                next_id += 1
            chno += 1

    def _generate_movies(self, seed: int, count: int, id_offset: int) -> None:
        rng = random.Random(seed + 1)
        for i in range(count):
            title, year = _title(i, _CURATED_MOVIES, rng)
            lang = rng.choice(_LANGS)
            tag = rng.choice(_MOVIE_TAGS)
            genre = rng.choice(_MOVIE_GENRES)
            has_tmdb = rng.random() < 0.6
            ext = rng.choice(_EXTS)
            has_logo = rng.random() < 0.85
            rating = round(rng.uniform(3.0, 9.5), 1)
            stream_id = MOVIE_ID_BASE + id_offset + i + 1
            cat_id = self._category(self.vod_categories, f"{lang} | {genre}", 100)
            self.movies[stream_id] = Movie(
                stream_id=stream_id,
                name=f"{lang} - {title} ({year}){tag}",
                title=title,
                year=year,
                category_id=cat_id,
                tmdb_id=100_000 + i if has_tmdb else None,
                container_extension=ext,
                logo=f"posters/{_slug(title)}-{year}.jpg" if has_logo else None,
                rating=rating,
                added=BASE_TIME + i * 3600,
                plot=f"A {genre.lower()} film about {title.lower()}.",
                duration_secs=4800 + (i % 40) * 60,
            )

    def _generate_series(
        self, seed: int, count: int, seasons: int, per_season: int, id_offset: int
    ) -> None:
        rng = random.Random(seed + 2)
        for i in range(count):
            title, year = _title(i, _CURATED_SERIES, rng)
            lang = rng.choice(_LANGS)
            genre = rng.choice(_SERIES_GENRES)
            series_id = id_offset + i + 1
            cat_id = self._category(self.series_categories, f"{lang} | {genre} Series", 200)
            self.series[series_id] = Series(
                series_id=series_id,
                name=f"{lang} - {title} ({year})",
                title=title,
                year=year,
                category_id=cat_id,
                seasons=seasons,
                episodes_per_season=per_season,
                tmdb_id=200_000 + i if rng.random() < 0.6 else None,
                cover=f"posters/{_slug(title)}.jpg" if rng.random() < 0.85 else None,
                plot=f"A {genre.lower()} series.",
                genre=genre,
                rating=round(rng.uniform(5.0, 9.5), 1),
                last_modified=BASE_TIME + i * 86400,
                episodes_as_list=rng.random() < 0.3,
                info_empty=rng.random() < 0.1,
                backdrop_as_list=rng.random() < 0.7,
                container_extension=rng.choice(_EXTS),
            )

    # ---- episodes ---------------------------------------------------------------------------

    def episodes_of(self, series_id: int) -> dict[int, list[Episode]]:
        """Season number → episodes, materialised (and from then on mutable) on first use."""
        show = self.series[series_id]
        if show.episodes is None:
            seasons: dict[int, list[Episode]] = {}
            for season in range(1, show.seasons + 1):
                seasons[season] = [
                    Episode(
                        id=_episode_id(series_id, season, number),
                        season=season,
                        episode_num=number,
                        title=f"{show.title} S{season:02d}E{number:02d}",
                        container_extension=show.container_extension,
                        added=show.last_modified + season * 604800 + number * 3600,
                    )
                    for number in range(1, show.episodes_per_season + 1)
                ]
            show.episodes = seasons
        return show.episodes

    def iter_episodes(self) -> Iterator[tuple[Series, Episode]]:
        for show in list(self.series.values()):
            for eps in self.episodes_of(show.series_id).values():
                for ep in eps:
                    yield show, ep

    def find_episode(self, episode_id: int) -> Episode | None:
        series_id = (episode_id - EPISODE_ID_BASE) // 100_000
        if series_id in self.series:
            for eps in self.episodes_of(series_id).values():
                for ep in eps:
                    if ep.id == episode_id:
                        return ep
        for _show, ep in self.iter_episodes():
            if ep.id == episode_id:
                return ep
        return None

    # ---- mutation helpers -------------------------------------------------------------------

    def add_channel(
        self,
        name: str,
        *,
        category_id: int | None = None,
        tvg_id: str | None = None,
        logo: str | None = None,
        chno: int | None = None,
        stream_id: int | None = None,
    ) -> LiveChannel:
        if stream_id is None:
            stream_id = max(self.live, default=LIVE_ID_BASE - 1) + 1
        if category_id is None and self.live_categories:
            category_id = next(iter(self.live_categories))
        channel = LiveChannel(
            stream_id=stream_id,
            name=name,
            category_id=category_id,
            identity=f"custom:{name}",
            country="",
            quality="",
            tvg_id=tvg_id,
            logo=logo,
            chno=chno,
            added=BASE_TIME + stream_id * 60,
        )
        self.live[stream_id] = channel
        return channel

    def remove_channel(self, stream_id: int) -> LiveChannel:
        return self.live.pop(stream_id)

    def rename_channel(self, stream_id: int, name: str) -> LiveChannel:
        channel = self.live[stream_id]
        channel.name = name
        return channel

    def add_movie(
        self,
        title: str,
        year: int,
        *,
        name: str | None = None,
        category_id: int | None = None,
        tmdb_id: int | None = None,
        container_extension: str | None = "mp4",
    ) -> Movie:
        stream_id = max(self.movies, default=MOVIE_ID_BASE) + 1
        if category_id is None and self.vod_categories:
            category_id = next(iter(self.vod_categories))
        movie = Movie(
            stream_id=stream_id,
            name=name or f"EN - {title} ({year})",
            title=title,
            year=year,
            category_id=category_id,
            tmdb_id=tmdb_id,
            container_extension=container_extension,
        )
        self.movies[stream_id] = movie
        return movie

    def remove_movie(self, stream_id: int) -> Movie:
        return self.movies.pop(stream_id)

    def add_episode(self, series_id: int, season: int, *, title: str | None = None) -> Episode:
        """Append an episode and bump ``last_modified``, as a panel does when content changes."""
        show = self.series[series_id]
        seasons = self.episodes_of(series_id)
        eps = seasons.setdefault(season, [])
        number = max((ep.episode_num for ep in eps), default=0) + 1
        episode = Episode(
            id=_episode_id(series_id, season, number),
            season=season,
            episode_num=number,
            title=title or f"{show.title} S{season:02d}E{number:02d}",
            container_extension=show.container_extension,
        )
        eps.append(episode)
        show.seasons = max(show.seasons, season)
        show.last_modified += 1
        return episode

    def remove_series(self, series_id: int) -> Series:
        return self.series.pop(series_id)

    # ---- guide ------------------------------------------------------------------------------

    def guide_channels(self) -> list[LiveChannel]:
        """One channel per distinct tvg-id (quality variants share their guide)."""
        seen: dict[str, LiveChannel] = {}
        for channel in list(self.live.values()):
            if channel.tvg_id and channel.tvg_id not in seen:
                seen[channel.tvg_id] = channel
        return list(seen.values())

    def programmes(self, channel: LiveChannel, start: int, stop: int) -> Iterator[Programme]:
        """Programmes overlapping [start, stop), on a fixed grid so every request agrees."""
        if not channel.tvg_id:
            return
        slot = channel.slot_minutes * 60
        salt = zlib.crc32(channel.tvg_id.encode())
        t = (start // slot) * slot
        while t < stop:
            n = t // slot
            pick = (n * 2654435761 + salt) & 0xFFFFFFFF
            word = _SHOW_WORDS[pick % len(_SHOW_WORDS)]
            base = channel.identity.split(":", 1)[-1]
            has_episode = pick % 3 != 0
            season = 1 + (pick >> 8) % 5 if has_episode else None
            episode = 1 + (pick >> 12) % 20 if has_episode else None
            yield Programme(
                channel=channel.tvg_id,
                start=t,
                stop=t + slot,
                title=f"{channel.genre} {word}",
                sub_title=f"Part {episode}" if episode else None,
                desc=f"{channel.genre} programming on {base}.",
                category=channel.genre,
                season=season,
                episode=episode,
            )
            t += slot
