"""Local-file sources are read only from the sources folder, never strmline's own files, and
odd provider input is a clear 422, never a 500."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from strmline.api.app import create_app
from strmline.config import Settings
from strmline.db.models import EpgSource, Provider
from strmline.providers.local import LocalFiles, SourcePathRefused
from strmline.services import epg_sources
from tests.api.conftest import ADMIN

PLAYLIST = '#EXTM3U\n#EXTINF:-1 tvg-id="a.uk",Alpha\nhttp://127.0.0.1:9/a.ts\n'
GUIDE = '<?xml version="1.0"?><tv><channel id="a.uk"><display-name>A</display-name></channel></tv>'
SECRET = "kZ9-this-is-the-signing-key-9Zk"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return tmp_path.resolve() / "sources"


@pytest.fixture
def confined_settings(api_settings: Settings, sources: Path) -> Settings:
    return api_settings.model_copy(update={"sources_dir": sources})


@pytest.fixture
async def confined(confined_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(confined_settings, scheduler=False, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


async def _admin(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/setup", json=ADMIN)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _is_dir(path: Path) -> bool:
    return path.is_dir()


def _outside(tmp_path: Path, sources: Path) -> dict[str, str]:
    """Paths an admin might type that are not in the sources folder, by what they are."""
    key = tmp_path / "secret.key"
    key.write_text(SECRET)
    elsewhere = tmp_path / "elsewhere.m3u"
    elsewhere.write_text(PLAYLIST)
    (sources / "escape.m3u").symlink_to(elsewhere)
    (sources / "key-link").symlink_to(key)
    return {
        "the key file": str(key),
        "the key as a file URL": key.as_uri(),
        "a playlist next to the folder": str(elsewhere),
        "a dot-dot escape": str(sources / ".." / "elsewhere.m3u"),
        "a symlink out of the folder": str(sources / "escape.m3u"),
        "a symlink to the key": str(sources / "key-link"),
        "a system file": "/etc/passwd",
    }


async def test_provider_paths_outside_the_sources_folder_are_refused(
    confined: httpx.AsyncClient, tmp_path: Path, sources: Path
) -> None:
    admin = await _admin(confined)
    assert _is_dir(sources), "the sources folder is created at start"
    (sources / "tv.m3u").write_text(PLAYLIST)
    for what, url in _outside(tmp_path, sources).items():
        r = await confined.post(
            "/api/providers", headers=admin, json={"name": what, "kind": "m3u", "url": url}
        )
        assert r.status_code == 422, (what, r.text)
        message = r.json()["error"]["message"]
        assert str(sources) in message or "own files" in message, (what, message)
        assert SECRET not in r.text
    for what, url in {
        "another user's home": "~root/tv.m3u",
        "a home folder": "~/tv.m3u",
        "another host's file URL": "file://server/share/tv.m3u",
        "a missing file": str(sources / "nope.m3u"),
        "a folder": str(sources),
        "an ftp URL": "ftp://example.com/tv.m3u",
    }.items():
        r = await confined.post(
            "/api/providers", headers=admin, json={"name": what, "kind": "m3u", "url": url}
        )
        assert r.status_code == 422, (what, r.text)
    ok = await confined.post(
        "/api/providers", headers=admin, json={"name": "inside", "kind": "m3u", "url": "tv.m3u"}
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["url"] == str(sources / "tv.m3u")
    # An update to a path outside is refused the same way; other fields still change.
    pid = ok.json()["id"]
    r = await confined.patch(f"/api/providers/{pid}", headers=admin, json={"url": "/etc/passwd"})
    assert r.status_code == 422, r.text
    r = await confined.patch(
        f"/api/providers/{pid}", headers=admin, json={"backup_urls": [str(tmp_path / "secret.key")]}
    )
    assert r.status_code == 422, r.text
    r = await confined.patch(f"/api/providers/{pid}", headers=admin, json={"priority": 5})
    assert r.status_code == 200 and r.json()["url"].endswith("tv.m3u"), r.text


async def test_guide_source_paths_outside_the_sources_folder_are_refused(
    confined: httpx.AsyncClient, tmp_path: Path, sources: Path
) -> None:
    admin = await _admin(confined)
    (sources / "guide.xml").write_text(GUIDE)
    for what, url in [*_outside(tmp_path, sources).items(), ("home", "~root/guide.xml")]:
        r = await confined.post("/api/epg/sources", headers=admin, json={"url": url})
        assert r.status_code == 422, (what, r.text)
        assert SECRET not in r.text
    ok = await confined.post(
        "/api/epg/sources", headers=admin, json={"url": str(sources / "guide.xml")}
    )
    assert ok.status_code == 201, ok.text
    r = await confined.patch(
        f"/api/epg/sources/{ok.json()['id']}", headers=admin, json={"url": "/etc/passwd"}
    )
    assert r.status_code == 422, r.text


async def test_the_database_and_key_are_refused_even_inside_the_sources_folder(
    api_settings: Settings, tmp_path: Path
) -> None:
    # An operator who points sources_dir at the data dir still cannot read the key or the
    # database, nor a hard link to either.
    db = tmp_path / "strmline.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (tmp_path / "secret.key").write_text(SECRET)
    os.link(tmp_path / "secret.key", tmp_path / "innocent.m3u")
    settings = Settings(
        data_dir=tmp_path,
        sources_dir=tmp_path,
        database_url=f"sqlite:///{db}",
        secret_key="test-secret-key-" + "x" * 32,
    )
    files = LocalFiles.from_settings(settings)
    for name in ("strmline.db", "secret.key", "innocent.m3u", "strmline.db-wal"):
        if not (tmp_path / name).exists():
            (tmp_path / name).write_bytes(b"")
        with pytest.raises(SourcePathRefused, match="own files"):
            files.path(str(tmp_path / name))


async def test_a_stored_path_outside_the_folder_fails_its_sync_in_one_line(
    confined: httpx.AsyncClient, tmp_path: Path, sources: Path
) -> None:
    """A provider saved before the folder existed (or written to the database directly) is
    refused when the job reads it; the error names the folder and quotes nothing."""
    admin = await _admin(confined)
    key = tmp_path / "secret.key"
    key.write_text(SECRET)
    app: FastAPI = confined.app  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(Provider),
            [{"name": "old", "kind": "m3u", "url": str(key), "backup_urls": []}],
        )
    provider = (await confined.get("/api/providers", headers=admin)).json()["items"][0]
    job = await app.state.runtime.run_inline("sync", {"provider_id": provider["id"]})
    assert job.state == "failed"
    assert str(sources) in (job.error or ""), job.error
    assert "\n" not in (job.error or "")
    assert SECRET not in (job.error or "") and SECRET not in str(job.result)


async def test_a_local_guide_named_by_a_remote_playlist_is_not_read(
    confined: httpx.AsyncClient, sources: Path
) -> None:
    admin = await _admin(confined)
    (sources / "guide.xml").write_text(GUIDE)
    app: FastAPI = confined.app  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(Provider),
            [
                {
                    "name": "remote",
                    "kind": "m3u",
                    "url": "http://127.0.0.1:9/tv.m3u",
                    "backup_urls": [],
                    "epg_url": str(sources / "guide.xml"),
                }
            ],
        )
    async with app.state.session_factory() as session, session.begin():
        await epg_sources.ensure_auto_sources(session, app.state.settings)
    sources_list = (await confined.get("/api/epg/sources", headers=admin)).json()
    auto = [s for s in sources_list if s["kind"] == "m3u_header"]
    assert auto, sources_list
    job = await app.state.runtime.run_inline("epg_import", {"source_id": auto[0]["id"]})
    assert job.state in ("failed", "succeeded")
    text = f"{job.error} {job.result} {job.message}"
    assert "only a local playlist" in text, text


# -- odd input: a clear 422 (or a 201 when it is fine), never a 500 ---------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "x" * 5000,
    "~nosuchuser/tv.m3u",
    "~/tv.m3u",
    "/" + "a" * 300 + "/" + "b" * 300,
    "/nö/ütf8/😀.m3u",
    "\ud800",
    "a\x00b",
    "line\nbreak",
    "http://[::1/tv.m3u",
    "http://host:notaport/tv.m3u",
    "http:///nohost",
    "http://h/ with space",
    "javascript:alert(1)",
    "file://other/x.m3u",
    "file:///etc/passwd",
    "C:\\lists\\tv.m3u",
    "%00",
    "../../../../etc/passwd",
]


def _bodies() -> list[dict[str, object]]:
    bodies: list[dict[str, object]] = []
    for kind, value in itertools.product(("m3u", "xtream"), HOSTILE_TEXT):
        bodies.append({"name": f"p {len(bodies)}", "kind": kind, "url": value})
    for field in ("name", "username", "password", "user_agent", "refresh_cron", "epg_url"):
        for value in HOSTILE_TEXT:
            bodies.append(
                {
                    "name": f"p {len(bodies)}",
                    "kind": "xtream",
                    "url": "http://127.0.0.1:9",
                    "username": "u",
                    "password": "p",
                    field: value,
                }
            )
    base = {"kind": "xtream", "url": "http://127.0.0.1:9", "username": "u", "password": "p"}
    for extra in (
        {"backup_urls": HOSTILE_TEXT},
        {"backup_urls": ["http://127.0.0.1:9"] * 500},
        {"backup_urls": "not a list"},
        {"priority": 10**30},
        {"max_connections": -1},
        {"refresh_minutes": 1.5},
        {"kind": "rtsp"},
        {"output_format": "mkv"},
        {"enabled": "maybe"},
        {"name": None},
        {"name": ["a"]},
    ):
        bodies.append({"name": f"p {len(bodies)}", **base, **extra})
    return bodies


async def test_no_provider_input_gives_a_500(confined: httpx.AsyncClient, sources: Path) -> None:
    admin = await _admin(confined)
    (sources / "tv.m3u").write_text(PLAYLIST)
    ok = await confined.post(
        "/api/providers", headers=admin, json={"name": "base", "kind": "m3u", "url": "tv.m3u"}
    )
    assert ok.status_code == 201, ok.text
    pid = ok.json()["id"]
    sent = admin | {"Content-Type": "application/json"}
    for body in _bodies():
        # Escaped JSON: a lone surrogate is legal JSON ("\ud800") but not encodable UTF-8.
        r = await confined.post("/api/providers", headers=sent, content=json.dumps(body))
        assert r.status_code in (201, 409, 422), (body, r.status_code, r.text)
        if r.status_code == 422:
            assert r.json()["error"]["message"], r.text
        changes = {k: v for k, v in body.items() if k not in ("name", "kind")}
        r = await confined.patch(f"/api/providers/{pid}", headers=sent, content=json.dumps(changes))
        assert r.status_code in (200, 409, 422), (changes, r.status_code, r.text)
    # Whatever was refused, the list still reads.
    listed = await confined.get("/api/providers", headers=admin)
    assert listed.status_code == 200, listed.text


async def test_a_stored_guide_path_outside_the_folder_is_not_imported(
    confined: httpx.AsyncClient, tmp_path: Path, sources: Path
) -> None:
    await _admin(confined)
    key = tmp_path / "secret.key"
    key.write_text(SECRET)
    app: FastAPI = confined.app  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        source_id = (
            await conn.execute(
                insert(EpgSource)
                .values(
                    name="old",
                    kind="file",
                    url=str(key),
                    auto=False,
                    enabled=True,
                    offset_minutes=0,
                    priority=0,
                    channel_count=0,
                    programme_count=0,
                )
                .returning(EpgSource.id)
            )
        ).scalar_one()
    job = await app.state.runtime.run_inline("epg_import", {"source_id": source_id})
    async with app.state.session_factory() as session:
        source = await session.get(EpgSource, source_id)
        assert source is not None
        text = f"{job.error} {job.result} {source.last_message}"
    assert str(sources) in text, text
    assert SECRET not in text
