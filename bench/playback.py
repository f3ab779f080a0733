"""Benchmark: the playback proxy of a running ``strmline serve``, fed by the fake provider.

Starts real processes as the end-to-end tier does (the fake provider with real H.264/AAC media,
``strmline db upgrade``, ``strmline serve`` in proxy mode on SQLite), seeds a few channels
straight into the database, and measures over HTTP:

- ``fanout``: N viewers of one channel from one upstream, HLS and TS: the server's CPU per viewer
  (% of one core, from /proc) and the throughput each viewer got;
- ``failover``: one viewer while the first stream dies (``/_control/stream-fault``): the longest
  silence the viewer saw around the switch (the last packet of the dying stream to the first of
  the next), next to the longest silence before the fault (an HLS upstream arrives in bursts);
- ``join``: a late joiner of a channel with a 2 s GOP (a second fake provider serving a clip
  encoded so): from the request to its first complete video frame, and whether ffmpeg decodes
  that first frame without errors.

Prints one JSON line per measurement; asserts nothing (DESIGN.md section 7).

    .venv/bin/python bench/playback.py [--viewers 50] [--seconds 12] [--joins 5]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from api import server_process  # noqa: E402

from strmline.db.engine import (  # noqa: E402
    create_engine,
    make_session_factory,
    session_scope,
)
from strmline.db.models import Channel, Provider, Stream  # noqa: E402
from strmline.formats.media import TS_PACKET, keyframe_start, parse_pat, parse_pmt  # noqa: E402
from tests.dbutil import sqlite_url  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    FakeProviderProc,
    Proc,
    clean_env,
    run_cli,
    start,
    start_fake_provider,
)

ADMIN = {"username": "admin", "password": "bench horse battery"}
TICKS = os.sysconf("SC_CLK_TCK")
DECODE_ERRORS = (
    "non-existing PPS",
    "no frame!",
    "decode_slice_header error",
    "error while decoding",
)


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


# ---- processes and data --------------------------------------------------------------------


def gop2_clip(path: Path) -> None:
    """An 8 s clip with a keyframe every 2 s (50 frames at 25 fps), like many real channels."""
    args = [
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "8", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline",
        "-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
        "-b:v", "600k", "-c:a", "aac", "-b:a", "64k", "-ac", "2",
        "-pes_payload_size", "0", "-f", "mpegts", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True, timeout=120)


def live_ids(fake: FakeProviderProc) -> list[int]:
    resp = httpx.get(
        f"{fake.url}/player_api.php",
        params={
            "username": "acme",
            "password": fake.accounts["acme"],
            "action": "get_live_streams",
        },
        timeout=30,
    )
    resp.raise_for_status()
    return sorted(int(s["stream_id"]) for s in resp.json())


async def seed(db: Path, fake: FakeProviderProc, gop2: FakeProviderProc) -> dict[str, int]:
    """Channels, each with its streams in rank order; returns channel ids by role."""
    ids = live_ids(fake)
    password = fake.accounts["acme"]

    def url(base: str, sid: int, ext: str) -> str:
        return f"{base}/live/acme/{password}/{sid}.{ext}"

    plan = {
        "hls": [url(fake.url, ids[0], "m3u8")],
        "ts": [url(fake.url, ids[1], "ts")],
        "failover_hls": [url(fake.url, ids[2], "m3u8"), url(fake.url, ids[3], "m3u8")],
        "failover_ts": [url(fake.url, ids[4], "ts"), url(fake.url, ids[5], "ts")],
        "join": [url(gop2.url, ids[6], "ts")],
    }
    engine = create_engine(sqlite_url(db))
    factory = make_session_factory(engine)
    out: dict[str, int] = {}
    async with session_scope(factory) as s:
        pid = (
            await s.execute(
                insert(Provider)
                .values(name="bench", kind="m3u", url=fake.url, backup_urls=[])
                .returning(Provider.id)
            )
        ).scalar_one()
        for n, (role, urls) in enumerate(plan.items()):
            cid = (
                await s.execute(
                    insert(Channel)
                    .values(name=role, search_name=role, match_key=role, stream_count=len(urls))
                    .returning(Channel.id)
                )
            ).scalar_one()
            out[role] = cid
            for rank, stream_url in enumerate(urls, 1):
                await s.execute(
                    insert(Stream).values(
                        provider_id=pid,
                        channel_id=cid,
                        provider_key=f"{n}-{rank}",
                        name=f"{role} {rank}",
                        url=stream_url,
                        content_hash="x",
                        rank=rank,
                    )
                )
    await engine.dispose()
    for role, urls in plan.items():
        out[f"{role}_fake_id"] = int(urls[0].rsplit("/", 1)[1].split(".")[0])
    return out


def api_login(base: str) -> tuple[str, dict[str, str]]:
    """The admin's API token (for /play) and headers for the admin API."""
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post("/api/setup", json=ADMIN).raise_for_status()
        tokens = http.post("/api/auth/login", json=ADMIN).json()
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        token = str(http.get("/api/auth/api-token").json()["api_token"])
        return token, {"Authorization": http.headers["Authorization"]}


