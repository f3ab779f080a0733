"""Writing library files: atomic, only when the content changed, never outside the root."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from strmline.errors import ConfigError


class LibraryWriter:
    """Writes files below ``root`` and remembers what it produced, so a run can clean the rest."""

    def __init__(self, root: Path, *, suffix: str = ".strm") -> None:
        given = root.expanduser()
        if given.is_symlink():
            # Orphan clean-up deletes files under the root: through a link it would reach
            # whatever folder the link names, so the real folder must be given.
            raise ConfigError(
                f"the output folder is a symbolic link (to {os.path.realpath(given)}); "
                "give the real folder instead",
                source=str(given),
            )
        self.root = given.resolve()
        self.suffix = suffix
        self.produced: set[PurePosixPath] = set()
        self.written = 0
        self.unchanged = 0
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create output folder: {exc.strerror}", source=str(root)
            ) from exc

    def _target(self, rel: PurePosixPath) -> Path:
        if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts):
            raise ValueError(f"unsafe library path: {rel}")
        target = self.root.joinpath(*rel.parts)
        # A symlinked folder inside the library must not lead the write elsewhere.
        parent = Path(os.path.realpath(target.parent))
        if parent != self.root and self.root not in parent.parents:
            raise ConfigError(
                f"a folder in the library is a symbolic link leading out of it (to {parent}); "
                "remove the link or give a folder without one",
                source=str(self.root / rel.parent),
            )
        return target

    def write(self, rel: PurePosixPath, content: str) -> bool:
        """Write ``content`` to ``root/rel``; returns False when the file already held it."""
        target = self._target(rel)
        self.produced.add(rel)
        data = content.encode("utf-8")
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                self.unchanged += 1
                return False
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        self.written += 1
        return True

    def clean(self) -> int:
        """Remove files with our suffix that this run did not produce, then emptied folders."""
        removed = 0
        emptied: set[Path] = set()
        for path in self.root.rglob(f"*{self.suffix}"):
            if path.is_symlink() or not path.is_file():
                continue
            rel = PurePosixPath(path.relative_to(self.root).as_posix())
            if rel not in self.produced:
                path.unlink()
                removed += 1
                emptied.add(path.parent)
        self._remove_emptied(emptied)
        return removed

    def _remove_emptied(self, emptied: set[Path]) -> None:
        """Remove each of these folders and its parents below the root, while they are empty."""
        for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
            while folder != self.root and self.root in folder.parents:
                try:
                    folder.rmdir()  # only succeeds when empty: other files are never touched
                except OSError:
                    break
                folder = folder.parent
