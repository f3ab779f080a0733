"""Pure helpers behind health checks and the proxy: TS sync, sniffing, HLS, connection rules."""

from __future__ import annotations

from strmline.formats.media import (
    TS_PACKET,
    TsAligner,
    best_variant,
    find_pat,
    find_ts_sync,
    parse_playlist,
    sniff,
)
from strmline.pipelines.health import parse_ffprobe, probe_values
from strmline.playback.connections import ConnectionTracker, limit_from

NULL = b"\x47\x1f\xff\x10" + b"\xff" * 184
PAT = b"\x47\x40\x00\x10" + b"\x00" * 184


def test_health_ts_sync_and_pat() -> None:
    assert find_ts_sync(NULL * 3) == 0
    assert find_ts_sync(b"\x00\x47junk" + NULL * 3) == 6
    assert find_ts_sync(b"\x47" + b"\x00" * 600) is None
    assert find_pat(NULL * 2 + PAT) == 2 * TS_PACKET
    assert find_pat(NULL * 3) is None


def test_health_aligner_emits_whole_packets_and_resyncs() -> None:
    aligner = TsAligner()
    stream = NULL * 5 + b"garbage\x47garbage" + PAT + NULL * 3
    out = b"".join(aligner.feed(stream[i : i + 100]) for i in range(0, len(stream), 100))
    assert len(out) % TS_PACKET == 0
    assert all(out[i] == 0x47 for i in range(0, len(out), TS_PACKET))
    assert out.startswith(NULL * 5) and PAT in out
    assert aligner.dropped > 0


def test_health_sniff() -> None:
    assert sniff("video/mp2t", NULL * 4) == "ts"
    assert sniff("application/octet-stream", NULL * 4) == "ts"  # bytes beat the header
    assert sniff("text/html", b"<!DOCTYPE html><html>") == "html"
    assert sniff(None, b"<html><body>login") == "html"
    assert sniff("application/json", b'{"error": "expired"}') == "json"
    assert sniff("application/vnd.apple.mpegurl", b"#EXTM3U\n#EXT-X-VERSION:3\n") == "hls"
    assert sniff("video/mp2t", b"") == "empty"


def test_health_hls_playlists() -> None:
    master = parse_playlist(
        "#EXTM3U\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nlow/index.m3u8\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1,mp4a"\nhd.m3u8\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\n/abs/720.m3u8\n",
        "http://h/live/ch/master.m3u8",
    )
    assert master.is_master
    best = best_variant(master.variants)
    assert best is not None and best.url == "http://h/live/ch/hd.m3u8" and best.height == 1080
    media = parse_playlist(
        "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:42\n#EXTINF:6.0,\nseg42.ts\n"
        "#EXTINF:6.0,\nhttp://cdn/seg43.ts\n",
        "http://h/live/ch/hd.m3u8",
    )
    assert not media.is_master and media.media_sequence == 42 and media.target_duration == 6
    assert media.segments == ("http://h/live/ch/seg42.ts", "http://cdn/seg43.ts")


def test_health_probe_values() -> None:
    info = parse_ffprobe(
        b'{"streams":[{"codec_type":"audio","codec_name":"aac"},'
        b'{"codec_type":"video","codec_name":"hevc","width":3840,"height":2160,'
        b'"avg_frame_rate":"50/1","bit_rate":"12000000"}],"format":{}}'
    )
    assert info is not None and info.height == 2160 and info.fps == 50
    values = probe_values(info)
    assert values["quality"] == "UHD" and values["codec"] == "hevc"
    assert values["bitrate"] == 12_000_000
    assert parse_ffprobe(b"not json") is None


def test_health_connection_rules() -> None:
    assert limit_from(5, None) == 5
    assert limit_from(5, {"user_info": {"max_connections": "2"}}) == 2
    assert limit_from(None, {"max_connections": 0}) is None
    tracker = ConnectionTracker()
    viewer = tracker.acquire(1, "view", 3)
    assert viewer is not None
    check = tracker.acquire(1, "health", 3)
    assert check is not None
    # One viewer and one check on a 3-connection account: the last slot stays with viewers.
    assert tracker.acquire(1, "health", 3) is None
    second_viewer = tracker.acquire(1, "view", 3)
    assert second_viewer is not None
    assert tracker.acquire(1, "view", 3) is None
    for lease in (viewer, check, second_viewer):
        lease.release()
        lease.release()  # harmless
    assert tracker.usage(1) == (0, 0)
    assert tracker.acquire(2, "health", None) is not None  # no limit known
