"""``strmline demo``'s preparation: providers, admin, channels, guide, VOD and .strm library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from strmline.cli.common import open_db
from strmline.cli.demo import ADMIN, demo_settings, prepare, provider_options
from strmline.db.models import EpgProgramme, User, VodMovie
from strmline.demo import demo_provider, run_fake_provider


@pytest.mark.timeout(60)
async def test_demo_prepare_fills_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRMLINE_BASE_URL", raising=False)
    monkeypatch.setenv("STRMLINE_DATA_DIR", str(tmp_path / "data"))
    settings = demo_settings("127.0.0.1", 8123)
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.data_dir == tmp_path / "data"
    settings.ensure_data_dir()

    provider = demo_provider(options=provider_options(settings.data_dir))
    with run_fake_provider(provider) as server:
        setup = await prepare(settings, server)
        assert setup.ok, setup.lines
        assert setup.admin == ADMIN and setup.password and setup.token
        # A second run re-points the providers and keeps the admin: no password to show.
        again = await prepare(settings, server)
    assert again.ok, again.lines
    assert again.admin == ADMIN and again.password is None and again.token == setup.token

    now = datetime.now(UTC)
    async with open_db(settings) as factory, factory() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        movies = await session.scalar(select(func.count()).select_from(VodMovie))
        latest = await session.scalar(select(func.max(EpgProgramme.stop)))
        earliest = await session.scalar(select(func.min(EpgProgramme.start)))
    assert movies and latest is not None and earliest is not None
    assert latest > now + timedelta(days=3)
    assert earliest < now - timedelta(hours=2)

    strm = list(settings.strm_dir.rglob("*.strm"))
    assert strm, "no .strm files written"
    urls = {path.read_text().strip() for path in strm}
    assert all(url.startswith("http://127.0.0.1:8123/play/") for url in urls), sorted(urls)[:3]
    assert any("/play/movie/" in url for url in urls)
    assert all(f"token={setup.token}" in url for url in urls)


def test_demo_settings_follow_the_listen_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRMLINE_BASE_URL", raising=False)
    assert demo_settings("0.0.0.0", 9000).base_url == "http://127.0.0.1:9000"
    assert demo_settings("::1", 9000).base_url == "http://[::1]:9000"
    monkeypatch.setenv("STRMLINE_BASE_URL", "https://tv.example")
    assert demo_settings("127.0.0.1", 9000).base_url == "https://tv.example"
