"""Property test: requests generated from the app's own OpenAPI document never get a 5xx.

Runs every operation as a logged-in admin over ASGI (no socket), a few examples each, within a
wall-clock budget. Needs ``pip install schemathesis`` (skipped without it).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from strmline.api.app import create_app
from strmline.config import Settings
from tests.api.conftest import ADMIN

schemathesis = pytest.importorskip("schemathesis")
asgi = pytest.importorskip("schemathesis.python.asgi")
from schemathesis.checks import not_a_server_error  # noqa: E402

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 8
BUDGET_SECONDS = 45.0
# Operations left out, each for a reason that is not "it fails":
SKIP = {
    # end the admin's session, so everything after them would only test the 401 path
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    # reach out to whatever provider URL the generator made up (network, long timeouts)
    ("POST", "/api/providers/{provider_id}/test"),
    ("POST", "/api/providers/{provider_id}/sync"),
    # an endless event stream
    ("GET", "/api/events"),
}


def test_no_server_errors(api_settings: Settings) -> None:
    # A separate app: schemathesis runs it, lifespan included, in its own event loop thread.
    app = create_app(api_settings, scheduler=False, migrate=False)
    try:
        with asgi.get_client(app) as client:
            r = client.post("/api/setup", json=ADMIN)
            assert r.status_code == 201, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            token = client.get("/api/auth/api-token", headers=headers).json()["api_token"]
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
        started = time.monotonic()
        tested = 0
        failures: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIP:
                continue
            if time.monotonic() - started > BUDGET_SECONDS:
                break

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=5000,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def check(case: schemathesis.Case) -> None:
                # Outputs authenticate with ?token=; give them the real one half of the time.
                if case.query is not None and "token" in case.query and hash(str(case.query)) % 2:
                    case.query["token"] = token
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

            # Keep going after a failure: one run should list every operation that breaks.
            try:
                check()
            except Exception as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                failures.append(
                    f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {first[:200]}"
                )
            tested += 1
        assert tested >= 10
        assert not failures, "server errors:\n" + "\n".join(failures)
    finally:
        asgi.shutdown_lifespans()
