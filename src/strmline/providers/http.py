"""The HTTP edge of every provider: one client factory, password redaction, httpx errors → ours.

Provider URLs carry credentials in the query (``get.php?username=…&password=…``) or the path
(``/live/USER/PASS/1.ts``). Whatever leaves this package as a message, a log line or an exception
goes through :func:`redact_url` / :func:`redact_text` first, and httpx exceptions are re-raised
``from None`` because their own text (and traceback) repeats the full URL.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import httpx

from strmline import __version__
from strmline.errors import ProviderUnavailable

__all__ = [
    "DEFAULT_USER_AGENT",
    "describe_error",
    "make_client",
    "provider_errors",
    "raise_for_status",
    "redact_text",
    "redact_url",
]

DEFAULT_USER_AGENT = f"strmline/{__version__}"
MAX_REDIRECTS = 10
MASK = "***"

_SECRET_KEYS = frozenset(
    {"password", "pass", "passwd", "pwd", "token", "auth", "key", "apikey", "api_key", "secret"}
)
# Xtream stream paths: /live/USER/PASS/123.ts, /movie/…, /series/…, /timeshift/USER/PASS/…
_XTREAM_PATH = re.compile(r"^/(live|movie|series|timeshift)/([^/]+)/([^/]+)/", re.IGNORECASE)
# The short form many panels also serve: /USER/PASS/123 or /USER/PASS/123.ts
_SHORT_PATH = re.compile(r"^/([^/]+)/([^/]+)/(\d+)(\.\w{1,5})?$")
_URL_IN_TEXT = re.compile(r"(?:https?|file)://[^\s\"'<>]+", re.IGNORECASE)
# Substring replacement of a very short secret would mangle the text without protecting much;
# exact path segments and query values are still masked for those.
_MIN_SUBSTRING_SECRET = 4


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """``url`` safe to show: credential query values, userinfo passwords, Xtream path passwords
    and every occurrence of a known secret replaced by ``***``."""
    known = [s for s in secrets if s]
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_substrings(url, known)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
        netloc = f"{userinfo}@{host}"
    path = _redact_path(parts.path, known)
    query = _redact_query(parts.query, known)
    rebuilt = urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
    return _mask_substrings(rebuilt, known)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Every URL inside ``text`` redacted, then every remaining occurrence of a secret."""
    known = [s for s in secrets if s]
    redacted = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0), known), text)
    return _mask_substrings(redacted, known)


def _secret_forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def _redact_path(path: str, secrets: list[str]) -> str:
    match = _XTREAM_PATH.match(path)
    if match:
        path = f"/{match.group(1)}/{match.group(2)}/{MASK}/{path[match.end() :]}"
    else:
        short = _SHORT_PATH.match(path)
        if short:
            path = f"/{short.group(1)}/{MASK}/{short.group(3)}{short.group(4) or ''}"
    if not secrets:
        return path
    forms = set().union(*(_secret_forms(s) for s in secrets))
    return "/".join(MASK if segment in forms else segment for segment in path.split("/"))


def _redact_query(query: str, secrets: list[str]) -> str:
    if not query:
        return query
    forms = set().union(*(_secret_forms(s) for s in secrets)) if secrets else set()
    pairs = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and (name.lower() in _SECRET_KEYS or value in forms):
            pair = f"{name}={MASK}"
        pairs.append(pair)
    return "&".join(pairs)


def _mask_substrings(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) < _MIN_SUBSTRING_SECRET:
            continue
        for form in sorted(_secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, MASK)
    return text


class _RedactingFilter(logging.Filter):
    """httpx logs every request URL at INFO; strip credentials before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _RedactingFilter) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactingFilter())


def make_client(
    *,
    timeout: float = 20.0,
    connect_timeout: float = 10.0,
    max_connections: int = 20,
    user_agent: str | None = None,
) -> httpx.AsyncClient:
    """The shared client for talking to providers: bounded pool, timeouts, redirects followed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max(1, min(max_connections, 10)),
        ),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": user_agent or DEFAULT_USER_AGENT},
    )


def raise_for_status(response: httpx.Response, *, secrets: Iterable[str] = ()) -> None:
    """An HTTP error status as ProviderUnavailable("HTTP 503 Service Unavailable")."""
    if response.status_code < 400:
        return
    url = redact_url(str(response.request.url), secrets)
    raise ProviderUnavailable(
        _status_reason(response), source=url, details={"status": response.status_code}
    )


def _status_reason(response: httpx.Response) -> str:
    phrase = response.reason_phrase or ""
    return f"HTTP {response.status_code} {phrase}".rstrip()


def describe_error(exc: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """A short human reason for an httpx exception (never containing a secret)."""
    if isinstance(exc, httpx.TimeoutException):
        return _timeout_reason(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.HTTPStatusError):
        return _status_reason(exc.response)
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        return _connect_reason(exc, secrets)
    if isinstance(exc, httpx.RemoteProtocolError):
        detail = redact_text(text, secrets)
        return (
            f"connection closed before the response was complete ({detail})"
            if detail
            else ("connection closed before the response was complete")
        )
    if isinstance(exc, httpx.ReadError):
        return "connection reset while reading the response"
    if isinstance(exc, httpx.DecodingError):
        return "could not decode the response (corrupt compressed data)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL (only http and https)"
    if isinstance(exc, httpx.InvalidURL):
        return "invalid URL"
    detail = redact_text(text, secrets)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_reason(exc: httpx.ConnectError, secrets: Iterable[str]) -> str:
    # anyio reports a refused connection as "All connection attempts failed"; the OSError
    # underneath says what really happened.
    for cause in _causes(exc):
        if (
            isinstance(cause, ConnectionRefusedError)
            or getattr(cause, "errno", None) == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {redact_text(str(cause), secrets)}"
    text = redact_text(str(exc), secrets)
    lowered = text.lower()
    if "refused" in lowered or "errno 111" in lowered:
        return "connection refused"
    if any(
        m in lowered
        for m in ("name or service not known", "nodename nor servname", "name resolution")
    ):
        return "host not found"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error: {text}"
    return f"cannot connect: {text or type(exc).__name__}"


def _timeout_reason(exc: httpx.TimeoutException) -> str:
    phase, label = {
        httpx.ConnectTimeout: ("connect", "connecting"),
        httpx.ReadTimeout: ("read", "waiting for data"),
        httpx.WriteTimeout: ("write", "sending the request"),
        httpx.PoolTimeout: ("pool", "waiting for a free connection"),
    }.get(type(exc), ("read", ""))
    seconds: Any = None
    with suppress(RuntimeError):  # an exception raised without a request attached
        seconds = exc.request.extensions.get("timeout", {}).get(phase)
    amount = f" after {seconds:g} s" if isinstance(seconds, int | float) else ""
    return f"timeout{amount}" + (f" ({label})" if label else "")


@contextmanager
def provider_errors(url: str, *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Turn httpx exceptions raised inside the block into ProviderUnavailable naming ``url``.

    A plain ``with`` works around ``await`` calls too, so one helper serves sync and async code.
    """
    known = list(secrets)
    try:
        yield
    except httpx.HTTPError as exc:
        reason = describe_error(exc, secrets=known)
        raise ProviderUnavailable(
            reason, source=redact_url(url, known), details={"error": type(exc).__name__}
        ) from None
