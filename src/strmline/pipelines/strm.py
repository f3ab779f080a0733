"""The .strm library: movies, series (and optionally live channels) as files for media servers.

Incremental: each movie and episode keeps the path and a hash of what was written for it
(``strm_path``/``strm_hash``), so an unchanged title costs a dictionary lookup and one stat, not a
write. A renamed title is written under its new path and the old file is cleaned as an orphan;
titles that disappeared lose their files and emptied folders. All writes go through
:class:`LibraryWriter` (atomic, never outside the root). The database is updated only after the
files are written, so a run killed half way leaves rows that the next run re-checks.

The URL in each file is ``{base_url}/play/movie/{id}?token=…`` (``/play/episode/{id}``): strmline
picks and fails over between providers at play time, and provider credentials never land on
disk. ``base_url`` is, in this order: the URL saved in Settings, ``STRMLINE_BASE_URL``, the
URL of the request that asked for the library (the API passes it in the job's args), the last
such request URL (remembered for scheduled and CLI runs), then ``http://127.0.0.1:8000``. A
loopback address only works on this machine, so the result then carries a warning. The token
is the API token of ``strm.token_user`` (a dedicated, non-admin "library" user
is the recommended choice), else of the first admin. Rotating that token rewrites every file on
the next run, which is what revoking a leaked library needs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import Settings, StrmSettings
from strmline.db.base import utcnow
from strmline.db.models import (
    Channel,
    Provider,
    Setting,
    User,
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
)
from strmline.errors import ConfigError
from strmline.formats import strmnames
from strmline.formats.names import safe_name, unique_names
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.files import LibraryWriter
from strmline.services import settings as settings_store

log = logging.getLogger(__name__)

MOVIES = cast(Table, VodMovie.__table__)
SERIES = cast(Table, VodSeries.__table__)
EPISODES = cast(Table, VodEpisode.__table__)
LIVE_DIR = "Live TV"
SUFFIXES = (".strm", ".nfo")

__all__ = [
    "Library",
    "StrmResult",
    "generate_library",
    "is_loopback_url",
    "resolve_base_url",
    "strm_generate_job",
]

# Settings-table key of the last URL a request for the library came in on.
LAST_REQUEST_BASE_URL = "last_request_base_url"
LOOPBACK_WARNING = (
    "Library files point at {host}: other machines cannot reach it — set the public URL in Settings"
)


@dataclass
class StrmResult:
    out: str
    movies: int = 0
    episodes: int = 0
    live: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    rescan: str | None = None
    message: str = ""
    base_url: str = ""
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_loopback_url(url: str) -> bool:
    """True when the URL's host only answers on this machine (127.x, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_warning(url: str) -> str | None:
    if not is_loopback_url(url):
        return None
    return LOOPBACK_WARNING.format(host=urlsplit(url).hostname)


async def _setting(session: AsyncSession, key: str) -> str | None:
    value = await session.scalar(select(Setting.value).where(Setting.key == key))
    return value.strip().rstrip("/") or None if isinstance(value, str) else None


async def resolve_base_url(
    session: AsyncSession, settings: Settings, requested: str | None = None
) -> str:
    """The base URL .strm files carry (see the module docstring for the order).

    The saved setting is read from the table rather than from ``settings``: CLI and worker
    processes do not load saved settings at startup, and a value saved a moment ago counts.
    """
    saved = (await settings_store.load(session=session, settings=settings)).get(
        f"{settings_store.TOP_LEVEL_GROUP}.base_url"
    )
    if isinstance(saved, str) and saved.strip():
        return saved.strip().rstrip("/")
    if "base_url" in settings.model_fields_set:
        return settings.base_url.rstrip("/")
    if requested:
        return requested.rstrip("/")
    return await _setting(session, LAST_REQUEST_BASE_URL) or settings.base_url.rstrip("/")


