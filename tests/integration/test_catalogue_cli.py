"""``strmline catalogue``: refresh from a folder or a zip of the iptv-org database, then look up."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from tests.integration.test_sync_jobs import cli
from tests.unit.matching.test_catalogue import _CHANNELS, _FEEDS, _LOGOS


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, STRMLINE_DATA_DIR=str(data_dir), NO_COLOR="1")
    env.pop("STRMLINE_DATABASE_URL", None)
    env.pop("STRMLINE_MATCH__CATALOGUE", None)
    return env


def _database(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in (("channels.csv", _CHANNELS), ("feeds.csv", _FEEDS), ("logos.csv", _LOGOS)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_update_from_folder_and_zip_then_lookup(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    # The shipped catalogue answers before any update.
    shipped = cli("catalogue", "lookup", "FS2", "--json", env=env)
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)["id"] == "FoxSports2.us"
    info = json.loads(cli("catalogue", "info", "--json", env=env).stdout)
    assert info["source"] == "built in" and info["channels"] > 30_000

    folder = _database(tmp_path / "repo" / "data")
    done = cli("catalogue", "update", str(folder.parent), env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "catalogue.json.gz").is_file()
    info = json.loads(cli("catalogue", "info", "--json", env=env).stdout)
    assert info["channels"] == 3 and info["source"].endswith("catalogue.json.gz")
    found = cli("catalogue", "lookup", "US: Alpha TV HD", "--json", env=env)
    assert found.returncode == 0, found.stderr
    row = json.loads(found.stdout)
    assert (row["id"], row["country"], row["logo"]) == ("Alpha.us", "US", "http://x/a.png")
    missing = cli("catalogue", "lookup", "FS2", env=env)
    assert missing.returncode == 1 and "not in the catalogue" in missing.stdout

    # A GitHub archive: everything nested one folder down, CSVs under data/.
    archive = tmp_path / "database-master.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("channels.csv", "feeds.csv", "logos.csv"):
            text = (folder / name).read_text(encoding="utf-8")
            zf.writestr(f"database-master/data/{name}", text.replace("Beta.de", "Gamma.de"))
    done = cli("catalogue", "update", str(archive), env=env)
    assert done.returncode == 0, done.stderr
    by_id = cli("catalogue", "lookup", "gamma.de", "--json", env=env)
    assert by_id.returncode == 0 and json.loads(by_id.stdout)["id"] == "Gamma.de"


def test_bad_source_and_catalogue_off(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    bad = tmp_path / "nope.zip"
    bad.write_bytes(b"hello")
    failed = cli("catalogue", "update", str(bad), env=env)
    assert failed.returncode == 1 and "not a zip" in failed.stderr
    assert not (tmp_path / "data" / "catalogue.json.gz").exists()
    off = cli("catalogue", "lookup", "FS2", env={**env, "STRMLINE_MATCH__CATALOGUE": "false"})
    assert off.returncode == 1 and "off" in off.stderr
