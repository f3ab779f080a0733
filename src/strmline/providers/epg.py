"""Fetching a guide: HTTP download (streamed to a temp file) or a local file, any compression.

Guides are downloaded to disk before parsing: a 150 MB document never sits in memory, a zip can
be opened (it needs a seekable file), and the hash of the whole body lets an unchanged guide be
skipped without parsing it.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from strmline.errors import FormatError, NotFound, ProviderUnavailable
from strmline.formats.redact import redact_url
from strmline.providers.http import (
    FetchLimits,
    Meter,
    deadline,
    header_value,
    provider_errors,
    raise_for_status,
)
from strmline.providers.local import LocalFiles

__all__ = ["download", "file_hash", "is_remote", "local_path", "open_guide"]

CHUNK = 256 * 1024


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def local_path(url: str, local_files: LocalFiles | None = None) -> Path:
    """The guide file ``url`` names; with ``local_files``, only one in the sources folder
    (SourcePathRefused otherwise)."""
    if local_files is not None:
        return local_files.path(url)
    parts = urlsplit(url)
    path = Path(url2pathname(parts.path)) if parts.scheme.lower() == "file" else Path(url)
    if not path.is_file():
        raise NotFound(f"no such guide file: {path}")
    return path


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    secrets: list[str],
    user_agent: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    max_seconds: float | None = None,
) -> str:
    """Stream ``url`` into ``dest``; returns the body's hash. Errors name the redacted URL.

    ``max_seconds`` bounds the whole download, not each read: a server dripping a line every
    few seconds would otherwise hold the import (and its lock) for ever.
    """
    shown = redact_url(url, secrets)
    limits = FetchLimits(max_seconds=max_seconds, what="guide")
    async with deadline(limits, shown):
        return await _download(
            client, url, dest, shown, max_bytes, secrets, user_agent, on_progress
        )


async def _download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    shown: str,
    max_bytes: int,
    secrets: list[str],
    user_agent: str | None,
    on_progress: Callable[[int], None] | None,
) -> str:
    digest = hashlib.blake2b(digest_size=16)
    size = 0
    headers = {b"User-Agent": header_value(user_agent)} if user_agent else None
    with provider_errors(url, secrets=secrets), dest.open("wb") as out:
        async with client.stream("GET", url, headers=headers) as response:
            raise_for_status(response, secrets=secrets)
            # Keep the body as sent (a .gz stays gzip); open_guide decompresses by magic bytes.
            async for chunk in response.aiter_raw(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderUnavailable(
                        f"guide larger than {max_bytes // 1_000_000} MB", source=shown
                    )
                digest.update(chunk)
                out.write(chunk)
                if on_progress is not None:
                    on_progress(size)
    if size == 0:
        raise ProviderUnavailable("empty response", source=shown)
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Limited:
    """A read-only file that refuses to inflate past a size or a compression ratio.

    The guide on disk is at most ``max_download_mb``; what it decompresses to is not, and a
    few MB of gzip can be gigabytes of XML (or of one repeated programme). The ratio is taken
    against the compressed bytes read so far, so a bomb is refused after a few MB, not after
    ``max_ratio`` times the whole file has been parsed and staged.
    """

    def __init__(self, stream: IO[bytes], raw: IO[bytes] | None, meter: Meter) -> None:
        self._stream = stream
        self._raw = raw  # the compressed file under ``stream``, when its position means that
        self._meter = meter

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if self._raw is not None:
            self._meter.wire = max(self._raw.tell(), 1)
        self._meter.add_out(len(data))
        return data

    def close(self) -> None:
        self._stream.close()
        if self._raw is not None:
            self._raw.close()


def open_guide(
    path: Path,
    *,
    max_bytes: int | None = None,
    max_ratio: float | None = None,
    source: str | None = None,
) -> IO[bytes]:
    """The document inside ``path`` (plain, gzip, xz, bzip2 or the first .xml of a zip),
    refusing to read past ``max_bytes`` uncompressed or ``max_ratio`` times what it read."""
    if max_bytes is None and max_ratio is None:
        return _open_guide(path)
    meter = Meter(
        FetchLimits(max_bytes=max_bytes, max_ratio=max_ratio, what="guide"), source or str(path)
    )
    raw = path.open("rb")
    try:
        stream = _open_guide(path, raw)
    except BaseException:
        raw.close()
        raise
    if stream is raw or isinstance(stream, zipfile.ZipExtFile):
        # Plain text inflates nothing; a zip member is measured against the whole archive.
        meter.wire = path.stat().st_size
        return cast(IO[bytes], _Limited(stream, None, meter))
    return cast(IO[bytes], _Limited(stream, raw, meter))


def _open_guide(path: Path, raw: IO[bytes] | None = None) -> IO[bytes]:
    """The decompressing reader for ``path``; over ``raw`` (left open on close) when given."""
    with path.open("rb") as fh:
        magic = fh.read(6)
    source: Path | IO[bytes] = raw if raw is not None else path
    if magic.startswith(b"\x1f\x8b"):
        if raw is not None:
            return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        return cast(IO[bytes], gzip.open(path, "rb"))
    if magic.startswith(b"\xfd7zXZ"):
        return cast(IO[bytes], lzma.open(source, "rb"))
    if magic.startswith(b"BZh"):
        return cast(IO[bytes], bz2.open(source, "rb"))
    if magic.startswith(b"PK\x03\x04"):
        archive = zipfile.ZipFile(source)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        xml = [n for n in names if n.lower().endswith(".xml")] or names
        if not xml:
            raise FormatError("empty zip archive")
        return archive.open(xml[0])
    return raw if raw is not None else path.open("rb")
