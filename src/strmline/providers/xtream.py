"""Xtream Codes API client: login, live categories and streams, with backup servers in order.

Every request goes to the server that answered last, then to the others in configured order, so
a dead main host costs one timeout per sync, not one per call. Wrong credentials never fail over:
the same account is on every host, and hammering all of them with a bad password can get it banned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx
import orjson

from strmline.errors import ProviderAuthError, ProviderError, ProviderUnavailable
from strmline.formats.redact import redact_url
from strmline.formats.xtream import (
    AccountInfo,
    Category,
    LiveStream,
    normalize_server,
    parse_account,
    parse_categories,
    parse_live_streams,
    xmltv_url,
)
from strmline.formats.xtream import live_url as build_live_url
from strmline.providers.base import FetchResult, LiveItem, ProgressFn
from strmline.providers.http import (
    ACCEPT_ENCODING,
    FetchLimits,
    Meter,
    deadline,
    limited_body,
    provider_errors,
)

__all__ = ["XtreamClient"]

API_PATH = "/player_api.php"
CHUNK_SIZE = 64 * 1024
REPORT_EVERY_BYTES = 64 * 1024
# Bigger bodies are decoded in a worker thread: orjson holds the event loop for the whole call.
THREAD_DECODE_BYTES = 1024 * 1024

WRONG_CREDENTIALS = "authentication failed: wrong username or password"
EXPIRED = "account expired"
BANNED = "account banned/disabled"


class XtreamClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        server: str,
        username: str,
        password: str,
        *,
        backup_servers: Sequence[str] = (),
    ) -> None:
        servers: list[str] = []
        for candidate in (server, *backup_servers):
            if candidate and candidate.strip():
                normalized = normalize_server(candidate)
                if normalized not in servers:
                    servers.append(normalized)
        if not servers:
            raise ProviderError("no Xtream server configured")
        self._client = client
        self._servers = servers
        self.server = servers[0]
        self.username = username
        self._password = password
        self.attempts: list[tuple[str, str]] = []  # failures of the most recent request
        self.bytes_downloaded = 0
        # Each API call's body is read whole (it is one JSON document), so it is capped.
        self.limits = FetchLimits()

    def __repr__(self) -> str:
        return f"XtreamClient(server={self.server!r}, username={self.username!r})"

    @property
    def _secrets(self) -> list[str]:
        return [self._password] if self._password else []

    def _api_url(self, server: str) -> str:
        return f"{server}{API_PATH}"

    def redact(self, url: str) -> str:
        return redact_url(url, self._secrets)

    async def authenticate(self) -> AccountInfo:
        """Log in; ProviderAuthError for wrong credentials or an expired/banned account."""
        payload = await self.get(None)
        account, _server_info = parse_account(payload)
        status = account.status.lower()
        source = self.redact(self._api_url(self.server))
        details = {"status": account.status, "message": account.message, "attempts": self.attempts}
        if status in ("expired",):
            raise ProviderAuthError(EXPIRED, source=source, details=details)
        if status in ("banned", "disabled"):
            raise ProviderAuthError(BANNED, source=source, details=details)
        if not account.auth:
            raise ProviderAuthError(WRONG_CREDENTIALS, source=source, details=details)
        return account

    async def live_categories(self) -> list[Category]:
        return parse_categories(await self.get("get_live_categories"))

    async def live_streams(self) -> list[LiveStream]:
        """Every live stream in one call (per-category calls cost one request per category)."""
        return list(parse_live_streams(await self.get("get_live_streams")))

    async def get(
        self,
        action: str | None,
        *,
        on_progress: ProgressFn = None,
        count_key: bytes | None = None,
        **params: Any,
    ) -> Any:
        """``player_api.php?action=…`` decoded; ``action=None`` is the login call.

        ``count_key`` (``b'"stream_id"'``) counts a list's entries while it downloads, so an
        endless list is refused at ``limits.max_entries``, not once it fills the memory.
        """
        query: dict[str, str] = {"username": self.username, "password": self._password}
        if action:
            query["action"] = action
        query.update({k: str(v) for k, v in params.items() if v is not None})
        self.attempts = []
        order = [self.server, *(s for s in self._servers if s != self.server)]
        last_error: ProviderUnavailable | None = None
        for server in order:
            try:
                payload = await self._get_json(server, query, on_progress, count_key)
            except ProviderUnavailable as exc:
                self.attempts.append((exc.source or self.redact(server), exc.message))
                last_error = exc
                continue
            self.server = server
            return payload
        assert last_error is not None  # order is never empty
        if len(self.attempts) == 1:
            raise ProviderUnavailable(
                last_error.message, source=last_error.source, details={"attempts": self.attempts}
            )
        listed = "; ".join(f"{url}: {reason}" for url, reason in self.attempts)
        raise ProviderUnavailable(
            f"all {len(self.attempts)} Xtream servers failed: {listed}",
            details={"attempts": self.attempts},
        )

    async def _get_json(
        self,
        server: str,
        query: dict[str, str],
        on_progress: ProgressFn,
        count_key: bytes | None = None,
    ) -> Any:
        url = self._api_url(server)
        request_url = str(httpx.URL(url, params=query))
        source = self.redact(request_url)
        limits = replace(self.limits, what="Xtream API response")
        meter = Meter(limits, source)
        body = bytearray()
        headers = {b"Accept-Encoding": ACCEPT_ENCODING}
        async with deadline(limits, source):
            with provider_errors(request_url, secrets=self._secrets):
                async with self._client.stream(
                    "GET", url, params=query, headers=headers
                ) as response:
                    _check_status(response, source)
                    reported = 0
                    entries = 0
                    async for chunk in limited_body(response, meter, source=source):
                        meter.add_out(len(chunk))
                        if count_key is not None:
                            # A key cut by a chunk boundary is missed: an estimate from below.
                            entries += chunk.count(count_key)
                            limits.check_entries(entries, source)
                        body += chunk
                        if on_progress is not None and len(body) - reported >= REPORT_EVERY_BYTES:
                            reported = len(body)
                            on_progress(self.bytes_downloaded + reported, 0)
        self.bytes_downloaded += len(body)
        if len(body) > THREAD_DECODE_BYTES:
            return await asyncio.to_thread(_decode_json, bytes(body), source)
        return _decode_json(bytes(body), source)

    async def fetch_live(self, output: str = "ts", on_progress: ProgressFn = None) -> FetchResult:
        """Login, categories and all live streams as LiveItems for the sync pipeline."""
        attempts: list[tuple[str, str]] = []
        self.bytes_downloaded = 0
        account = await self.authenticate()
        attempts += self.attempts
        categories = {c.id: c.name for c in await self.live_categories()}
        attempts += self.attempts
        skipped = 0

        def count_skip(_row: Any, _reason: str) -> None:
            nonlocal skipped
            skipped += 1

        payload = await self.get(
            "get_live_streams", on_progress=on_progress, count_key=b'"stream_id"'
        )
        attempts += self.attempts
        ext = _extension(output)
        items: list[LiveItem] = []
        ids: set[int | str] = set()
        duplicates = 0
        source = self.redact(self._api_url(self.server))
        for stream in parse_live_streams(payload, on_skip=count_skip):
            if stream.stream_id in ids:
                duplicates += 1  # the sync keeps the first; a list of mostly these is refused
            ids.add(stream.stream_id)
            items.append(self._live_item(stream, categories, ext))
            if len(items) % 1000 == 0:
                self.limits.check_entries(len(items), source)
                if on_progress is not None:
                    on_progress(self.bytes_downloaded, len(items))
        self.limits.check_entries(len(items), source)
        if on_progress is not None:
            on_progress(self.bytes_downloaded, len(items))
        return FetchResult(
            items=items,
            source=self.redact(self._api_url(self.server)),
            attempts=attempts,
            epg_urls=[xmltv_url(self.server, self.username, self._password)],
            skipped=skipped,
            account=account,
            duplicates=duplicates,
        )

    def _live_item(self, stream: LiveStream, categories: dict[str, str], ext: str) -> LiveItem:
        attrs: dict[str, str] = {}
        if stream.tv_archive:
            # The same names an Xtream panel's own M3U export uses, so both provider kinds agree.
            attrs["catchup"] = "xc"
            if stream.tv_archive_duration:
                attrs["catchup-days"] = str(stream.tv_archive_duration)
        return LiveItem(
            key=str(stream.stream_id),
            name=stream.name,
            url=build_live_url(self.server, self.username, self._password, stream.stream_id, ext),
            group=categories.get(stream.category_id) if stream.category_id else None,
            tvg_id=stream.epg_channel_id,
            tvg_name=None,
            logo=stream.icon,
            chno=str(stream.num) if stream.num is not None else None,
            headers={},
            attrs=attrs,
        )


def _check_status(response: httpx.Response, source: str) -> None:
    if response.status_code in (401, 403):
        raise ProviderAuthError(
            f"{WRONG_CREDENTIALS} (HTTP {response.status_code})",
            source=source,
            details={"status": response.status_code},
        )
    if response.status_code >= 400:
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        raise ProviderUnavailable(
            f"HTTP {response.status_code}{phrase}",
            source=source,
            details={"status": response.status_code},
        )


def _extension(output: str) -> str:
    ext = output.strip().lower().lstrip(".") or "ts"
    return "m3u8" if ext == "hls" else ext


def _decode_json(body: bytes, source: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or b"<html" in head:
        reason = "not JSON (looks like HTML)"
    elif not body.strip():
        reason = "not JSON (empty response)"
    else:
        reason = "not JSON"
    raise ProviderUnavailable(reason, source=source, details={"bytes": len(body)})
