"""The HTTP edge of every provider: one client factory, password redaction, httpx errors → ours.

Provider URLs carry credentials in the query (``get.php?username=…&password=…``) or the path
(``/live/USER/PASS/1.ts``). Whatever leaves this package as a message, a log line or an exception
goes through :mod:`strmline.formats.redact` first, and httpx exceptions are re-raised
``from None`` because their own text (and traceback) repeats the full URL.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx

from strmline import __version__
from strmline.errors import ProviderUnavailable
from strmline.formats.redact import redact_text, redact_url

__all__ = [
    "DEFAULT_USER_AGENT",
    "describe_error",
    "make_client",
    "provider_errors",
    "raise_for_status",
]

DEFAULT_USER_AGENT = f"strmline/{__version__}"
MAX_REDIRECTS = 10


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
