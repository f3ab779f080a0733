"""A quick "does this provider answer?" check for the UI, without syncing anything.

Xtream: the login call (account status, expiry, connections). M3U: the first ``HEAD_BYTES`` of
the playlist, to tell "reachable playlist" from "an HTML login page" without downloading 50 MB.
Every message is redacted: the provider's password never reaches the browser.
"""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from strmline.db.models import Provider
from strmline.errors import StrmlineError
from strmline.formats.redact import redact_text, redact_url
from strmline.providers.http import provider_errors, raise_for_status
from strmline.services.providers import xtream_client

HEAD_BYTES = 64 * 1024


async def check(provider: Provider, client: httpx.AsyncClient, *, seconds: float) -> dict[str, Any]:
    """``{ok, message, account, entries}``; never raises for a provider's failure."""
    secrets = [provider.password or ""]
    try:
        async with asyncio.timeout(seconds):
            if provider.kind == "xtream":
                return await _check_xtream(provider, client)
            return await _check_m3u(provider, client)
    except TimeoutError:
        return _failed(f"no answer within {seconds:g} s")
    except StrmlineError as exc:
        return _failed(redact_text(str(exc), secrets))


def _failed(message: str) -> dict[str, Any]:
    return {"ok": False, "message": message, "account": None, "entries": None}


async def _check_xtream(provider: Provider, client: httpx.AsyncClient) -> dict[str, Any]:
    xtream = xtream_client(provider, client)
    account = await xtream.authenticate()
    expires = account.expires_at.date().isoformat() if account.expires_at else "never"
    return {
        "ok": True,
        "message": f"logged in on {xtream.redact(xtream.server)}: account {account.status}, "
        f"expires {expires}",
        "account": {
            "status": account.status,
            "expires_at": account.expires_at,
            "max_connections": account.max_connections,
            "active_connections": account.active_connections,
            "allowed_formats": list(account.allowed_formats),
        },
        "entries": None,
    }


async def _check_m3u(provider: Provider, client: httpx.AsyncClient) -> dict[str, Any]:
    failures: list[str] = []
    secrets = [provider.password or ""]
    for url in [provider.url, *(provider.backup_urls or ())]:
        shown = redact_url(url, secrets)
        try:
            head, complete = await _read_head(url, client, provider.user_agent)
        except StrmlineError as exc:
            failures.append(f"{shown}: {redact_text(exc.message, secrets)}")
            continue
        problem = _not_a_playlist(head)
        if problem is not None:
            failures.append(f"{shown}: not a playlist ({problem})")
            continue
        text = head.decode("utf-8", "replace")
        entries = text.count("#EXTINF") if complete else None
        size = f"{entries:,} entries" if entries is not None else "the playlist starts correctly"
        return {
            "ok": True,
            "message": f"reachable: {shown}: {size}",
            "account": None,
            "entries": entries,
        }
    return _failed("; ".join(failures) or "no playlist URL configured")


async def _read_head(
    url: str, client: httpx.AsyncClient, user_agent: str | None
) -> tuple[bytes, bool]:
    """The first bytes of ``url`` (inflated when gzip) and whether that was the whole body."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        headers = {"User-Agent": user_agent} if user_agent else None
        chunks: list[bytes] = []
        size = 0
        complete = True
        with provider_errors(url):
            async with client.stream("GET", url, headers=headers) as response:
                raise_for_status(response)
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= HEAD_BYTES:
                        complete = False
                        break
        raw = b"".join(chunks)
        encoding = response.headers.get("content-encoding", "").lower()
        if encoding in ("gzip", "deflate"):
            raw, complete = _inflate(
                raw, complete, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            )
    else:
        # A local file: the read is blocking I/O, so it runs in a thread.
        raw, complete = await asyncio.to_thread(_read_file_head, url)
    if raw[:2] == b"\x1f\x8b":
        raw, complete = _inflate(raw, complete, 16 + zlib.MAX_WBITS)
    return raw, complete


def _read_file_head(url: str) -> tuple[bytes, bool]:
    parts = urlsplit(url)
    path = Path(unquote(parts.path) if parts.scheme == "file" else url).expanduser()
    try:
        with path.open("rb") as fh:
            raw = fh.read(HEAD_BYTES + 1)
    except OSError as exc:
        raise StrmlineError(f"cannot read the file: {exc.strerror or exc}") from None
    return raw[:HEAD_BYTES], len(raw) <= HEAD_BYTES


def _inflate(raw: bytes, complete: bool, wbits: int) -> tuple[bytes, bool]:
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(raw, HEAD_BYTES)
    except zlib.error:
        raise StrmlineError("corrupt compressed data") from None
    return data, complete and inflater.eof and not inflater.unconsumed_tail


def _not_a_playlist(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "replace")
    if not text:
        return "empty response"
    if text.startswith("#EXTM3U") or "#EXTINF" in text:
        return None
    lowered = text[:512].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        return "an HTML page"
    if text[0] in "{[":
        return "a JSON document"
    if "\x00" in text[:512]:
        return "binary data"
    return "it does not start with #EXTM3U"
