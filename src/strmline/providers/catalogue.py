"""The channel catalogue's I/O: which snapshot is in use, and refreshing it.

The package ships a snapshot (:func:`strmline.matching.catalogue.packaged`); ``strmline catalogue
update`` builds a newer one from the iptv-org database (a folder or zip of its CSV files, local or
downloaded) into ``<data dir>/catalogue.json.gz``, which then wins over the shipped one. The
setting ``match.catalogue = false`` turns the catalogue off: :func:`load` gives None.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from strmline.config import Settings
from strmline.errors import FormatError, ProviderUnavailable
from strmline.matching.catalogue import PACKAGED_FILE, Catalogue, packaged
from strmline.matching.catalogue_build import OPTIONAL_FILES, REQUIRED_FILES, build_snapshot
from strmline.providers.http import make_client, provider_errors, raise_for_status

__all__ = [
    "DEFAULT_URL",
    "data_file",
    "download",
    "install",
    "load",
    "read_source",
    "snapshot_from_bytes",
]

# The iptv-org database, whose data/ folder holds the CSV files the snapshot is built from.
DEFAULT_URL = "https://github.com/iptv-org/database/archive/refs/heads/master.zip"
MAX_DOWNLOAD = 256 * 1024 * 1024
_WANTED = (*REQUIRED_FILES, *OPTIONAL_FILES)
_cache: dict[Path, tuple[tuple[int, int], Catalogue]] = {}


def data_file(settings: Settings) -> Path:
    return settings.data_dir / PACKAGED_FILE


def load(settings: Settings) -> Catalogue | None:
    """The catalogue in use: the data dir's refreshed snapshot, else the shipped one.

    Read once per process (again only when the data dir's file changes); None when the
    setting turns the catalogue off.
    """
    if not settings.match.catalogue:
        return None
    path = data_file(settings)
    try:
        st = path.stat()
    except OSError:
        return packaged()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        catalogue = Catalogue.from_bytes(path.read_bytes())
    except (OSError, FormatError):
        # A snapshot of another format (an older strmline wrote it) or a damaged file: the
        # shipped one is better than none.
        return packaged()
    _cache[path] = (stamp, catalogue)
    return catalogue


def read_source(path: Path) -> dict[str, str]:
    """CSV texts by file name from a folder (its ``data/`` too) or a zip of the database."""
    if path.is_dir():
        for folder in (path, path / "data"):
            if (folder / REQUIRED_FILES[0]).is_file():
                return {
                    name: (folder / name).read_text(encoding="utf-8")
                    for name in _WANTED
                    if (folder / name).is_file()
                }
        raise FormatError(f"{path}: no {REQUIRED_FILES[0]} here or in data/")
    return _from_zip(path.read_bytes(), str(path))


def _from_zip(data: bytes, source: str) -> dict[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FormatError(f"{source}: not a zip of the iptv-org database") from None
    found: dict[str, str] = {}
    with archive:
        # The shallowest copy of each file: a GitHub archive nests everything in one folder.
        for info in sorted(archive.infolist(), key=lambda i: (i.filename.count("/"), i.filename)):
            name = PurePosixPath(info.filename).name
            if name in _WANTED and name not in found and not info.is_dir():
                found[name] = archive.read(info).decode("utf-8")
    return found


def snapshot_from_bytes(data: bytes, source: str) -> bytes:
    """A snapshot from downloaded or read bytes: a zip of the CSV files, or a snapshot."""
    if data[:2] == b"\x1f\x8b" or data[:1] == b"{":
        Catalogue.from_bytes(data)  # raises FormatError when it is not one
        return data
    return build_snapshot(_from_zip(data, source))


async def download(url: str, settings: Settings) -> bytes:
    """The bytes at ``url`` (a zip of the database or a snapshot), within a size limit."""
    async with make_client(
        timeout=settings.http.timeout,
        connect_timeout=settings.http.connect_timeout,
        user_agent=settings.http.user_agent,
    ) as client:
        with provider_errors(url):
            async with client.stream("GET", url) as response:
                raise_for_status(response)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_DOWNLOAD:
                        raise ProviderUnavailable(
                            f"larger than {MAX_DOWNLOAD // (1024 * 1024)} MB", source=url
                        )
                    chunks.append(chunk)
    return b"".join(chunks)


def install(snapshot: bytes, settings: Settings) -> tuple[Path, Catalogue]:
    """Check the snapshot and write it atomically into the data dir; it is used from now on."""
    catalogue = Catalogue.from_bytes(snapshot)
    path = data_file(settings)
    folder = settings.ensure_data_dir()
    fd, tmp = tempfile.mkstemp(prefix=".catalogue-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(snapshot)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _cache.pop(path, None)
    return path, catalogue
