"""The .strm library generated from the VOD catalog of the fake provider."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from guessit import guessit

from strmline.db.engine import session_scope
from strmline.db.models import Setting
from strmline.demo import FakeProviderServer
from strmline.matching.names import normalize
from strmline.pipelines.strm import generate_library
from strmline.pipelines.vod import sync_vod
from strmline.services import users as user_service
from tests.integration.test_sync_jobs import cli
from tests.integration.test_vod_sync import add_xtream, make_ctx


async def _setup(session_factory, fake_provider, tmp_path, **strm):  # type: ignore[no-untyped-def]
    async with session_scope(session_factory) as s:
        await user_service.create(
            session=s, username="admin", password="long enough pass", role="admin"
        )
    ctx = make_ctx(session_factory, tmp_path, **strm)
    pid = await add_xtream(session_factory, fake_provider)
    assert (await sync_vod(ctx, provider_id=pid)).status == "ok"
    return ctx, pid


def _files(root: Path, suffix: str = ".strm") -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob(f"*{suffix}")}


def _loose(text: str) -> str:
    return normalize(re.sub(r"[^\w\s]", " ", text))


async def test_library_parses_back_with_guessit(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    acme = fake_provider.account("acme").catalog
    acme.add_movie('Face/Off: "Who?" <Me>*|', 1997, name='EN - Face/Off: "Who?" <Me>*| (1997)')
    ctx, _ = await _setup(session_factory, fake_provider, tmp_path, nfo=True)
    out = tmp_path / "lib"
    result = await generate_library(ctx, out=out)
    files = _files(out)
    assert result.written == len(files) + len(_files(out, ".nfo"))
    assert result.movies == len(acme.movies)
    movies = {(_loose(m.title), m.year) for m in acme.movies.values()}
    episodes = {(_loose(s.title), s.year, e.season, e.episode_num) for s, e in acme.iter_episodes()}
    seen_movies, seen_eps = set(), set()
    for rel in files:
        guess = guessit(rel)
        if rel.startswith("Movies/"):
            assert guess["type"] == "movie", rel
            seen_movies.add((_loose(guess["title"]), guess["year"]))
        else:
            assert guess["type"] == "episode", rel
            seen_eps.add((_loose(guess["title"]), guess["year"], guess["season"], guess["episode"]))
    assert seen_movies == movies
    assert seen_eps == episodes
    # Every file holds one /play URL with the token, never provider credentials.
    sample = (out / next(iter(files))).read_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/play/(movie|episode)/\d+\?token=\S+\n", sample)
    assert all("secret" not in (out / f).read_text() for f in files)
    nfo = next(out.rglob("The Matrix (1999)*/*.nfo")).read_text()
    assert "<title>The Matrix</title>" in nfo and "<year>1999</year>" in nfo
    assert (out / next(iter(_files(out, ".nfo")))).exists()
    assert any(p.name == "tvshow.nfo" for p in out.rglob("*.nfo"))

    again = await generate_library(ctx, out=out)
    assert again.written == 0 and again.removed == 0


async def test_rename_and_removal(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx, pid = await _setup(session_factory, fake_provider, tmp_path)
    out = tmp_path / "lib"
    await generate_library(ctx, out=out)
    acme = fake_provider.account("acme").catalog
    heat = next(m for m in acme.movies.values() if m.title == "Heat")
    heat.title, heat.name = "Heat Redux", heat.name.replace("Heat", "Heat Redux")
    gone = next(m for m in acme.movies.values() if m.title == "Alien")
    acme.remove_movie(gone.stream_id)
    show = next(iter(acme.series.values()))
    acme.remove_series(show.series_id)
    assert (await sync_vod(ctx, provider_id=pid)).status == "ok"
    result = await generate_library(ctx, out=out)
    files = _files(out)
    assert any(f.startswith("Movies/Heat Redux (") for f in files)
    assert not any(f.startswith("Movies/Heat (") for f in files)
    assert not any(f.startswith("Movies/Alien (") for f in files)
    assert not any(f.startswith(f"TV Shows/{show.title} (") for f in files)
    assert not list((out / "Movies").glob("Alien (*"))  # the emptied folder went too
    assert not list((out / "TV Shows").glob(f"{show.title} (*"))
    assert result.written == 1
    assert result.removed == 2 + show.seasons * show.episodes_per_season


async def test_killed_run_is_completed_by_the_next(
    session_factory, fake_provider, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = await _setup(session_factory, fake_provider, tmp_path)
    out = tmp_path / "lib"
    with pytest.raises(RuntimeError):
        await generate_library(ctx, out=out, fail_after=7)
    assert len(_files(out)) == 7
    done = await generate_library(ctx, out=out)
    full = tmp_path / "full"
    await generate_library(ctx, out=full)
    assert _files(out) == _files(full)
    assert done.written == len(_files(full)) - 7
    assert (await generate_library(ctx, out=out)).written == 0


async def test_flavours_and_direct_urls(session_factory, fake_provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx, _ = await _setup(
        session_factory, fake_provider, tmp_path, flavour="plex", url_mode="direct"
    )
    out = tmp_path / "lib"
    await generate_library(ctx, out=out)
    files = _files(out)
    assert any("{tmdb-" in f for f in files)
    sample = next(f for f in files if f.startswith("Movies/"))
    assert "/movie/acme/secret/" in (out / sample).read_text()


def _urls(root: Path) -> list[str]:
    files = sorted(root.rglob("*.strm"))
    assert files, f"no .strm files under {root}"
    return [f.read_text().strip() for f in files]


async def test_configured_base_url_wins_over_the_request(  # type: ignore[no-untyped-def]
    session_factory, fake_provider, tmp_path
) -> None:
    ctx, _ = await _setup(session_factory, fake_provider, tmp_path)
    # STRMLINE_BASE_URL (here: set in code, which counts the same) wins over a request's URL.
    ctx.settings = ctx.settings.model_copy(update={"base_url": "http://media.lan:9000/"})
    result = await generate_library(ctx, out=tmp_path / "a", base_url="http://127.0.0.1:8124")
    assert result.base_url == "http://media.lan:9000" and result.warning is None
    assert all(u.startswith("http://media.lan:9000/play/") for u in _urls(tmp_path / "a"))
    # The URL saved in Settings wins over the environment.
    async with session_scope(session_factory) as s:
        s.add(Setting(key="server.base_url", value="https://tv.example.org"))
    result = await generate_library(ctx, out=tmp_path / "b")
    assert all(u.startswith("https://tv.example.org/play/") for u in _urls(tmp_path / "b"))


async def test_unconfigured_loopback_default_is_warned_about(  # type: ignore[no-untyped-def]
    session_factory, fake_provider, tmp_path
) -> None:
    ctx, _ = await _setup(session_factory, fake_provider, tmp_path)
    result = await generate_library(ctx, out=tmp_path / "lib")
    assert result.base_url == "http://127.0.0.1:8000"
    assert result.warning and "127.0.0.1" in result.warning
    assert result.warning in result.message
    # Direct provider URLs do not go through this server: nothing to warn about.
    ctx.settings.strm.url_mode = "direct"
    direct = await generate_library(ctx, out=tmp_path / "direct")
    assert direct.warning is None


def test_cli_uses_the_configured_base_url(
    fake_provider: FakeProviderServer, tmp_path: Path
) -> None:
    env = dict(os.environ, STRMLINE_DATA_DIR=str(tmp_path), NO_COLOR="1")
    env.pop("STRMLINE_DATABASE_URL", None)
    env["STRMLINE_VOD__STRM_AFTER_SYNC"] = "false"
    for args in (
        ("provider", "add", "--name", "acme", "--xtream", fake_provider.url,
         "--username", "acme", "--password", "secret"),
        ("vod", "sync", "--provider", "acme"),
        ("user", "create", "admin", "--password", "long enough pass", "--admin"),
    ):  # fmt: skip
        done = cli(*args, env=env)
        assert done.returncode == 0, done.stderr
    plain = cli("strm", "generate", "--out", str(tmp_path / "plain"), env=env)
    assert plain.returncode == 0, plain.stderr
    assert "127.0.0.1" in plain.stdout and "Settings" in plain.stdout
    env["STRMLINE_BASE_URL"] = "http://media.lan:9000"
    out = tmp_path / "lib"
    done = cli("strm", "generate", "--out", str(out), "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["base_url"] == "http://media.lan:9000" and result["warning"] is None
    assert all(u.startswith("http://media.lan:9000/play/") for u in _urls(out))