# ---- measurements ---------------------------------------------------------------------------


async def read_for(client: httpx.AsyncClient, url: str, seconds: float) -> int:
    got = 0
    deadline = time.monotonic() + seconds
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            return -response.status_code
        async for chunk in response.aiter_raw():
            got += len(chunk)
            if time.monotonic() >= deadline:
                break
    return got


async def read_clients(url: str, clients: int, seconds: float) -> list[int]:
    limits = httpx.Limits(max_connections=clients + 1)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # The first viewer opens the channel; the rest join the running upstream.
        first = asyncio.ensure_future(read_for(client, url, seconds + 1))
        await asyncio.sleep(1.0)
        rest = [read_for(client, url, seconds) for _ in range(clients - 1)]
        return [await first, *await asyncio.gather(*rest)]


def fanout(server_pid: int, url: str, kind: str, viewers: int, seconds: float) -> None:
    """Viewers read in a child process, so only the server's CPU is counted."""
    cpu0, t0 = cpu_seconds(server_pid), time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--read-clients", url, str(viewers), str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(server_pid) - cpu0
    per = json.loads(out)
    ok = [b for b in per if b > 0]
    emit(
        bench="playback_fanout",
        upstream=kind,
        viewers=viewers,
        viewers_served=len(ok),
        seconds=seconds,
        server_cpu_percent=round(cpu / wall * 100, 2),
        cpu_percent_per_viewer=round(cpu / wall * 100 / viewers, 3),
        mbps_per_viewer=round(statistics.mean(ok) * 8 / 1e6 / seconds, 3) if ok else 0,
        min_mbps=round(min(ok) * 8 / 1e6 / seconds, 3) if ok else 0,
    )


async def failover(
    fake: FakeProviderProc, url: str, kind: str, fake_id: int, active: tuple[str, dict[str, str]]
) -> None:
    arrivals: list[float] = []
    viewer: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    if kind == "ts":
        # A TS connection in progress ignores new faults: this one ends after ~4 s of media.
        fake.control("stream-fault", {"stream_id": fake_id, "kind": "die_after",
                                      "after_bytes": 400_000, "account": "acme", "times": 1})  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:

        async def watch() -> None:
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_raw():
                    arrivals.append(loop.time())
                    if loop.time() - arrivals[0] > 14:
                        return

        task = asyncio.ensure_future(watch())
        await asyncio.sleep(5)
        fault_at = loop.time()
        if kind == "hls":
            fake.control("stream-fault", {"stream_id": fake_id, "kind": "dead", "account": "acme"})
        await asyncio.sleep(6)
        # What the server says about this viewer: the stream switch really happened.
        items = (await client.get(active[0], headers=active[1])).json()["items"]
        viewer = items[0] if len(items) == 1 else {"viewers": len(items)}
        await task
    fake.control("clear", {})
    gaps = [(b, b - a) for a, b in itertools.pairwise(arrivals)]
    # Before the fault (TS: the first 3 s, the stream dies after about 4.6 s) and after it.
    split = fault_at if kind == "hls" else (arrivals[0] + 3.0 if arrivals else 0.0)
    before = [gap for at, gap in gaps if at < split - 0.5]
    window = [gap for at, gap in gaps if at >= split]
    emit(
        bench="playback_failover",
        upstream=kind,
        gap_ms=round(max(window, default=0) * 1000),
        normal_max_gap_ms=round(max(before, default=0) * 1000),
        viewer_disconnected=bool(arrivals) and loop.time() - arrivals[-1] > 3,
        switches=viewer.get("switches"),
        seconds_watched=round(arrivals[-1] - arrivals[0], 1) if arrivals else 0,
    )


def first_frame_at(chunks: list[tuple[float, bytes]]) -> tuple[float | None, bool, bytes]:
    """When the first video frame was complete, whether it is a keyframe, and the bytes."""
    data = bytearray()
    pmt_pids: list[int] = []
    video: int | None = None
    codec = ""
    first_key: bool | None = None
    for at, chunk in chunks:
        start = len(data) - len(data) % TS_PACKET
        data += chunk
        for off in range(start, len(data) - TS_PACKET + 1, TS_PACKET):
            packet = bytes(data[off : off + TS_PACKET])
            pid = ((packet[1] & 0x1F) << 8) | packet[2]
            if pid == 0:
                pmt_pids = parse_pat(packet)
            elif pid in pmt_pids and video is None and (found := parse_pmt(packet)):
                video, codec = found
            elif video is not None and pid == video and packet[1] & 0x40:
                if first_key is None:
                    first_key = keyframe_start(packet, codec)
                else:
                    return at, first_key, bytes(data)
    return None, bool(first_key), bytes(data)


