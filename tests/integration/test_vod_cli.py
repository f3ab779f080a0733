"""``strmline vod`` and ``strmline strm`` end to end, as a person runs them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from strmline.demo import FakeProviderServer
from tests.integration.test_sync_jobs import cli


def test_cli_vod_sync_list_and_strm(fake_provider: FakeProviderServer, tmp_path: Path) -> None:
    env = dict(os.environ, STRMLINE_DATA_DIR=str(tmp_path), NO_COLOR="1")
    env.pop("STRMLINE_DATABASE_URL", None)
    env["STRMLINE_VOD__STRM_AFTER_SYNC"] = "false"
    added = cli(
        "provider", "add", "--name", "acme", "--xtream", fake_provider.url,
        "--username", "acme", "--password", "secret", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    done = cli("vod", "sync", "--provider", "acme", "--json", env=env)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout.splitlines()[0])
    assert row["status"] == "ok" and row["movies"] == 30

    listed = cli("vod", "list", "--movies", "--search", "matrix", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["title"] for line in listed.stdout.splitlines()] == ["The Matrix"]

    # .strm files carry a user's API token: without any user the command says so.
    out = tmp_path / "lib"
    refused = cli("strm", "generate", "--out", str(out), env=env)
    assert refused.returncode == 1 and "API token" in refused.stderr
    assert (
        cli(
            "user", "create", "admin", "--password", "long enough pass", "--admin", env=env
        ).returncode
        == 0
    )
    first = cli("strm", "generate", "--out", str(out), "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["written"] > 0
    second = json.loads(cli("strm", "generate", "--out", str(out), "--json", env=env).stdout)
    assert second["written"] == 0 and second["removed"] == 0
