"""Guide endpoints and /output/xmltv: validated by Debian's tv_validate_file, re-importable."""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Channel, EpgChannel
from strmline.formats.xmltv import channel_element, programme_element
from strmline.pipelines import epg
from strmline.pipelines.context import PipelineContext
from tests.helpers import wait_for_job_api


def _guide(path: Path) -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n']
    parts += [channel_element(f"c{i}.test", [f"Test Channel {i}"], None) for i in range(3)]
    for i in range(3):
        for h in range(-3, 6):
            start = now + timedelta(hours=h)
            parts.append(
                programme_element(
                    f"c{i}.test",
                    start,
                    start + timedelta(hours=1),
                    f"Show {i} {h} & more",
                    desc="<b>d</b>",
                    categories=["News"],
                    episode_num="0.1.",
                )
            )
    parts.append("</tv>\n")
    path.write_bytes(gzip.compress("".join(parts).encode()))


async def _channels(app: FastAPI) -> list[int]:
    async with session_scope(app.state.session_factory) as s:
        chans = [
            Channel(
                name=f"Test Channel {i}",
                search_name=f"test channel {i}",
                match_key=f"test channel {i}",
                tvg_id="c0.test" if i == 0 else None,
                enabled=True,
                stream_count=1,
                active_stream_count=1,
            )
            for i in range(4)
        ]
        s.add_all(chans)
        await s.flush()
        return [c.id for c in chans]