async def join(url: str, joins: int) -> None:
    """A first viewer keeps the 2 s-GOP channel running; late joiners come at spread offsets."""
    times: list[float] = []
    keyframes = decodes = 0
    async with httpx.AsyncClient(timeout=30) as client:
        keeper = asyncio.ensure_future(read_for(client, url, 8 + joins * 4))
        await asyncio.sleep(3)
        loop = asyncio.get_running_loop()
        for n in range(joins):
            await asyncio.sleep(0.7 + 0.45 * n)  # land at different points of the GOP
            chunks: list[tuple[float, bytes]] = []
            started = loop.time()
            async with client.stream("GET", url) as response:
                async for chunk in response.aiter_raw():
                    chunks.append((loop.time(), chunk))
                    if loop.time() - started > 2.5:
                        break
            done_at, key, data = first_frame_at(chunks)
            if done_at is not None:
                times.append(done_at - started)
            keyframes += key
            decodes += first_frame_decodes(data)
        keeper.cancel()
    emit(
        bench="playback_join",
        gop_seconds=2,
        joins=joins,
        first_frame_ms_median=round(statistics.median(times) * 1000) if times else None,
        first_frame_ms_max=round(max(times) * 1000) if times else None,
        started_on_keyframe=keyframes,
        first_frame_decoded_clean=decodes,
    )


def first_frame_decodes(data: bytes) -> bool:
    """Does ffmpeg decode the first frame of ``data`` without complaint?"""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "warning", "-f", "mpegts", "-i", "pipe:0",
         "-map", "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"],
        input=data, capture_output=True, timeout=30,
    )  # fmt: skip
    err = done.stderr.decode(errors="replace")
    frames = sum(line.startswith(b"0,") for line in done.stdout.splitlines())
    return frames == 1 and not any(e in err for e in DECODE_ERRORS)


# ---- main -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="strmline-bench-playback-"))
    procs: list[Proc] = []
    try:
        media = Path(os.environ.get("STRMLINE_BENCH_MEDIA_DIR") or work / "media")
        gop2_file = work / "gop2.ts"
        gop2_clip(gop2_file)
        env = clean_env(STRMLINE_DATA_DIR=str(work / "data"))
        fake = start_fake_provider(work, media, env)
        procs.append(fake.proc)
        (work / "gop2").mkdir()
        gop2 = start_fake_provider_with(work / "gop2", media, env, gop2_file)
        procs.append(gop2.proc)
        env.update(
            STRMLINE_PLAYBACK__MODE="proxy",
            STRMLINE_PLAYBACK__CLIENT_BUFFER_CHUNKS="1024",
            STRMLINE_PLAYBACK__GRACE_SECONDS="1",
        )
        run_cli(["db", "upgrade"], env=env, cwd=work)
        asyncio.run(measure(args, work / "data", env, fake, gop2))
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(work, ignore_errors=True)


async def measure(
    args: argparse.Namespace,
    data_dir: Path,
    env: dict[str, str],
    fake: FakeProviderProc,
    gop2: FakeProviderProc,
) -> None:
    db = data_dir / "strmline.db"
    roles = await seed(db, fake, gop2)
    async with server_process(sqlite_url(db), data_dir, env=env) as (base, server):
        token, admin = api_login(base)

        def play(role: str) -> str:
            return f"{base}/play/{roles[role]}?token={token}"

        for kind in ("hls", "ts"):
            await asyncio.to_thread(
                fanout, server.pid, play(kind), kind, args.viewers, args.seconds
            )
        for kind in ("hls", "ts"):
            role = f"failover_{kind}"
            active = (f"{base}/api/streams/active", admin)
            await failover(fake, play(role), kind, roles[f"{role}_fake_id"], active)
        await join(play("join"), args.joins)


def start_fake_provider_with(
    workdir: Path, media: Path, env: dict[str, str], ts_file: Path
) -> FakeProviderProc:
    """A second fake provider whose live streams loop ``ts_file``."""
    args = [sys.executable, "-m", "strmline.demo", "--control", "--media-dir", str(media),
            "--ts-file", str(ts_file)]  # fmt: skip
    proc = start("fake-provider-gop2", args, env=env, cwd=workdir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in proc.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"url"' in line:
                info = json.loads(line)
                return FakeProviderProc(proc, info["url"], info["accounts"])
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"fake provider did not start:\n{proc.tail()}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--read-clients":
        got = asyncio.run(read_clients(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
        print(json.dumps(got))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--joins", type=int, default=5)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
