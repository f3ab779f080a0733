"""The fake IPTV provider for tests (it lives in ``strmline.demo`` so ``strmline demo`` can use it).

Fixtures are in ``tests.fakes.fixtures``.
"""

from __future__ import annotations

from strmline.demo import (
    API_FAULTS,
    STREAM_FAULTS,
    Account,
    Catalog,
    FakeProvider,
    FakeProviderServer,
    Fault,
    Faults,
    LiveChannel,
    Movie,
    ProviderOptions,
    Series,
    Stats,
    demo_provider,
    run_fake_provider,
    run_fake_provider_async,
    serve_async,
    serve_in_thread,
)

__all__ = [
    "API_FAULTS",
    "STREAM_FAULTS",
    "Account",
    "Catalog",
    "FakeProvider",
    "FakeProviderServer",
    "Fault",
    "Faults",
    "LiveChannel",
    "Movie",
    "ProviderOptions",
    "Series",
    "Stats",
    "demo_provider",
    "run_fake_provider",
    "run_fake_provider_async",
    "serve_async",
    "serve_in_thread",
]
