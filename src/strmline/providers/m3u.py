"""Download an M3U playlist (HTTP or local file, plain or gzip) straight into the streaming parser.

The URLs are tried in order. A URL that fails at any point, including half way through the body,
is recorded in ``attempts`` and the next one is tried from the start: a sync must never work on
a truncated list, because the missing half would look like channels the provider dropped.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import anyio
import httpx

from strmline.errors import NotAPlaylistError, ProviderUnavailable, StrmlineError
from strmline.formats.m3u import M3UEntry, M3UParser, aparse_bytes
from strmline.formats.redact import redact_url
from strmline.providers.base import (
    NO_MAPPING,
    FetchResult,
    LiveItem,
    ProgressFn,
    m3u_stream_key,
    make_live_item,
)
from strmline.providers.http import provider_errors, raise_for_status

__all__ = ["fetch_m3u"]

CHUNK_SIZE = 64 * 1024
REPORT_EVERY_BYTES = 64 * 1024
REPORT_EVERY_ENTRIES = 1000
GZIP_MAGIC = b"\x1f\x8b"

# Attributes already carried by LiveItem fields or its headers; everything else is kept raw.
_MAPPED_ATTRS = frozenset(
    {
        "tvg-id",
        "tvg-name",
        "tvg-logo",
        "tvg-chno",
        "group-title",
        "http-user-agent",
        "http-referrer",
        "http-referer",
        "user-agent",
        "referrer",
        "referer",
    }
)
_MAX_ATTRS = 32
_MAX_ATTR_LEN = 1000


class _Progress:
    """Throttles the caller's callback to every ~64 KB or 1000 entries."""

    def __init__(self, callback: ProgressFn) -> None:
        self._callback = callback
        self.nbytes = 0
        self.entries = 0
        self._reported = (-1, -1)

    def update(self, *, nbytes: int | None = None, entries: int | None = None) -> None:
        if nbytes is not None:
            self.nbytes = nbytes
        if entries is not None:
            self.entries = entries
        last_bytes, last_entries = self._reported
        if (
            self.nbytes - last_bytes >= REPORT_EVERY_BYTES
            or self.entries - last_entries >= REPORT_EVERY_ENTRIES
        ):
            self.flush()

    def flush(self) -> None:
        if self._callback is not None and self._reported != (self.nbytes, self.entries):
            self._reported = (self.nbytes, self.entries)
            self._callback(self.nbytes, self.entries)


async def fetch_m3u(
    client: httpx.AsyncClient,
    urls: Sequence[str],
    *,
    user_agent: str | None = None,
    on_progress: ProgressFn = None,
    max_bytes: int | None = None,
) -> FetchResult:
    """The first of ``urls`` that yields a complete, non-empty playlist, parsed into LiveItems.

    Raises NotAPlaylistError when every URL answered with something that is not a playlist,
    else ProviderUnavailable; either way ``details["attempts"]`` lists (url, reason) per URL.
    """
    attempts: list[tuple[str, str]] = []
    errors: list[StrmlineError] = []
    for url in urls:
        source = redact_url(url)
        try:
            return await _fetch_one(
                client,
                url,
                source,
                attempts=list(attempts),
                user_agent=user_agent,
                progress=_Progress(on_progress),
                max_bytes=max_bytes,
            )
        except StrmlineError as exc:
            attempts.append((source, exc.message))
            errors.append(exc)
    if not attempts:
        raise ProviderUnavailable("no playlist URL configured", details={"attempts": []})
    error_type = (
        NotAPlaylistError
        if all(isinstance(e, NotAPlaylistError) for e in errors)
        else ProviderUnavailable
    )
    details = {"attempts": attempts}
    if len(attempts) == 1:
        raise error_type(attempts[0][1], source=attempts[0][0], details=details)
    listed = "; ".join(f"{url}: {reason}" for url, reason in attempts)
    raise error_type(f"all {len(attempts)} playlist URLs failed: {listed}", details=details)


async def _fetch_one(
    client: httpx.AsyncClient,
    url: str,
    source: str,
    *,
    attempts: list[tuple[str, str]],
    user_agent: str | None,
    progress: _Progress,
    max_bytes: int | None,
) -> FetchResult:
    parser = M3UParser(source=source, base_url=url)
    path = _local_path(url, source)
    if path is None:
        headers = {"User-Agent": user_agent} if user_agent else None
        with provider_errors(url):
            async with client.stream("GET", url, headers=headers) as response:
                raise_for_status(response)
                body = _http_chunks(response, source, progress, max_bytes)
                items = await _parse(body, url, source, parser, progress, max_bytes)
    else:
        body = _file_chunks(path, source, progress, max_bytes)
        items = await _parse(body, url, source, parser, progress, max_bytes)
    progress.flush()
    if not items:
        detail = f" ({parser.skipped:,} unusable entries skipped)" if parser.skipped else ""
        raise ProviderUnavailable(f"the playlist has no entries{detail}", source=source)
    return FetchResult(
        items=items,
        source=source,
        attempts=attempts,
        epg_urls=list(parser.header.epg_urls),
        skipped=parser.skipped,
        account=None,
        skips=parser.skips,
    )


