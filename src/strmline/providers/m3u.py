"""Download an M3U playlist (HTTP or local file, plain or gzip) straight into the streaming parser.

The URLs are tried in order. A URL that fails at any point, including half way through the body,
is recorded in ``attempts`` and the next one is tried from the start: a sync must never work on
a truncated list, because the missing half would look like channels the provider dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import anyio
import httpx

from strmline.errors import NotAPlaylistError, NotFound, ProviderUnavailable, StrmlineError
from strmline.formats.m3u import ChunkParser, M3UEntry, M3UParser
from strmline.formats.redact import redact_url
from strmline.providers.base import (
    NO_MAPPING,
    FetchResult,
    LiveItem,
    ProgressFn,
    m3u_stream_key,
    make_live_item,
)
from strmline.providers.http import (
    ACCEPT_ENCODING,
    FetchLimits,
    Meter,
    deadline,
    header_value,
    inflate,
    length_framed,
    limited_body,
    provider_errors,
    raise_for_status,
)
from strmline.providers.local import LocalFiles, SourcePathRefused, is_local

__all__ = ["fetch_m3u"]

CHUNK_SIZE = 64 * 1024
BATCH_BYTES = 64 * 1024  # parsed per trip to the worker thread
REPORT_EVERY_BYTES = 64 * 1024
REPORT_EVERY_ENTRIES = 1000

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
    limits: FetchLimits | None = None,
    local_files: LocalFiles | None = None,
) -> FetchResult:
    """The first of ``urls`` that yields a complete, non-empty playlist, parsed into LiveItems.

    ``local_files`` confines paths and file:// URLs to the sources folder; every job passes it
    (None, any readable file, is for ``strmline process`` on a person's own playlist).

    ``limits`` bound each URL's download (uncompressed bytes, compression ratio, entries, total
    time); ``max_bytes`` is the byte limit alone. Raises NotAPlaylistError when every URL
    answered with something that is not a playlist, else ProviderUnavailable; either way
    ``details["attempts"]`` lists (url, reason) per URL.
    """
    limits = limits or FetchLimits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    limits = replace(limits, what="playlist")
    attempts: list[tuple[str, str]] = []
    errors: list[StrmlineError] = []
    for url in urls:
        source = redact_url(url)
        try:
            async with deadline(limits, source):
                return await _fetch_one(
                    client,
                    url,
                    source,
                    attempts=list(attempts),
                    user_agent=user_agent,
                    progress=_Progress(on_progress),
                    limits=limits,
                    local_files=local_files,
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
    limits: FetchLimits,
    local_files: LocalFiles | None,
) -> FetchResult:
    parser = M3UParser(source=source, base_url=url)
    meter = Meter(limits, source)
    path = _local_path(url, source, local_files)
    if path is None:
        headers = {b"Accept-Encoding": ACCEPT_ENCODING}
        if user_agent:
            headers[b"User-Agent"] = header_value(user_agent)
        with provider_errors(url):
            async with client.stream("GET", url, headers=headers) as response:
                raise_for_status(response)
                body = limited_body(response, meter, source=source)
                state = await _parse(body, url, source, parser, progress, meter)
                framed = length_framed(response)
    else:
        body = _file_chunks(path, source, meter)
        state = await _parse(body, url, source, parser, progress, meter)
        framed = True  # a file ends where it ends
    progress.flush()
    items = state.items
    if not items:
        detail = f" ({parser.skipped:,} unusable entries skipped)" if parser.skipped else ""
        raise ProviderUnavailable(f"the playlist has no entries{detail}", source=source)
    cut_off = None
    if state.cut_line and not framed:
        # The server closed the connection in the middle of a line and never said how long the
        # body was: the URL of the last entry (and everything after it) may be missing.
        cut_off = (
            f"the playlist ends in the middle of line {state.cut_line} and the server sent no "
            "length: probably cut off; its last entry was dropped"
        )
    elif state.cut_item is not None:
        items.append(state.cut_item)  # complete by Content-Length or chunked framing
    return FetchResult(
        items=items,
        source=source,
        attempts=attempts,
        epg_urls=list(parser.header.epg_urls),
        skipped=parser.skipped,
        account=None,
        skips=parser.skips,
        duplicates=state.duplicates,
        cut_off=cut_off,
    )


def _local_path(url: str, source: str, local_files: LocalFiles | None) -> Path | None:
    """None for http(s) URLs; the file for paths and file:// URLs; anything else is refused."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if local_files is not None and is_local(url):
        try:
            return local_files.path(url)
        except (SourcePathRefused, NotFound) as exc:
            raise ProviderUnavailable(exc.message, source=source) from None
    if scheme == "file":
        return Path(url2pathname(parts.path))
    # One letter is a Windows drive ("C:\\lists\\tv.m3u"), not a scheme.
    if not scheme or len(scheme) == 1:
        return Path(url).expanduser()
    raise ProviderUnavailable(f"unsupported URL scheme {scheme!r}", source=source)


