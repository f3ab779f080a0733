"""Group filters per provider: categories listed after a sync with counts, which are taken,
name patterns, new categories, refusals, and what the next sync keeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import ProviderGroup, Stream
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.sync import SyncResult, sync_provider
from strmline.services import providers as provider_service
from tests.api.admin_fixtures import assert_error, statements
from tests.api.test_lineups_api import m3u_names

ENTRIES = [
    ("News", "Alpha News"),
    ("News", "Beta News"),
    ("Movies", "Gamma Movies"),
    ("Sports", "Delta Sports"),
    ("Sports", "Epsilon Sports"),
    ("Sports", "Zeta Sports backup"),
    (None, "Eta Misc"),
]


def write_playlist(path: Path, entries: list[tuple[str | None, str]]) -> None:
    lines = ["#EXTM3U"]
    for i, (group, name) in enumerate(entries):
        attr = f' group-title="{group}"' if group else ""
        lines += [f'#EXTINF:-1 tvg-id="c{i}"{attr},{name}', f"http://127.0.0.1:9/{name[:3]}.ts"]
    path.write_text("\n".join(lines) + "\n")


class Setup:
    def __init__(self, app: FastAPI, tmp_path: Path) -> None:
        self.app = app
        self.playlist = tmp_path / "list.m3u"
        self.ctx = PipelineContext(
            session_factory=app.state.session_factory, settings=Settings(data_dir=tmp_path)
        )
        self.pid = 0

    async def provider(self, entries: list[tuple[str | None, str]]) -> int:
        write_playlist(self.playlist, entries)
        async with session_scope(self.app.state.session_factory) as s:
            spec = provider_service.ProviderCreate(name="file", kind="m3u", url=str(self.playlist))
            self.pid = (await provider_service.create(session=s, spec=spec)).id
        return self.pid

    async def sync(self) -> SyncResult:
        return await sync_provider(self.ctx, provider_id=self.pid)

    async def live_names(self) -> list[str]:
        async with session_scope(self.app.state.session_factory) as s:
            rows = await s.scalars(
                select(Stream.name)
                .where(Stream.provider_id == self.pid, Stream.removed_at.is_(None))
                .order_by(Stream.name)
            )
            return list(rows)


async def groups(client: httpx.AsyncClient, admin: dict[str, str], pid: int) -> dict[str, Any]:
    r = await client.get(f"/api/providers/{pid}/groups", headers=admin)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_categories_are_listed_and_the_filter_applies_at_the_next_sync(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: dict[str, str],
    api_token: str,
    tmp_path: Path,
) -> None:
    setup = Setup(app, tmp_path)
    pid = await setup.provider(ENTRIES)
    before = await groups(client, admin, pid)
    assert before["groups"] == [] and before["take_new_groups"] is True
    assert (await setup.sync()).status == "ok"
    listed = await groups(client, admin, pid)
    assert [(g["name"], g["entries"], g["taken"]) for g in listed["groups"]] == [
        ("Sports", 3, True),
        ("News", 2, True),
        ("", 1, True),
        ("Movies", 1, True),
    ]
    assert listed["entries"] == listed["taken_entries"] == 7

    r = await client.put(
        f"/api/providers/{pid}/groups",
        json={
            "groups": [{"name": "Movies", "taken": False}, {"name": "", "taken": False}],
            "name_exclude": "backup$",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name_exclude"] == "backup$" and body["taken_entries"] == 5
    assert {g["name"]: g["effective"] for g in body["groups"]} == {
        "Sports": True,
        "News": True,
        "": False,
        "Movies": False,
    }
    result = await setup.sync()
    assert result.status == "ok", result.message
    assert result.entries == 4 and result.streams_removed == 3
    assert await setup.live_names() == [
        "Alpha News",
        "Beta News",
        "Delta Sports",
        "Epsilon Sports",
    ]
    names = [n for _, n in await m3u_names(client, api_token)]
    assert "Gamma Movies" not in names and "Eta Misc" not in names and len(names) == 4

    # Taking a category back brings its entries back at the next sync.
    r = await client.put(
        f"/api/providers/{pid}/groups",
        json={"groups": [{"name": "Movies", "taken": True}]},
        headers=admin,
    )
    assert r.status_code == 200
    assert (await setup.sync()).status == "ok"
    assert "Gamma Movies" in await setup.live_names()


async def test_new_categories_follow_the_setting(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], tmp_path: Path
) -> None:
    setup = Setup(app, tmp_path)
    pid = await setup.provider(ENTRIES)
    assert (await setup.sync()).status == "ok"
    r = await client.put(
        f"/api/providers/{pid}/groups",
        json={"take_new_groups": False, "group_include": "^(news|sports|kids)$"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["take_new_groups"] is False
    write_playlist(
        setup.playlist, [*ENTRIES, ("Kids", "Theta Kids"), ("Kids", "Iota Kids"), ("News", "Kappa")]
    )
    result = await setup.sync()
    assert result.status == "ok", result.message
    listed = {g["name"]: g for g in (await groups(client, admin, pid))["groups"]}
    assert listed["Kids"]["entries"] == 2 and listed["Kids"]["taken"] is False
    assert listed["News"]["entries"] == 3
    names = await setup.live_names()
    assert "Kappa" in names and "Theta Kids" not in names and "Gamma Movies" not in names


async def test_a_filter_that_takes_nothing_is_refused(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], tmp_path: Path
) -> None:
    setup = Setup(app, tmp_path)
    pid = await setup.provider(ENTRIES)
    # Before any sync nothing is known, so this cannot be checked: the sync refuses instead.
    r = await client.put(
        f"/api/providers/{pid}/groups", json={"take_new_groups": False}, headers=admin
    )
    assert r.status_code == 200
    result = await setup.sync()
    assert result.status == "refused"
    assert "group filter takes none of the 7 entries in 4 categories" in result.message
    assert await setup.live_names() == []
    # The categories are listed all the same, so the filter can be fixed.
    listed = await groups(client, admin, pid)
    assert len(listed["groups"]) == 4 and not any(g["taken"] for g in listed["groups"])
    r = await client.put(
        f"/api/providers/{pid}/groups",
        json={"groups": [{"name": "News", "taken": True}]},
        headers=admin,
    )
    assert r.status_code == 200
    assert (await setup.sync()).status == "ok"
    assert await setup.live_names() == ["Alpha News", "Beta News"]

    # Now the counts are known: a filter taking none of them is refused up front.
    every = [{"name": g["name"], "taken": False} for g in listed["groups"]]
    r = await client.put(f"/api/providers/{pid}/groups", json={"groups": every}, headers=admin)
    error = assert_error(r, 422, "config_error")
    assert "takes none of the 7 entries" in error["message"]
    r = await client.put(f"/api/providers/{pid}/groups", json={"group_exclude": "."}, headers=admin)
    assert_error(r, 422, "config_error")
    after = await groups(client, admin, pid)
    assert after["group_exclude"] is None and after["taken_entries"] == 2  # nothing changed


async def test_bad_input(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: dict[str, str],
    viewer: dict[str, str],
    tmp_path: Path,
) -> None:
    setup = Setup(app, tmp_path)
    pid = await setup.provider(ENTRIES)
    assert (await setup.sync()).status == "ok"
    r = await client.put(
        f"/api/providers/{pid}/groups", json={"name_include": "(oops"}, headers=admin
    )
    error = assert_error(r, 422, "config_error")
    assert error["message"].startswith("name_include: not a valid regular expression")
    r = await client.put(
        f"/api/providers/{pid}/groups",
        json={"groups": [{"name": "Nope", "taken": True}]},
        headers=admin,
    )
    assert_error(r, 404, "not_found")
    assert_error(await client.get("/api/providers/9999/groups", headers=admin), 404, "not_found")
    assert (await client.get(f"/api/providers/{pid}/groups", headers=viewer)).status_code == 403


async def test_listing_statements_do_not_grow(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], tmp_path: Path
) -> None:
    setup = Setup(app, tmp_path)
    pid = await setup.provider(ENTRIES)

    async def add(first: int, last: int) -> None:
        async with session_scope(app.state.session_factory) as s:
            await s.execute(
                insert(ProviderGroup),
                [
                    {"provider_id": pid, "name": f"G{i:04d}", "entries": i, "taken": i % 2 == 0}
                    for i in range(first, last)
                ],
            )

    await add(1, 10)
    small, _ = await statements(
        app, lambda: client.get(f"/api/providers/{pid}/groups", headers=admin)
    )
    put = {"groups": [{"name": "G0001", "taken": True}, {"name": "G0003", "taken": True}]}
    small_put, _ = await statements(
        app, lambda: client.put(f"/api/providers/{pid}/groups", json=put, headers=admin)
    )
    await add(10, 2000)
    large, r = await statements(
        app, lambda: client.get(f"/api/providers/{pid}/groups", headers=admin)
    )
    assert len(r.json()["groups"]) == 1999
    put = {"groups": [{"name": f"G{i:04d}", "taken": True} for i in range(1, 2000, 2)]}
    large_put, _ = await statements(
        app, lambda: client.put(f"/api/providers/{pid}/groups", json=put, headers=admin)
    )
    assert (small, small_put) == (large, large_put)
