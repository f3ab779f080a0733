"""The library folder and one run's plan of it: which files should exist, written by hash.

:class:`Library` walks the folder once, writes atomically and removes orphans. :class:`LibraryRun`
holds what one generation knows (base URL, token, options) and the rows to update afterwards; its
:meth:`~LibraryRun.place` is the one incremental write movies and episodes share: an item whose
inputs hash to what the last run wrote keeps its files, any other is written and remembered.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import StrmSettings
from strmline.db.models import Provider
from strmline.formats.names import safe_name, unique_names
from strmline.formats.playurls import kodi_url, player_headers
from strmline.pipelines.files import LibraryWriter

SUFFIXES = (".strm", ".nfo")


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


def content_hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def group_folder(opts: StrmSettings, genre: str | None, category: str | None) -> str:
    """The grouping folder of a movie or show (by genre, by category, or none)."""
    if opts.group_by == "genre":
        return safe_name((genre or "").split(",")[0], fallback="Other")
    if opts.group_by == "category":
        return safe_name(category or "", fallback="Other")
    return ""


def unique_paths(rows: Sequence[Any], folder_of: Any, name_of: Any) -> dict[int, str]:
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


async def best_urls(
    session: AsyncSession, source: Any, owner: Any, *, kodi_headers: bool = False
) -> dict[int, str]:
    """owner id → the URL of its best active source (provider priority, then oldest); with
    ``kodi_headers``, followed by the provider's User-Agent the Kodi way (``url|User-Agent=…``)."""
    rows = await session.execute(
        select(owner, source.url, Provider.user_agent)
        .join(Provider, Provider.id == source.provider_id)
        .where(source.removed_at.is_(None), Provider.enabled.is_(True))
        .order_by(owner, Provider.priority.desc(), source.id)
    )
    best: dict[int, str] = {}
    for item_id, url, agent in rows:
        if item_id not in best:
            best[item_id] = kodi_url(url, player_headers(None, agent)) if kodi_headers else url
    return best


# What a file holds and where it goes: built only when the item is not unchanged.
Make = Callable[[], tuple[PurePosixPath, str | None]]


@dataclass
class LibraryRun:
    """One generation: its options, where the files point, and the rows to update afterwards."""

    opts: StrmSettings
    library: Library
    result: StrmResult
    base: str
    token: str = ""
    movie_updates: list[dict[str, Any]] = field(default_factory=list)
    episode_updates: list[dict[str, Any]] = field(default_factory=list)
    series_updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def direct(self) -> bool:
        return self.opts.url_mode == "direct"

    def url(self, kind: str, item_id: int, direct_urls: dict[int, str]) -> str | None:
        """The URL a movie or episode file carries; None when no provider offers it (direct)."""
        if self.direct:
            return direct_urls.get(item_id)
        return f"{self.base}/play/{kind}/{item_id}?token={self.token}"

    def unchanged(self, digest: str, old_path: str | None, old_hash: str | None) -> bool:
        """True (and the files kept) when the inputs hash to what the last run wrote."""
        if old_hash != digest or not old_path:
            return False
        # Plain strings: 150k PurePosixPath objects cost more than the rest of a no-op run.
        if not self.library.exists(old_path):
            return False
        self.library.keep(old_path)
        if self.opts.nfo:
            self.library.keep(old_path[: -len(".strm")] + ".nfo")
        return True

    def put(self, rel: PurePosixPath, content: str, nfo: str | None) -> None:
        self.library.write(rel, content)
        if nfo is not None:
            self.library.write(rel.with_suffix(".nfo"), nfo)

    def place(
        self,
        updates: list[dict[str, Any]],
        row: Any,
        url: str,
        digest: str,
        make: Make,
        *,
        same_path: bool = True,
    ) -> None:
        """Keep ``row``'s files when ``digest`` matches the last run (and ``same_path``), else
        write the .strm (and .nfo) that ``make`` describes and queue the row's new path/hash."""
        if same_path and self.unchanged(digest, row.strm_path, row.strm_hash):
            return
        rel, nfo = make()
        self.put(rel, url + "\n", nfo)
        updates.append({"_id": row.id, "strm_path": str(rel), "strm_hash": digest})