async def _file_chunks(path: Path, source: str, meter: Meter) -> AsyncGenerator[bytes, None]:
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
    async with handle:
        while chunk := await handle.read(CHUNK_SIZE):
            meter.add_wire(len(chunk))
            yield chunk


@dataclass(slots=True)
class _State:
    items: list[LiveItem] = field(default_factory=list)
    duplicates: int = 0  # entries equal to an earlier one (same name, ids, group and URL)
    cut_line: int = 0  # line of an entry whose URL line had no line end
    cut_item: LiveItem | None = None
    counted: int = 0  # entries that count toward the entries limit
    seen: dict[str, int] = field(default_factory=dict)


class _Builder:
    """Bytes to LiveItems; :meth:`feed` runs in a worker thread, one call at a time."""

    def __init__(self, parser: M3UParser, counts: Callable[[Any], bool] | None) -> None:
        self.state = _State()
        self.chunks = ChunkParser(parser)
        self._counts = counts

    def feed(self, data: bytes) -> None:
        self._add(self.chunks.feed(data))

    def close(self) -> None:
        state = self.state
        self._add(self.chunks.close())
        if self.chunks.cut_entry is not None:
            state.cut_line = self.chunks.lines
            state.cut_item = _to_item(self.chunks.cut_entry, state.seen, state)

    def _add(self, entries: list[M3UEntry]) -> None:
        state = self.state
        items, seen, counts = state.items, state.seen, self._counts
        for entry in entries:
            item = _to_item(entry, seen, state)
            items.append(item)
            if counts is None or counts(item):
                state.counted += 1


async def _parse(
    body: AsyncGenerator[bytes, None],
    url: str,
    source: str,
    parser: M3UParser,
    progress: _Progress,
    meter: Meter,
) -> _State:
    """Parse in a worker thread, a batch of about 64 KB at a time.

    A 64 KB batch can be 65,000 lines (1 MB of gzip inflates to a billion empty ones). In the
    event loop, even yielding after each batch, every other request would wait for a batch per
    step; in a thread, the interpreter switches back to the loop every few milliseconds.
    """
    limits = meter.limits
    builder = _Builder(parser, limits.counts)
    state = builder.state
    pending: list[bytes] = []
    size = 0
    async with aclosing(body) as raw, aclosing(inflate(raw, source, meter)) as plain:
        async for chunk in plain:
            pending.append(chunk)
            size += len(chunk)
            if size < BATCH_BYTES:
                continue
            await asyncio.to_thread(builder.feed, b"".join(pending))
            pending.clear()
            size = 0
            limits.check_entries(state.counted, source)
            progress.update(nbytes=meter.wire, entries=len(state.items))
        if pending:
            await asyncio.to_thread(builder.feed, b"".join(pending))
        await asyncio.to_thread(builder.close)
    limits.check_entries(state.counted, source)
    if limits.counts is None:
        limits.check_entries(len(state.items) + (state.cut_item is not None), source)
    progress.update(nbytes=meter.wire, entries=len(state.items))
    return state


def _to_item(entry: M3UEntry, seen: dict[str, int], state: _State) -> LiveItem:
    name = entry.name
    url = entry.url
    attrs = entry.attrs
    get = attrs.get
    tvg_id = get("tvg-id") or None
    group = get("group-title") or entry.group or None  # as M3UEntry.group_title
    first = m3u_stream_key(name, tvg_id, group, url, 0)
    occurrence = seen.get(first, 0)
    seen[first] = occurrence + 1
    if occurrence:
        state.duplicates += 1
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
