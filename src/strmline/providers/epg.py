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
from strmline.providers.http import provider_errors, raise_for_status

__all__ = ["download", "file_hash", "is_remote", "local_path", "open_guide"]

CHUNK = 256 * 1024


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def local_path(url: str) -> Path:
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
) -> str:
    """Stream ``url`` into ``dest``; returns the body's hash. Errors name the redacted URL."""
    shown = redact_url(url, secrets)
    digest = hashlib.blake2b(digest_size=16)
    size = 0
    headers = {"User-Agent": user_agent} if user_agent else None
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


def open_guide(path: Path) -> IO[bytes]:
    """The document inside ``path``: plain, gzip, xz, bzip2 or the first .xml of a zip."""
    with path.open("rb") as fh:
        magic = fh.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    if magic.startswith(b"\xfd7zXZ"):
        return cast(IO[bytes], lzma.open(path, "rb"))
    if magic.startswith(b"BZh"):
        return cast(IO[bytes], bz2.open(path, "rb"))
    if magic.startswith(b"PK\x03\x04"):
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        xml = [n for n in names if n.lower().endswith(".xml")] or names
        if not xml:
            raise FormatError("empty zip archive")
        return archive.open(xml[0])
    return path.open("rb")