def _local_path(url: str, source: str) -> Path | None:
    """None for http(s) URLs; the file for paths and file:// URLs; anything else is refused."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        return Path(url2pathname(parts.path))
    # One letter is a Windows drive ("C:\\lists\\tv.m3u"), not a scheme.
    if not scheme or len(scheme) == 1:
        return Path(url).expanduser()
    raise ProviderUnavailable(f"unsupported URL scheme {scheme!r}", source=source)


async def _http_chunks(
    response: httpx.Response, source: str, progress: _Progress, max_bytes: int | None
) -> AsyncGenerator[bytes, None]:
    # num_bytes_downloaded counts wire bytes (before Content-Encoding is undone); it stays 0 for
    # a body that was already in memory (MockTransport), so the decoded count stands in for it.
    decoded = 0
    async for chunk in response.aiter_bytes(CHUNK_SIZE):
        decoded += len(chunk)
        received = response.num_bytes_downloaded or decoded
        _check_size(received, max_bytes, source)
        progress.update(nbytes=received)
        yield chunk
    expected = response.headers.get("content-length", "")
    wire = response.num_bytes_downloaded
    received = wire or decoded
    encoded = "content-encoding" in response.headers
    if expected.isdigit() and received < int(expected) and (wire or not encoded):
        raise ProviderUnavailable(
            f"truncated response: received {received:,} of {int(expected):,} bytes",
            source=source,
        )


async def _file_chunks(
    path: Path, source: str, progress: _Progress, max_bytes: int | None
) -> AsyncGenerator[bytes, None]:
    try:
        handle = await anyio.open_file(path, "rb")
    except FileNotFoundError:
        raise ProviderUnavailable("file not found", source=source) from None
    except IsADirectoryError:
        raise ProviderUnavailable("is a directory, not a file", source=source) from None
    except PermissionError:
        raise ProviderUnavailable("permission denied", source=source) from None
    except OSError as exc:
        raise ProviderUnavailable(f"cannot open: {exc.strerror or exc}", source=source) from None
    total = 0
    async with handle:
        while chunk := await handle.read(CHUNK_SIZE):
            total += len(chunk)
            _check_size(total, max_bytes, source)
            progress.update(nbytes=total)
            yield chunk


def _check_size(nbytes: int, max_bytes: int | None, source: str) -> None:
    if max_bytes is not None and nbytes > max_bytes:
        raise ProviderUnavailable(
            f"playlist larger than the {max_bytes:,}-byte limit", source=source
        )


async def _gunzip_if_gzip(
    chunks: AsyncIterator[bytes], source: str, max_bytes: int | None
) -> AsyncGenerator[bytes, None]:
    """Pass plain data through; inflate a gzip body (application/gzip, ``.gz``) incrementally.

    httpx already undoes ``Content-Encoding: gzip``; this catches a gzip *file* served as the body,
    recognised by its magic bytes rather than by name or content type, which providers get wrong.
    """
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    if not head.startswith(GZIP_MAGIC):
        if head:
            yield head
        async for chunk in chunks:
            yield chunk
        return

    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    produced = 0

    def inflate(data: bytes) -> list[bytes]:
        nonlocal inflater, produced
        out: list[bytes] = []
        while data:
            try:
                # Bounded output per call: a small gzip bomb must not become one huge bytes.
                piece = inflater.decompress(data, CHUNK_SIZE)
            except zlib.error:
                raise ProviderUnavailable("corrupt gzip data", source=source) from None
            if piece:
                produced += len(piece)
                _check_size(produced, max_bytes, source)
                out.append(piece)
            if inflater.eof:
                rest = inflater.unused_data
                if not rest.startswith(GZIP_MAGIC):
                    break  # trailing padding after the last member
                inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                data = rest
            else:
                data = inflater.unconsumed_tail
        return out

    for piece in inflate(head):
        yield piece
    async for chunk in chunks:
        for piece in inflate(chunk):
            yield piece
    if not inflater.eof:
        raise ProviderUnavailable("truncated gzip data", source=source)


async def _parse(
    body: AsyncGenerator[bytes, None],
    url: str,
    source: str,
    parser: M3UParser,
    progress: _Progress,
    max_bytes: int | None,
) -> list[LiveItem]:
    items: list[LiveItem] = []
    seen: dict[str, int] = {}
    async with aclosing(body) as raw, aclosing(_gunzip_if_gzip(raw, source, max_bytes)) as plain:
        async for entry in aparse_bytes(plain, source=source, base_url=url, parser=parser):
            items.append(_to_item(entry, seen))
            progress.update(entries=len(items))
    return items


def _to_item(entry: M3UEntry, seen: dict[str, int]) -> LiveItem:
    name = entry.name
    url = entry.url
    attrs = entry.attrs
    get = attrs.get
    tvg_id = get("tvg-id") or None
    group = get("group-title") or entry.group or None  # as M3UEntry.group_title
    first = m3u_stream_key(name, tvg_id, group, url, 0)
    occurrence = seen.get(first, 0)
    seen[first] = occurrence + 1
    key = first if occurrence == 0 else m3u_stream_key(name, tvg_id, group, url, occurrence)
    headers = entry.headers
    return make_live_item(
        key,
        name,
        url,
        group,
        tvg_id,
        get("tvg-name") or None,
        get("tvg-logo") or None,
        get("tvg-chno") or None,
        dict(headers) if headers else NO_MAPPING,
        _kept_attrs(attrs) if len(attrs) > 0 else NO_MAPPING,
    )


def _kept_attrs(attrs: Mapping[str, str]) -> Mapping[str, str]:
    kept: dict[str, str] = {}
    for name, value in attrs.items():
        if name in _MAPPED_ATTRS or not value:
            continue
        kept[name] = value[:_MAX_ATTR_LEN]
        if len(kept) >= _MAX_ATTRS:
            break
    # Most entries carry only mapped attributes: one shared empty mapping instead of 100k dicts.
    return kept or NO_MAPPING