async def remember_request_base_url(session: AsyncSession, url: str) -> None:
    """Keep the URL a request came in on for later runs that have no request (one upsert)."""
    row = {"key": LAST_REQUEST_BASE_URL, "value": url.rstrip("/"), "updated_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Setting).values(row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Setting.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )


class Library(LibraryWriter):
    """A LibraryWriter for .strm and .nfo files, tuned for 100k+ files per run.

    The folder is walked once up front (``os.scandir`` gives file types without a stat each),
    which answers "is it there?" for unchanged titles and, at the end, which files are orphans.
    The symlink check of :meth:`LibraryWriter._target` resolves each folder once per run, not
    once per file, and folders are created once.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(root, suffix=".strm")
        self.existing: set[str] = set()
        self.kept: set[str] = set()
        self._checked: dict[PurePosixPath, Path] = {}
        self._made: set[Path] = set()
        self._walk()

    def _walk(self) -> None:
        root = str(self.root)
        cut = len(root) + 1
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(SUFFIXES) and entry.is_file(follow_symlinks=False):
                    self.existing.add(entry.path[cut:].replace(os.sep, "/"))

    def _target(self, rel: PurePosixPath) -> Path:
        parent = rel.parent
        folder = self._checked.get(parent)
        if folder is None:
            folder = super()._target(rel).parent
            self._checked[parent] = folder
        elif rel.name in ("", ".", ".."):
            raise ValueError(f"unsafe library path: {rel}")
        return folder / rel.name

    def keep(self, rel: str) -> None:
        self.kept.add(rel)
        self.unchanged += 1

    def exists(self, rel: str) -> bool:
        return rel in self.existing

    def write(self, rel: PurePosixPath, content: str) -> bool:
        target = self._target(rel)
        key = str(rel)
        self.kept.add(key)
        data = content.encode("utf-8")
        if key in self.existing:
            try:
                if target.stat().st_size == len(data) and target.read_bytes() == data:
                    self.unchanged += 1
                    return False
            except FileNotFoundError:
                pass
        folder = target.parent
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.written += 1
        return True

    def clean(self) -> int:
        """Remove .strm/.nfo files this run did not produce, then the folders that emptied."""
        removed = 0
        emptied: set[Path] = set()
        for key in self.existing - self.kept:
            path = self.root.joinpath(*key.split("/"))
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            emptied.add(path.parent)
        self._remove_emptied(emptied)
        return removed


def nfo_inputs(row: Any) -> str:
    """The metadata an .nfo is built from, as one string for the content hash."""
    return repr([v for k, v in row._mapping.items() if not k.startswith("strm_")])


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


async def _token(session: AsyncSession, opts: StrmSettings) -> str:
    query = select(User.api_token).where(User.is_active.is_(True))
    if opts.token_user:
        query = query.where(User.username == opts.token_user)
    else:
        query = query.where(User.role == "admin").order_by(User.id)
    token = (await session.scalars(query.limit(1))).first()
    if token is None:
        who = f"user {opts.token_user!r}" if opts.token_user else "an admin user"
        raise ConfigError(f".strm files need {who} whose API token they carry; create one first")
    return token


async def _best_urls(session: AsyncSession, source: Any, owner: Any) -> dict[int, str]:
    """owner id → the URL of its best active source (provider priority, then oldest)."""
    rows = await session.execute(
        select(owner, source.url)
        .join(Provider, Provider.id == source.provider_id)
        .where(source.removed_at.is_(None), Provider.enabled.is_(True))
        .order_by(owner, Provider.priority.desc(), source.id)
    )
    best: dict[int, str] = {}
    for item_id, url in rows:
        best.setdefault(item_id, url)
    return best


def _group(opts: StrmSettings, genre: str | None, category: str | None) -> str:
    if opts.group_by == "genre":
        return safe_name((genre or "").split(",")[0], fallback="Other")
    if opts.group_by == "category":
        return safe_name(category or "", fallback="Other")
    return ""


def _unique(rows: Sequence[Any], folder_of: Any, name_of: Any) -> dict[int, str]:
    """id → folder/name, collisions resolved per folder in a stable (name, id) order."""
    by_folder: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        by_folder[folder_of(row)].append((name_of(row), row.id))
    out: dict[int, str] = {}
    for folder, members in by_folder.items():
        members.sort(key=lambda m: (m[0].casefold(), m[1]))
        for (_, item_id), name in zip(members, unique_names(n for n, _ in members), strict=True):
            out[item_id] = f"{folder}/{name}" if folder else name
    return out


async def generate_library(
    ctx: PipelineContext,
    *,
    out: Path | None = None,
    live: bool | None = None,
    base_url: str | None = None,
    fail_after: int | None = None,
) -> StrmResult:
    """Write the library. ``base_url`` is the URL of the request that asked for it, if any;
    ``fail_after`` is for tests that simulate a run killed half way."""
    started = time.monotonic()
    settings = ctx.settings
    opts = settings.strm
    library = Library(out or settings.strm_dir)
    if fail_after is not None:
        _fail_after(library, fail_after)
    result = StrmResult(out=str(library.root))
    async with ctx.session_factory() as session:
        base = await resolve_base_url(session, settings, base_url)
    result.base_url = base
    direct = opts.url_mode == "direct"
    # Direct provider URLs do not go through this server, so its address does not matter.
    result.warning = None if direct else loopback_warning(base)
    flavour = opts.flavour
    if direct:
        log.warning(
            "strm.url_mode=direct: provider URLs with usernames and passwords are written "
            "into the library at %s",
            library.root,
        )
    movie_updates: list[dict[str, Any]] = []
    episode_updates: list[dict[str, Any]] = []
    series_updates: list[dict[str, Any]] = []

    def unchanged(digest: str, old_path: str | None, old_hash: str | None) -> bool:
        """True (and the files kept) when the inputs hash to what the last run wrote."""
        if old_hash != digest or not old_path:
            return False
        # Plain strings: 150k PurePosixPath objects cost more than the rest of a no-op run.
        if not library.exists(old_path):
            return False
        library.keep(old_path)
        if opts.nfo:
            library.keep(old_path[: -len(".strm")] + ".nfo")
        return True

    def put(rel: PurePosixPath, content: str, nfo: str | None) -> None:
        library.write(rel, content)
        if nfo is not None:
            library.write(rel.with_suffix(".nfo"), nfo)

    async with ctx.session_factory() as session:
        token = "" if direct else await _token(session, opts)
        # -- movies
        await ctx.report(0, None, "library: movies")
        movies = (
            await session.execute(
                select(
                    VodMovie.id,
                    VodMovie.title,
                    VodMovie.year,
                    VodMovie.tmdb_id,
                    VodMovie.imdb_id,
                    VodMovie.category,
                    VodMovie.genre,
                    VodMovie.plot,
                    VodMovie.rating,
                    VodMovie.strm_path,
                    VodMovie.strm_hash,
                ).where(VodMovie.removed_at.is_(None))
            )
        ).all()
        urls = await _best_urls(session, VodMovieSource, VodMovieSource.movie_id) if direct else {}
        paths = _unique(
            movies,
            lambda r: _group(opts, r.genre, r.category),
            lambda r: strmnames.title_dir(r.title, r.year, r.tmdb_id, flavour),
        )
        for row in movies:
            if len(movie_updates) % 1000 == 999:
                ctx.check_cancelled()
            name = paths[row.id].rsplit("/", 1)[-1]
            rel_str = f"{strmnames.MOVIES_DIR}/{paths[row.id]}/{name}.strm"
            url = urls.get(row.id) if direct else f"{base}/play/movie/{row.id}?token={token}"
            if url is None:
                continue
            result.movies += 1
            # Everything the two files are made of, so an unchanged movie is a hash compare.
            digest = _hash(rel_str, url, nfo_inputs(row) if opts.nfo else "")
            if row.strm_path == rel_str and unchanged(digest, row.strm_path, row.strm_hash):
                continue
            rel = PurePosixPath(rel_str)
            nfo = (
                strmnames.movie_nfo(
                    row.title, row.year, row.plot, row.rating, row.genre, row.tmdb_id, row.imdb_id
                )
                if opts.nfo
                else None
            )
            put(rel, url + "\n", nfo)
            movie_updates.append({"_id": row.id, "strm_path": str(rel), "strm_hash": digest})

        # -- series and episodes
        await ctx.report(0, None, "library: series")
        shows = (
            await session.execute(
                select(
                    VodSeries.id,
                    VodSeries.title,
                    VodSeries.year,
                    VodSeries.tmdb_id,
                    VodSeries.imdb_id,
                    VodSeries.category,
                    VodSeries.genre,
                    VodSeries.plot,
                    VodSeries.rating,
                    VodSeries.strm_dir,
                ).where(VodSeries.removed_at.is_(None))
            )
        ).all()
        show_paths = _unique(
            shows,
            lambda r: _group(opts, r.genre, r.category),
            lambda r: strmnames.title_dir(r.title, r.year, r.tmdb_id, flavour),
        )
        show_by_id = {row.id: row for row in shows}
        show_folders = {row.id: f"{strmnames.SHOWS_DIR}/{show_paths[row.id]}" for row in shows}
        show_root = PurePosixPath(strmnames.SHOWS_DIR)
        for row in shows:
            folder = show_root / show_paths[row.id]
            if opts.nfo:
                library.write(
                    folder / "tvshow.nfo",
                    strmnames.tvshow_nfo(
                        row.title,
                        row.year,
                        row.plot,
                        row.rating,
                        row.genre,
                        row.tmdb_id,
                        row.imdb_id,
                    ),
                )
            if row.strm_dir != str(folder):
                series_updates.append({"_id": row.id, "strm_dir": str(folder)})
        episodes = await session.execute(
            select(
                VodEpisode.id,
                VodEpisode.series_id,
                VodEpisode.season,
                VodEpisode.episode,
                VodEpisode.title,
                VodEpisode.plot,
                VodEpisode.air_date,
                VodEpisode.rating,
                VodEpisode.strm_path,
                VodEpisode.strm_hash,
            ).where(VodEpisode.removed_at.is_(None))
        )
        ep_urls = (
            await _best_urls(session, VodEpisodeSource, VodEpisodeSource.episode_id)
            if direct
            else {}
        )
        for ep in episodes:
            show = show_by_id.get(ep.series_id)
            if show is None:
                continue
            show_folder = show_folders[show.id]
            url = ep_urls.get(ep.id) if direct else f"{base}/play/episode/{ep.id}?token={token}"
            if url is None:
                continue
            result.episodes += 1
            # The file name is a function of these inputs: an unchanged episode needs no naming.
            digest = _hash(
                show_folder,
                show.title,
                str(ep.season),
                str(ep.episode),
                ep.title or "",
                url,
                nfo_inputs(ep) + nfo_inputs(show) if opts.nfo else "",
            )
            if unchanged(digest, ep.strm_path, ep.strm_hash):
                continue
            name = strmnames.episode_file(
                PurePosixPath(show_folder).name, show.title, ep.season, ep.episode, ep.title
            )
            rel = PurePosixPath(show_folder, strmnames.season_dir(ep.season), f"{name}.strm")
            nfo = (
                strmnames.episode_nfo(
                    show.title, ep.title, ep.season, ep.episode, ep.plot, ep.air_date, ep.rating
                )
                if opts.nfo
                else None
            )
            put(rel, url + "\n", nfo)
            episode_updates.append({"_id": ep.id, "strm_path": str(rel), "strm_hash": digest})

        # -- live channels (the `process` layout: one file per channel, by display name)
        if live if live is not None else opts.live:
            channels = (
                await session.execute(
                    select(Channel.id, Channel.name, Channel.category).where(
                        Channel.enabled.is_(True), Channel.stream_count > 0
                    )
                )
            ).all()
            live_paths = _unique(
                channels,
                lambda r: (
                    safe_name(r.category or "", fallback="Uncategorized")
                    if opts.live_by_category
                    else ""
                ),
                lambda r: safe_name(r.name),
            )
            for channel in channels:
                rel = PurePosixPath(LIVE_DIR) / live_paths[channel.id]
                rel = rel.with_name(f"{rel.name}.strm")
                library.write(rel, f"{base}/play/{channel.id}?token={token}\n")
                result.live += 1

    await ctx.report(0, None, "library: cleaning")
    result.removed = library.clean()
    async with ctx.session_factory() as session, session.begin():
        if base_url:
            await remember_request_base_url(session, base_url)
        batch = settings.sync.batch_size
        for table, rows in (
            (MOVIES, movie_updates),
            (EPISODES, episode_updates),
            (SERIES, series_updates),
        ):
            for i in range(0, len(rows), batch):
                stmt = update(table).where(table.c.id == bindparam("_id"))
                await session.execute(stmt, rows[i : i + batch])
        for table in (MOVIES, EPISODES):
            await session.execute(
                update(table)
                .where(table.c.removed_at.is_not(None), table.c.strm_path.is_not(None))
                .values(strm_path=None, strm_hash=None)
            )
    result.written, result.unchanged = library.written, library.unchanged
    if (result.written or result.removed) and opts.media_server_url:
        result.rescan = await _rescan(ctx, opts)
    result.seconds = round(time.monotonic() - started, 3)
    result.message = (
        f"{result.movies:,} movies, {result.episodes:,} episodes, {result.live:,} channels: "
        f"{result.written:,} files written, {result.unchanged:,} unchanged, "
        f"{result.removed:,} removed"
    )
    if result.warning:
        result.message += f". {result.warning}"
    await ctx.report(1, 1, result.message)
    return result


def _fail_after(library: Library, count: int) -> None:
    write = library.write

    def failing(rel: PurePosixPath, content: str) -> bool:
        if library.written >= count:
            raise RuntimeError(f"simulated crash after {count} files")
        return write(rel, content)

    library.write = failing  # type: ignore[method-assign]


async def _rescan(ctx: PipelineContext, opts: StrmSettings) -> str:
    """Ask Jellyfin/Emby to rescan; a failure is reported in the result, never raised."""
    assert opts.media_server_url is not None
    url = opts.media_server_url.rstrip("/") + "/Library/Refresh"
    key = opts.media_server_api_key.get_secret_value() if opts.media_server_api_key else ""
    try:
        if ctx.http is not None:
            response = await ctx.http.post(url, headers={"X-Emby-Token": key}, timeout=10)
        else:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(url, headers={"X-Emby-Token": key})
    except httpx.HTTPError as exc:
        return f"rescan failed: {type(exc).__name__}"
    if response.status_code >= 400:
        return f"rescan failed: HTTP {response.status_code}"
    return "rescan requested"


async def strm_generate_job(
    ctx: PipelineContext,
    *,
    out: str | None = None,
    live: bool | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    result = await generate_library(
        ctx, out=Path(out) if out else None, live=live, base_url=base_url
    )
    return result.as_dict()
