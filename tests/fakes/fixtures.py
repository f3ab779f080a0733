"""pytest fixtures for the fake provider.

Load them with ``pytest_plugins = ["tests.fakes.fixtures"]`` (a test module or the root conftest).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from strmline.demo import FakeProviderServer, demo_provider, run_fake_provider


@pytest.fixture(scope="session")
def fake_provider_server() -> Iterator[FakeProviderServer]:
    """One server for the session; prefer ``fake_provider``, which resets it per test."""
    with run_fake_provider(demo_provider(seed=0)) as server:
        yield server


@pytest.fixture
def fake_provider(fake_provider_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """A running fake provider with accounts acme/secret (us_prefix names) and globex/hunter2
    (pipe names, same channels), fresh catalogs, no faults and zeroed stats."""
    fake_provider_server.reset()
    yield fake_provider_server
    # Faults left behind would keep hanging requests of a failed test alive.
    fake_provider_server.faults.clear()
