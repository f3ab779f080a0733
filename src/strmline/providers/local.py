"""Local files as sources: read only from one configured folder, never strmline's own files.

A provider or guide source may name a file instead of a URL. Without a limit, an admin (or a
playlist's ``x-tvg-url``) could make the server read any file it can: the signing key came back
quoted in a "not a playlist" error, and reading the live SQLite database through a second file
handle released SQLite's POSIX locks on it (closing any descriptor of a file drops every lock the
process holds on it), after which the server deleted its own WAL files and lost users.

So a local path is resolved (symlinks followed) and must lie under ``settings.source_root``; the
database file with its journals and the legacy key file are refused even there (compared by
inode too, so a hard link does not pass), and only regular files are read (a FIFO would block).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from strmline.config import SECRET_FILE, Settings
from strmline.errors import ConfigError, NotFound

__all__ = ["LocalFiles", "SourcePathRefused", "is_local", "sqlite_file"]

_SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


class SourcePathRefused(ConfigError):
    """A local source path that may not be read (outside the folder, or strmline's own file)."""

    code = "source_path_refused"


def is_local(url: str) -> bool:
    """Whether ``url`` names a local file (a path, or a file:// URL) rather than an http(s) URL."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:  # "http://[::1/x": a broken URL, not a path
        return False
    # One letter is a Windows drive ("C:\\lists\\tv.m3u"), not a scheme.
    return scheme not in ("http", "https") and (not scheme or scheme == "file" or len(scheme) == 1)


def sqlite_file(db_url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    head, sep, rest = db_url.partition(":///")
    if not sep or not head.startswith("sqlite"):
        return None
    name = rest.split("?", 1)[0]
    if not name or name == ":memory:":
        return None
    return Path(name)


@dataclass(frozen=True)
class LocalFiles:
    """The folder local sources may be read from, and the files never read even inside it."""

    root: Path
    protected: tuple[Path, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalFiles:
        protected = [settings.data_dir / SECRET_FILE]
        db = sqlite_file(settings.db_url)
        if db is not None:
            protected += [db.with_name(db.name + suffix) for suffix in _SQLITE_SIDECARS]
        return cls(root=settings.source_root, protected=tuple(protected))

    def path(self, url: str) -> Path:
        """The regular file ``url`` names, resolved; SourcePathRefused saying why it may not be
        read, NotFound when it does not exist.

        A relative path is taken inside the folder (``tv.m3u`` is ``<sources dir>/tv.m3u``).
        """
        path = self._parse(url.strip())
        root = _resolve(self.root)
        target = _resolve(path if path.is_absolute() else self.root / path)
        if not target.is_relative_to(root):
            raise SourcePathRefused(
                f"local files are read only from {root} (the sources_dir setting); "
                "this path is outside it"
            )
        try:
            info = target.stat()
        except FileNotFoundError:
            raise NotFound(f"no such file in {root}") from None
        except OSError as exc:
            raise SourcePathRefused(f"cannot read the file: {exc.strerror or exc}") from None
        if self._is_protected(target, info):
            raise SourcePathRefused("this is one of strmline's own files, never read as a source")
        if not stat.S_ISREG(info.st_mode):
            raise SourcePathRefused("not a regular file")
        return target

    def _parse(self, url: str) -> Path:
        if not url or "\x00" in url:
            raise SourcePathRefused("not a valid file path")
        try:
            parts = urlsplit(url)
        except ValueError:
            raise SourcePathRefused("not a valid file path or URL") from None
        if parts.scheme.lower() == "file":
            if parts.netloc not in ("", "localhost"):
                raise SourcePathRefused("file:// URLs on another host are not read")
            text = unquote(parts.path)
        else:
            text = url
        if text.startswith("~"):
            # "~user/x" would read another account's home folder: not a place for sources.
            raise SourcePathRefused(
                f"home-folder paths (~) are not read; put the file in {self.root}"
            )
        if "\x00" in text:
            raise SourcePathRefused("not a valid file path")
        return Path(text)

    def _is_protected(self, target: Path, info: os.stat_result) -> bool:
        for path in self.protected:
            if _resolve(path) == target:
                return True
            try:
                other = path.stat()
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                return True
        return False


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, an odd name
        raise SourcePathRefused(f"cannot resolve the path: {exc}") from None
