"""A fake IPTV provider (M3U, Xtream API, XMLTV, TS/HLS/VOD streams, scripted faults).

Used by the test suite, the benchmarks and ``strmline demo``.
"""

from __future__ import annotations

from strmline.demo.catalog import (
    NAME_STYLES,
    Catalog,
    Category,
    Episode,
    LiveChannel,
    Movie,
    NameStyle,
    Programme,
    Series,
    format_channel_name,
)
from strmline.demo.media import MediaUnavailable, ensure_media
from strmline.demo.provider import (
    API_FAULTS,
    STREAM_FAULTS,
    Account,
    FakeProvider,
    Fault,
    Faults,
    ProviderOptions,
    RequestRecord,
    Stats,
)
from strmline.demo.server import (
    FakeProviderServer,
    demo_provider,
    run_fake_provider,
    run_fake_provider_async,
    serve_async,
    serve_in_thread,
)
from strmline.demo.tsloop import TsLoop

__all__ = [
    "API_FAULTS",
    "NAME_STYLES",
    "STREAM_FAULTS",
    "Account",
    "Catalog",
    "Category",
    "Episode",
    "FakeProvider",
    "FakeProviderServer",
    "Fault",
    "Faults",
    "LiveChannel",
    "MediaUnavailable",
    "Movie",
    "NameStyle",
    "Programme",
    "ProviderOptions",
    "RequestRecord",
    "Series",
    "Stats",
    "TsLoop",
    "demo_provider",
    "ensure_media",
    "format_channel_name",
    "run_fake_provider",
    "run_fake_provider_async",
    "serve_async",
    "serve_in_thread",
]
