"""Syncs as jobs: one per provider at a time, results recorded, and the CLI on top."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.demo import FakeProviderServer
from strmline.errors import Conflict
from strmline.jobs.runtime import JobRuntime
from strmline.services import providers as provider_service
from tests.helpers import wait_for_job


async def test_one_sync_per_provider_at_a_time(
    fake_provider: FakeProviderServer, session_factory, tmp_path
) -> None:
    async with session_scope(session_factory) as s:
        spec = provider_service.ProviderCreate(
            name="acme", kind="m3u", url=fake_provider.playlist_url("acme")
        )
        pid = (await provider_service.create(session=s, spec=spec)).id
    fake_provider.faults.set("slow", account="acme", delay=0.2, chunk_size=512)
    settings = Settings(data_dir=tmp_path)
    async with JobRuntime(settings, session_factory=session_factory) as runtime:
        first = await runtime.submit("sync", {"provider_id": pid}, trigger="api")
        with pytest.raises(Conflict) as raised:
            await runtime.submit("sync", {"provider_id": pid}, trigger="api")
        assert raised.value.details == {"job_id": first.id}
        job = await wait_for_job(runtime, first.id, seconds=60)
        assert job.state == "succeeded", job.error
        assert job.result and job.result["streams_added"] > 0
        again = await runtime.submit("sync", {"provider_id": pid}, trigger="api")
        assert again.id != first.id


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strmline", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_provider_sync_channels_jobs(fake_provider: FakeProviderServer, tmp_path: Path) -> None:
    env = dict(os.environ, STRMLINE_DATA_DIR=str(tmp_path), NO_COLOR="1")
    env.pop("STRMLINE_DATABASE_URL", None)
    assert (
        cli(
            "provider",
            "add",
            "--name",
            "acme",
            "--m3u",
            fake_provider.playlist_url("acme"),
            env=env,
        ).returncode
        == 0
    )
    added = cli(
        "provider", "add", "--name", "globex", "--xtream", fake_provider.url,
        "--username", "globex", "--password", "hunter2", "--json", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "hunter2" not in added.stdout

    done = cli("sync", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["provider"] for r in rows] == ["acme", "globex"]
    assert all(r["status"] == "ok" for r in rows)
    assert set(rows[0]) == {
        "provider", "status", "entries", "channels_created", "streams_added",
        "streams_updated", "streams_removed", "seconds", "message",
    }  # fmt: skip

    again = [json.loads(line) for line in cli("sync", "--json", env=env).stdout.splitlines()]
    assert [r["status"] for r in again] == ["unchanged", "unchanged"]

    channels = [
        json.loads(line)
        for line in cli("channels", "--json", "--search", "amc", env=env).stdout.splitlines()
    ]
    assert channels and channels[0]["name"] == "AMC"
    providers = {s["provider"] for s in channels[0]["streams"]}
    assert providers == {"acme", "globex"}
    ranks = [s["rank"] for s in channels[0]["streams"]]
    assert ranks == sorted(ranks)
    assert {
        "id",
        "provider",
        "name",
        "url",
        "quality",
        "score",
        "rank",
        "active",
        "merge_method",
        "merge_confidence",
    } <= set(channels[0]["streams"][0])

    listed = [
        json.loads(line) for line in cli("provider", "list", "--json", env=env).stdout.splitlines()
    ]
    assert all("hunter2" not in json.dumps(p) for p in listed)

    fake_provider.faults.set("http_503", account="acme")
    failed = cli("sync", "--provider", "acme", "--json", env=env)
    assert failed.returncode == 1
    row = json.loads(failed.stdout)
    assert row["status"] == "failed" and "503" in row["message"]

    jobs = [json.loads(line) for line in cli("jobs", "--json", env=env).stdout.splitlines()]
    assert len(jobs) == 5 and jobs[0]["state"] == "failed"

    wrong = cli(
        "provider", "add", "--name", "x", "--xtream", fake_provider.url, "--username", "u", env=env
    )
    assert (
        wrong.returncode == 1 and "--password" in wrong.stderr and "Traceback" not in wrong.stderr
    )
