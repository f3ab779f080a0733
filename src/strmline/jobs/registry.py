"""Job kinds: a name → the ``async def`` that does the work, and the resource it locks.

A job function takes ``(ctx: PipelineContext, **args)`` and returns a JSON-able dict. Pipelines do
not import this module (pipelines ← jobs); ``strmline.jobs.kinds`` registers them by dotted path, and
the module is imported the first time a job of that kind runs, so submitting a job never needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from strmline.errors import ConfigError, NotFound, StrmlineError

JobFn = Callable[..., Awaitable[dict[str, Any]]]
ResourceFn = Callable[[dict[str, Any]], str | None]
F = TypeVar("F", bound=JobFn)


@dataclass
class _Entry:
    target: JobFn | str  # a function, or "package.module:attribute" imported on first use
    resource: ResourceFn | None


_entries: dict[str, _Entry] = {}
_builtins_loaded = False


def register(
    kind: str, target: JobFn | str, *, resource: ResourceFn | None = None, replace: bool = False
) -> None:
    existing = _entries.get(kind)
    # A lazy entry may be replaced by the real function when its module registers itself too.
    if existing is not None and not replace and not isinstance(existing.target, str):
        raise ValueError(f"job kind {kind!r} is already registered")
    if existing is not None and resource is None:
        resource = existing.resource
    _entries[kind] = _Entry(target, resource)


def job(kind: str, *, resource: ResourceFn | None = None) -> Callable[[F], F]:
    """Decorator form of :func:`register`."""

    def decorate(fn: F) -> F:
        register(kind, fn, resource=resource)
        return fn

    return decorate


def unregister(kind: str) -> None:
    _entries.pop(kind, None)


def _entry(kind: str) -> _Entry:
    _load_builtins()
    try:
        return _entries[kind]
    except KeyError:
        raise NotFound(f"unknown job kind {kind!r}") from None


def get(kind: str) -> JobFn:
    entry = _entry(kind)
    if isinstance(entry.target, str):
        entry.target = _import(kind, entry.target)
    return entry.target


def resource_for(kind: str, args: dict[str, Any]) -> str | None:
    entry = _entry(kind)
    if entry.resource is None:
        return None
    try:
        return entry.resource(args)
    except (KeyError, TypeError, ValueError) as exc:
        raise StrmlineError(f"bad arguments for job {kind!r}: {exc!r}") from exc


def kinds() -> list[str]:
    _load_builtins()
    return sorted(_entries)


def _import(kind: str, path: str) -> JobFn:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConfigError(
                f"job kind {kind!r} is not available: {module_name} is missing"
            ) from exc
        raise
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"job kind {kind!r}: {path} is not a function")
    return fn  # type: ignore[no-any-return]


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        importlib.import_module("strmline.jobs.kinds")
