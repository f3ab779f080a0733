"""A real ``strmline serve``: one admin from eight racing setups, a login limit that spoofed
X-Forwarded-For headers cannot stretch and a guesser cannot use to lock the owner out, provider
passwords encrypted in the database file, and what killed runs left removed at start."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import STRMLINE, Proc, clean_env, free_port, run_cli, start, wait_http

PASSWORD = "e2e hardening password"
PROVIDER_PASSWORD = "provider-pass-42"


def _leave_killed_run_behind(data_dir: Path) -> Path:
    """A guide import killed mid-way (staging rows) and a library write killed mid-way."""
    with sqlite3.connect(data_dir / "strmline.db") as db:
        db.execute(
            "INSERT INTO epg_sources (id, name, kind, url, offset_minutes, enabled, auto, "
            "priority, channel_count, programme_count, created_at, updated_at) VALUES "
            "(1, 'g', 'url', 'http://127.0.0.1:9/g.xml', 0, 1, 0, 0, 0, 0, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        db.executemany(
            "INSERT INTO epg_programme_staging (source_id, xmltv_id, start, stop, title) "
            "VALUES (1, 'a', '2026-01-01 00:00:00', '2026-01-01 01:00:00', ?)",
            [(f"t{i}",) for i in range(1000)],
        )
    folder = data_dir / "strm" / "Movies" / "A (2000)"
    folder.mkdir(parents=True)
    leftover = folder / ".A (2000).strm.31337.tmp"
    leftover.write_text("http://half-written")
    then = time.time() - 7200
    os.utime(leftover, (then, then))
    return leftover


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    workdir = tmp_path_factory.mktemp("e2e-hardening")
    data_dir = workdir / "data"
    env = clean_env(STRMLINE_DATA_DIR=str(data_dir))
    run_cli(["db", "upgrade"], env=env, cwd=workdir)
    leftover = _leave_killed_run_behind(data_dir)
    port = free_port()
    # Every loopback address reaches it: 127.0.0.2 plays a second client machine.
    proc: Proc = start(
        "serve",
        [*STRMLINE, "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        cwd=workdir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/health", proc)
        yield url, data_dir, leftover
    finally:
        proc.stop()


def _client(url: str, source: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def test_start_removed_what_killed_runs_left(server: tuple[str, Path, Path]) -> None:
    _, data_dir, leftover = server
    assert not leftover.exists()
    with sqlite3.connect(data_dir / "strmline.db") as db:
        assert db.execute("SELECT count(*) FROM epg_programme_staging").fetchone() == (0,)


def test_racing_setups_make_one_admin(server: tuple[str, Path, Path]) -> None:
    url, data_dir, _ = server

    def setup(i: int) -> int:
        with _client(url) as c:
            body = {"username": f"admin{i}", "password": PASSWORD}
            return c.post("/api/setup", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(setup, range(8)))
    assert codes == [201] + [409] * 7
    with sqlite3.connect(data_dir / "strmline.db") as db:
        assert db.execute("SELECT count(*), min(role) FROM users").fetchone() == (1, "admin")


def _admin_name(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "strmline.db") as db:
        return str(db.execute("SELECT username FROM users").fetchone()[0])


def test_login_limit_ignores_spoofed_addresses_and_spares_the_owner(
    server: tuple[str, Path, Path],
) -> None:
    url, data_dir, _ = server
    name = _admin_name(data_dir)
    wrong = {"username": name, "password": "a wrong guess"}
    with _client(url) as guesser:
        codes = [
            guesser.post(
                "/api/auth/login", json=wrong, headers={"X-Forwarded-For": f"198.51.100.{i}"}
            ).status_code
            for i in range(12)
        ]
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
        right = {"username": name, "password": PASSWORD}
        assert guesser.post("/api/auth/login", json=right).status_code == 429
    with _client(url, "127.0.0.2") as owner:
        r = owner.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text


def test_provider_password_is_encrypted_in_the_database_file(
    server: tuple[str, Path, Path],
) -> None:
    url, data_dir, _ = server
    name = _admin_name(data_dir)
    with _client(url, "127.0.0.3") as c:
        token = c.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {
            "name": "Panel",
            "kind": "xtream",
            "url": "http://127.0.0.1:9",
            "username": "me",
            "password": PROVIDER_PASSWORD,
        }
        r = c.post("/api/providers", json=body, headers=headers)
        assert r.status_code == 201, r.text
    files = [data_dir / "strmline.db", data_dir / "strmline.db-wal"]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert PROVIDER_PASSWORD.encode() not in raw
    with sqlite3.connect(data_dir / "strmline.db") as db:
        (stored,) = db.execute("SELECT password FROM providers").fetchone()
    assert stored.startswith("enc1:")
