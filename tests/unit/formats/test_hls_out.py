"""Live HLS for browsers: PES timestamps and the playlist text."""

from __future__ import annotations

from strmline.formats.hls_out import SegmentInfo, pes_pts, pts_seconds, render_playlist


def _pes_packet(pts: int, *, adaptation: bool = False) -> bytes:
    """A TS packet of PID 0x100 starting a PES with a PTS."""
    b = bytes(
        [
            0x21 | ((pts >> 29) & 0x0E),
            (pts >> 22) & 0xFF,
            ((pts >> 14) & 0xFE) | 1,
            (pts >> 7) & 0xFF,
            ((pts << 1) & 0xFE) | 1,
        ]
    )
    pes = b"\x00\x00\x01\xe0\x00\x00\x80\x80\x05" + b
    header = b"\x47\x41\x00" + (b"\x30\x07\x50" + b"\x00" * 6 if adaptation else b"\x10")
    packet = header + pes
    return packet + b"\xff" * (188 - len(packet))


def test_pes_pts_reads_the_timestamp_with_or_without_adaptation_field() -> None:
    for pts in (0, 90_000, (1 << 33) - 1, 123_456_789):
        assert pes_pts(_pes_packet(pts)) == pts
        assert pes_pts(_pes_packet(pts, adaptation=True)) == pts


def test_pes_pts_is_none_where_no_pes_starts() -> None:
    packet = bytearray(_pes_packet(900))
    packet[1] &= ~0x40  # not a payload unit start
    assert pes_pts(bytes(packet)) is None
    assert pes_pts(b"\x47\x41\x00\x10" + b"\xff" * 184) is None
    assert pes_pts(b"\x47") is None


def test_durations_cross_the_33_bit_wrap() -> None:
    assert pts_seconds(0, 180_000) == 2.0
    assert pts_seconds((1 << 33) - 90_000, 90_000) == 2.0


def test_playlist_lists_segments_with_token_and_discontinuities() -> None:
    text = render_playlist(
        [
            SegmentInfo(7, 2.002, False),
            SegmentInfo(8, 2.5, False),
            SegmentInfo(9, 1.9, True),
        ],
        suffix="?token=abc",
    )
    lines = text.splitlines()
    assert lines[:4] == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:3",
        "#EXT-X-MEDIA-SEQUENCE:7",
    ]
    assert "7.ts?token=abc" in lines and "#EXTINF:2.500," in lines
    assert lines[lines.index("9.ts?token=abc") - 2] == "#EXT-X-DISCONTINUITY"
    assert "#EXT-X-ENDLIST" not in text  # live
