"""Where a late joiner can start: the channel's last PAT/PMT and its packets since the last
keyframe (a GOP cache).

A viewer who joins a running channel is handed the PAT, the PMT and the cached packets from the
last keyframe on, then the live packets: its decoder locks on at once and its first picture
decodes, instead of a GOP of "non-existing PPS" errors (the old start at the next PAT). When
nothing is cached (no PMT with video yet, a GOP longer than the cache bound) the joiner waits for
the next keyframe. Fed by the hub with whole, aligned packets; the cost is one pass over the
packet headers per chunk per channel, not per viewer.
"""

from __future__ import annotations

from strmline.formats.media import TS_PACKET, keyframe_start, parse_pat, parse_pmt

__all__ = ["DEFAULT_MAX_BYTES", "GopCache"]

DEFAULT_MAX_BYTES = 8 << 20  # about 10 s at 6 Mbit/s: longer GOPs are not cached


class GopCache:
    __slots__ = ("_gop", "_pmt_pids", "codec", "max_bytes", "pat", "pmt", "video_pid")

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.pat: bytes | None = None
        self.pmt: bytes | None = None
        self.video_pid: int | None = None
        self.codec = ""
        self._pmt_pids: frozenset[int] = frozenset()
        self._gop: bytearray | None = None  # None: no keyframe since the last reset/overflow

    def reset(self) -> None:
        """A new upstream: its PIDs and keyframes are its own."""
        self.pat = self.pmt = None
        self.video_pid = None
        self.codec = ""
        self._pmt_pids = frozenset()
        self._gop = None

    @property
    def knows_video(self) -> bool:
        return self.video_pid is not None and self.pat is not None and self.pmt is not None

    def header(self) -> bytes:
        """The PAT and PMT a joiner needs before anything else (b"" until both were seen)."""
        if self.pat is None or self.pmt is None:
            return b""
        return self.pat + self.pmt

    def snapshot(self) -> bytes | None:
        """PAT + PMT + every packet since the last keyframe, or None when there is none."""
        if self._gop is None or not self.knows_video:
            return None
        return self.header() + bytes(self._gop)

    def feed(self, packets: bytes) -> int | None:
        """Take aligned packets in stream order; the offset of the first keyframe among them."""
        first: int | None = None
        last: int | None = None
        video = self.video_pid
        for pos in range(0, len(packets) - TS_PACKET + 1, TS_PACKET):
            b1 = packets[pos + 1]
            if not b1 & 0x40:  # only payload-unit starts matter here
                continue
            pid = ((b1 & 0x1F) << 8) | packets[pos + 2]
            if pid == video:
                if keyframe_start(packets[pos : pos + TS_PACKET], self.codec):
                    if first is None:
                        first = pos
                    last = pos
            elif pid == 0:
                self._on_pat(packets[pos : pos + TS_PACKET])
            elif pid in self._pmt_pids:
                self._on_pmt(packets[pos : pos + TS_PACKET])
                video = self.video_pid
        if last is not None:
            self._gop = bytearray(packets[last:])
        elif self._gop is not None:
            self._gop += packets
        if self._gop is not None and len(self._gop) > self.max_bytes:
            self._gop = None
        return first

    def _on_pat(self, packet: bytes) -> None:
        pids = parse_pat(packet)
        if pids:
            self.pat = packet
            self._pmt_pids = frozenset(pids)

    def _on_pmt(self, packet: bytes) -> None:
        found = parse_pmt(packet)
        if found is None:
            return
        pid, codec = found
        if pid != self.video_pid:
            self._gop = None  # another video PID: the old keyframe is not one of it
        self.pmt = packet
        self.video_pid, self.codec = pid, codec