async def test_sources_import_now_guide_output(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_token: str,
    app: FastAPI,
    tmp_path: Path,
) -> None:
    guide = tmp_path / "guide.xml.gz"
    _guide(guide)
    ids = await _channels(app)
    r = await client.post("/api/epg/sources", json={"url": str(guide), "name": "t"}, headers=admin)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = await client.patch(f"/api/epg/sources/{sid}", json={"priority": 5}, headers=admin)
    assert r.status_code == 200 and r.json()["priority"] == 5
    ctx = PipelineContext(session_factory=app.state.session_factory, settings=app.state.settings)
    result = await epg.import_source(ctx, source_id=sid)
    assert result.status == "ok" and result.programmes == 27 - 0, result
    r = await client.get("/api/epg/sources", headers=admin)
    assert r.json()[0]["programme_count"] == result.programmes

    r = await client.get(f"/api/epg/now?channels={','.join(map(str, ids))}", headers=admin)
    items = r.json()["items"]
    assert [i["channel_id"] for i in items] == ids
    assert items[0]["now"]["title"].startswith("Show 0 0") and items[0]["next"] is not None
    assert items[3]["now"] is None  # no guide

    r = await client.get("/api/epg/guide?limit=2", headers=admin)
    body = r.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    assert body["items"][0]["programmes"]
    r = await client.get(f"/api/epg/guide?limit=2&cursor={body['next_cursor']}", headers=admin)
    assert [i["channel_id"] for i in r.json()["items"]] == ids[2:]

    r = await client.get("/api/epg/unmatched", headers=admin)
    assert [i["channel_id"] for i in r.json()["items"]] == [ids[3]]
    r = await client.put(
        f"/api/channels/{ids[3]}/epg", json={"epg_channel_id": None}, headers=admin
    )
    assert r.status_code == 200

    r = await client.get(f"/output/xmltv?token={api_token}", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip"
    etag = r.headers["etag"]
    xml = r.content
    assert xml.count(b"<programme ") >= 20 and b'id="c0.test"' in xml
    assert f'id="strmline.{ids[1]}"'.encode() in xml  # no tvg-id: the id /output/m3u uses
    assert f'id="strmline.{ids[3]}"'.encode() not in xml  # no programmes, no <channel>
    r = await client.get(f"/output/xmltv?token={api_token}", headers={"If-None-Match": etag})
    assert r.status_code == 304

    out = tmp_path / "out.xml"
    out.write_bytes(xml)
    validator = shutil.which("tv_validate_file")
    if validator is None:
        pytest.skip("tv_validate_file (Debian xmltv-util) is not installed")
    # The DTD ships with xmltv-util; without this it is fetched from supplement.xmltv.org.
    env = {**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"}
    done = await asyncio.to_thread(
        subprocess.run, [validator, str(out)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # Round trip: the output imports as a guide of its own.
    r = await client.post("/api/epg/sources", json={"url": str(out), "name": "self"}, headers=admin)
    again = await epg.import_source(ctx, source_id=r.json()["id"])
    assert again.status == "ok" and again.channels == 3


async def test_refresh_and_permissions(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], tmp_path: Path
) -> None:
    guide = tmp_path / "g.xml.gz"
    _guide(guide)
    r = await client.post("/api/epg/sources", json={"url": str(guide)}, headers=viewer)
    assert r.status_code == 403
    r = await client.post(
        "/api/epg/sources", json={"url": str(tmp_path / "nope.xml")}, headers=admin
    )
    assert r.status_code == 404
    r = await client.post("/api/epg/sources", json={"url": str(guide)}, headers=admin)
    sid = r.json()["id"]
    r = await client.post(f"/api/epg/sources/{sid}/refresh", headers=admin)
    assert r.status_code == 202 and isinstance(r.json()["job_id"], int)
    # Let the import finish: one still writing when the app stops can hold SQLite's lock.
    job = await wait_for_job_api(client, admin, r.json()["job_id"], seconds=60)
    assert job["state"] == "succeeded", job
    r = await client.delete(f"/api/epg/sources/{sid}", headers=admin)
    assert r.status_code == 204


async def test_source_changes_rematch_channels_and_new_sources_are_queued(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, tmp_path: Path
) -> None:
    ids = await _channels(app)  # channel 0 has tvg-id c0.test
    ctx = PipelineContext(session_factory=app.state.session_factory, settings=app.state.settings)
    sources = []
    for name, priority in (("first", 5), ("second", 0)):
        guide = tmp_path / f"{name}.xml.gz"
        _guide(guide)
        r = await client.post(
            "/api/epg/sources",
            json={"url": str(guide), "name": name, "priority": priority, "refresh_minutes": 60},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        # Imported by the scheduler at its next tick, without anyone asking.
        assert r.json()["import_requested_at"] is not None and r.json()["refresh_minutes"] == 60
        sources.append(r.json()["id"])
        assert (await epg.import_source(ctx, source_id=sources[-1])).status == "ok"

    async def guide_source() -> int | None:
        async with session_scope(app.state.session_factory) as s:
            return await s.scalar(
                select(EpgChannel.source_id)
                .join(Channel, Channel.epg_channel_id == EpgChannel.id)
                .where(Channel.id == ids[0])
            )

    assert await guide_source() == sources[0]
    r = await client.patch(f"/api/epg/sources/{sources[1]}", json={"priority": 9}, headers=admin)
    assert r.status_code == 200
    assert await guide_source() == sources[1]
    r = await client.patch(
        f"/api/epg/sources/{sources[1]}", json={"refresh_minutes": None}, headers=admin
    )
    assert r.status_code == 200 and r.json()["refresh_minutes"] is None
    r = await client.patch(
        f"/api/epg/sources/{sources[1]}", json={"refresh_cron": "every day"}, headers=admin
    )
    assert r.status_code == 422, r.text
    r = await client.delete(f"/api/epg/sources/{sources[1]}", headers=admin)
    assert r.status_code == 204
    assert await guide_source() == sources[0]  # at once, not at the next import


async def test_now_shapes_and_invalid_cursors(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    # Asking for no channel answers with no "at": nothing was looked up at any time.
    r = await client.get("/api/epg/now?channels=", headers=admin)
    assert r.status_code == 200 and r.json() == {"items": []}
    ids = await _channels(app)
    r = await client.get(f"/api/epg/now?channels={ids[0]}&at=2030-01-01T12:00:00Z", headers=admin)
    assert r.json() == {
        "at": "2030-01-01T12:00:00Z",
        "items": [{"channel_id": ids[0], "channel": "Test Channel 0", "now": None, "next": None}],
    }
    for url in ("/api/epg/guide?cursor=abc", "/api/epg/unmatched?cursor=WzEsMl0"):
        r = await client.get(url, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor", url
