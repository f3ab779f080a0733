"""``strmline process`` end to end: the real command in a subprocess, real files, real HTTP."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from strmline.demo import FakeProviderServer, serve_in_thread

PLAYLIST = """#EXTM3U
#EXTINF:-1 tvg-id="ESPN.us" group-title="Sports",US: ESPN HD
http://a.example/espn-hd.ts
#EXTINF:-1 tvg-id="ESPN.us" group-title="Sports",US: ESPN 4K
http://a.example/espn-4k.ts
#EXTINF:-1 group-title="Sports",|US| ESPN SD
http://b.example/espn-sd.ts
#EXTINF:-1 group-title="Sports",US: ESPN 2 FHD
http://a.example/espn2.ts
#EXTINF:-1 group-title="News",UK | BBC ONE FHD
http://a.example/bbc1.ts
#EXTINF:-1 group-title="News/World",../../etc/passwd
http://a.example/evil.ts
#EXTINF:-1 group-title="News",No URL here
#EXTINF:-1 group-title="News",CNN
http://a.example/cnn.ts
"""


def strmline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "strmline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


@pytest.fixture
def playlist(tmp_path: Path) -> Path:
    path = tmp_path / "list.m3u"
    path.write_text(PLAYLIST)
    return path


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.strm"))}


def test_process_merges_and_picks_best(playlist: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = strmline("process", str(playlist), "--out", str(out), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["entries"] == 7
    assert summary["channels"] == 5
    assert summary["duplicates_merged"] == 2
    assert summary["files_written"] == 5
    assert summary["skipped"] == [
        {"source": "line 14", "reason": "#EXTINF without a URL (next #EXTINF at line 15)"}
    ]
    written = files(out)
    assert written["ESPN.strm"] == "http://a.example/espn-4k.ts\n"
    assert written["ESPN 2.strm"] == "http://a.example/espn2.ts\n"
    assert written["BBC One.strm"] == "http://a.example/bbc1.ts\n"
    assert "CNN.strm" in written
    evil = [name for name in written if "passwd" in name]
    assert evil and all("/" not in name and ".." not in name for name in evil)
    assert not (tmp_path / "etc").exists()

    again = json.loads(
        strmline("process", str(playlist), "--out", str(out), "--json", cwd=tmp_path).stdout
    )
    assert again["files_written"] == 0 and again["files_unchanged"] == 5


def test_prefer_quality_and_all(playlist: Path, tmp_path: Path) -> None:
    out = tmp_path / "hd"
    summary = json.loads(
        strmline(
            "process", str(playlist), "--out", str(out), "--prefer", "hd", "--json", cwd=tmp_path
        ).stdout
    )
    assert files(out) == {"ESPN.strm": "http://a.example/espn-hd.ts\n"}
    reasons = {s["source"]: s["reason"] for s in summary["skipped"]}
    assert reasons["channel BBC One"] == "no HD stream"

    out_all = tmp_path / "all"
    strmline("process", str(playlist), "--out", str(out_all), "--prefer", "all", cwd=tmp_path)
    names = set(files(out_all))
    assert {"ESPN [HD].strm", "ESPN [UHD].strm", "ESPN [SD].strm"} <= names

    out_nomerge = tmp_path / "nomerge"
    summary = json.loads(
        strmline(
            "process",
            str(playlist),
            "--out",
            str(out_nomerge),
            "--no-merge",
            "--json",
            cwd=tmp_path,
        ).stdout
    )
    assert summary["files_written"] == 7 and summary["duplicates_merged"] == 0


def test_by_category_and_clean(playlist: Path, tmp_path: Path) -> None:
    out = tmp_path / "cat"
    keep = out / "notes.txt"
    out.mkdir()
    keep.write_text("mine")
    (out / "Old Channel.strm").write_text("http://old\n")
    done = strmline(
        "process",
        str(playlist),
        "--out",
        str(out),
        "--by-category",
        "--clean",
        "--json",
        cwd=tmp_path,
    )
    summary = json.loads(done.stdout)
    assert summary["files_removed"] == 1
    written = files(out)
    assert "Sports/ESPN.strm" in written and "News/BBC One.strm" in written
    assert any(name.startswith("News World/") for name in written)  # "/" in a group is not a folder
    assert keep.read_text() == "mine"


def test_gzip_playlist_over_http(tmp_path: Path) -> None:
    body = gzip.compress(PLAYLIST.encode())

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        assert scope["type"] == "http"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/gzip")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    with serve_in_thread(app) as url:
        done = strmline(
            "process", f"{url}/list.m3u.gz", "--out", str(tmp_path / "gz"), "--json", cwd=tmp_path
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["channels"] == 5


def test_gzip_content_encoding_from_fake_provider(
    fake_provider: FakeProviderServer, tmp_path: Path
) -> None:
    fake_provider.faults.set("gzip", account="acme")
    done = strmline(
        "process",
        fake_provider.playlist_url("acme"),
        "--out",
        str(tmp_path / "fp"),
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["entries"] == len(fake_provider.account("acme").catalog.live)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("missing.m3u", "file not found"),
        ("http://127.0.0.1:9/list.m3u", "connection refused"),
        ("page.html", "HTML"),
    ],
)
def test_bad_sources_fail_with_one_clear_line(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "page.html").write_text("<!DOCTYPE html><html><body>Login</body></html>")
    done = strmline("process", source, "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
