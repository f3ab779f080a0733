"""An MPEG-TS clip played as an endless stream with continuous timestamps.

Looping a clip byte for byte makes PTS/DTS/PCR jump back at every loop and breaks continuity
counters, which players report as errors or stall on. ``TsLoop`` parses the clip once and serves
the infinite stream "clip, clip shifted by one clip duration, shifted by two, ..." where every
timestamp of loop ``L`` is the original plus ``L * duration`` and every PID's continuity counter
keeps counting. All positions to patch are found up front so serving a chunk costs one slice
copy plus a handful of small writes.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

TS_PACKET = 188
CLOCK = 90_000  # PTS/DTS/PCR-base ticks per second
WRAP = 1 << 33
_NULL_PID = 0x1FFF
# PES stream ids without the optional header that carries PTS/DTS.
_NO_PES_HEADER = frozenset({0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xF2, 0xF8, 0xFF})
_PCR, _PTS = 0, 1
_SDT_PID = 0x11


@dataclass(frozen=True, slots=True)
class Stamp:
    """One timestamp in the clip: where it is and its original value (90 kHz ticks)."""

    packet: int
    offset: int  # byte offset inside the packet
    kind: int  # _PCR, or _PTS for both PTS and DTS fields (same 5-byte layout)
    value: int
    prefix: int  # the 4 bits in front of a PTS/DTS, or the PCR extension (9 bits)


@dataclass(frozen=True, slots=True)
class Cut:
    """Where a segment may start (PSI right before a keyframe) and its time in the clip."""

    packet: int
    ticks: int


def read_pts(data: bytes | bytearray, pos: int) -> int:
    return (
        ((data[pos] >> 1) & 0x07) << 30
        | data[pos + 1] << 22
        | (data[pos + 2] >> 1) << 15
        | data[pos + 3] << 7
        | data[pos + 4] >> 1
    )


def write_pts(out: bytearray, pos: int, prefix: int, value: int) -> None:
    out[pos] = (prefix << 4) | ((value >> 29) & 0x0E) | 1
    out[pos + 1] = (value >> 22) & 0xFF
    out[pos + 2] = ((value >> 14) & 0xFE) | 1
    out[pos + 3] = (value >> 7) & 0xFF
    out[pos + 4] = ((value << 1) & 0xFE) | 1


def read_pcr(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    """(base in 90 kHz ticks, 27 MHz extension)."""
    raw = int.from_bytes(data[pos : pos + 6], "big")
    return raw >> 15, raw & 0x1FF


def write_pcr(out: bytearray, pos: int, base: int, ext: int) -> None:
    out[pos : pos + 6] = ((base << 15) | (0x3F << 9) | ext).to_bytes(6, "big")


@dataclass(slots=True)
class _Packet:
    pid: int
    pusi: bool
    has_payload: bool
    payload: int  # byte offset of the payload in the packet
    rai: bool
    pcr: int | None  # byte offset of the PCR in the packet


def _parse(pkt: bytes) -> _Packet:
    pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
    afc = (pkt[3] >> 4) & 3
    payload, rai, pcr = 4, False, None
    if afc & 2:
        af_len = pkt[4]
        payload = 5 + af_len
        if af_len:
            flags = pkt[5]
            rai = bool(flags & 0x40)
            if flags & 0x10 and af_len >= 7:
                pcr = 6
    return _Packet(
        pid, bool(pkt[1] & 0x40), bool(afc & 1) and payload < TS_PACKET, payload, rai, pcr
    )


def _pes_stamps(pkt: bytes, index: int, start: int) -> list[Stamp]:
    """PTS (and DTS) of a PES starting at ``start`` in ``pkt``; [] when it is not a PES."""
    head = pkt[start : start + 14]
    if len(head) < 9 or head[:3] != b"\x00\x00\x01" or head[3] in _NO_PES_HEADER:
        return []
    flags = head[7] >> 6
    stamps = []
    if flags & 2 and start + 14 <= TS_PACKET:
        pos = start + 9
        stamps.append(Stamp(index, pos, _PTS, read_pts(pkt, pos), pkt[pos] >> 4))
    if flags == 3 and start + 19 <= TS_PACKET:
        pos = start + 14
        stamps.append(Stamp(index, pos, _PTS, read_pts(pkt, pos), pkt[pos] >> 4))
    return stamps


def _align(data: bytes) -> bytes:
    start = data.find(b"\x47")
    data = data[max(start, 0) :]
    return data[: len(data) - len(data) % TS_PACKET]


def _most_common_step(values: list[int]) -> int:
    steps = Counter(b - a for a, b in itertools.pairwise(values) if b > a)
    return steps.most_common(1)[0][0] if steps else 0


class TsLoop:
    """The endless, timestamp-continuous version of a TS clip; see the module docstring.

    Global packet ``g`` of the endless stream is packet ``g % packets`` of loop ``g // packets``.
    """

    def __init__(self, data: bytes) -> None:
        data = _align(data)
        packets = [data[i : i + TS_PACKET] for i in range(0, len(data), TS_PACKET)]
        parsed = [_parse(p) for p in packets]
        pes_pid, first_ts, pes_ts = self._scan(packets, parsed)
        self.duration = 0  # ticks one loop lasts; 0 = no timing, served as a plain byte loop
        if pes_pid is not None:
            ts = sorted(pes_ts[pes_pid])
            step = _most_common_step(ts)
            if step:
                self.duration = ts[-1] - ts[0] + step
        if self.duration:
            packets, parsed = self._trim(packets, parsed, first_ts)
        self.clip = b"".join(packets)
        self.packets = len(packets)
        self.byte_rate = self.packets * TS_PACKET * CLOCK / self.duration if self.duration else 0.0
        self._cc_index, self._cc_count = self._continuity(parsed)
        self.stamps = self._stamps(packets, parsed) if self.duration else []
        self._stamp_packets = [s.packet for s in self.stamps]
        self.cuts = self._cuts(packets, parsed, pes_pid, first_ts) if self.duration else []
        self._variants: dict[int, bytes] = {}

    # ---- parsing ----------------------------------------------------------------------------

    @staticmethod
    def _scan(
        packets: list[bytes], parsed: list[_Packet]
    ) -> tuple[int | None, dict[int, int], dict[int, list[int]]]:
        """The PID that times the loop (video first), and each PES PID's decode times."""
        pes_ts: dict[int, list[int]] = {}
        video: int | None = None
        for i, (pkt, p) in enumerate(zip(packets, parsed, strict=True)):
            if not (p.pusi and p.has_payload):
                continue
            stamps = _pes_stamps(pkt, i, p.payload)
            if not stamps:
                continue
            # DTS when present (last), PTS otherwise: decode order is what must not repeat.
            pes_ts.setdefault(p.pid, []).append(stamps[-1].value)
            if video is None and 0xE0 <= pkt[p.payload + 3] <= 0xEF:
                video = p.pid
        first = {pid: min(values) for pid, values in pes_ts.items()}
        if video is None and pes_ts:
            video = max(pes_ts, key=lambda pid: len(pes_ts[pid]))
        return video, first, pes_ts

    def _trim(
        self, packets: list[bytes], parsed: list[_Packet], first_ts: dict[int, int]
    ) -> tuple[list[bytes], list[_Packet]]:
        """Drop PES that start a full loop after their PID's first one.

        An encoder flushes audio past the video's end (AAC priming), and that last frame would
        overlap the next loop's first one.
        """
        keep_packets, keep_parsed = [], []
        dropping: set[int] = set()
        for pkt, p in zip(packets, parsed, strict=True):
            if p.pusi and p.has_payload:
                stamps = _pes_stamps(pkt, 0, p.payload)
                if stamps:
                    late = stamps[-1].value - first_ts[p.pid] >= self.duration
                    if late:
                        dropping.add(p.pid)
                    else:
                        dropping.discard(p.pid)
            if p.pid in dropping:
                continue
            keep_packets.append(pkt)
            keep_parsed.append(p)
        return keep_packets, keep_parsed

    @staticmethod
    def _continuity(parsed: list[_Packet]) -> tuple[list[int], dict[int, int]]:
        """Per packet, its PID's payload-packet index (what its CC counts); per PID, the total."""
        count: Counter[int] = Counter()
        index = []
        for p in parsed:
            if p.has_payload:
                index.append(count[p.pid])
                count[p.pid] += 1
            else:
                # Packets without payload repeat the last counter instead of advancing it.
                index.append(count[p.pid] - 1)
        return index, dict(count)

    @staticmethod
    def _stamps(packets: list[bytes], parsed: list[_Packet]) -> list[Stamp]:
        stamps: list[Stamp] = []
        for i, (pkt, p) in enumerate(zip(packets, parsed, strict=True)):
            if p.pcr is not None:
                base, ext = read_pcr(pkt, p.pcr)
                stamps.append(Stamp(i, p.pcr, _PCR, base, ext))
            if p.pusi and p.has_payload:
                stamps.extend(_pes_stamps(pkt, i, p.payload))
        return stamps

    @staticmethod
    def _cuts(
        packets: list[bytes], parsed: list[_Packet], video: int | None, first_ts: dict[int, int]
    ) -> list[Cut]:
        """Keyframes of the timing PID, moved back over the PSI the muxer put in front."""
        if video is None:
            return []
        psi = {0, _SDT_PID, _NULL_PID}
        for pkt, p in zip(packets, parsed, strict=True):
            if p.pid == 0 and p.pusi and p.has_payload:
                psi.update(_pmt_pids(pkt, p.payload))
        cuts = []
        for i, (pkt, p) in enumerate(zip(packets, parsed, strict=True)):
            if p.pid != video or not (p.pusi and p.rai):
                continue
            stamps = _pes_stamps(pkt, i, p.payload)
            if not stamps:
                continue
            start = i
            while start > 0 and parsed[start - 1].pid in psi:
                start -= 1
            cuts.append(Cut(start, stamps[-1].value - first_ts[video]))
        if not cuts or cuts[0].packet != 0:
            cuts.insert(0, Cut(0, 0))
        return cuts

    # ---- serving ----------------------------------------------------------------------------

    def _variant(self, loop: int) -> bytes:
        """The clip with the continuity counters of loop ``loop`` (they repeat every 16 loops)."""
        key = loop % 16
        data = self._variants.get(key)
        if data is None:
            out = bytearray(self.clip)
            count = self._cc_count
            index = self._cc_index
            for i in range(self.packets):
                pos = i * TS_PACKET + 3
                pid = ((out[pos - 2] & 0x1F) << 8) | out[pos - 1]
                if pid == _NULL_PID:
                    continue
                cc = (index[i] + key * count.get(pid, 0)) & 0x0F
                out[pos] = (out[pos] & 0xF0) | cc
            data = self._variants[key] = bytes(out)
        return data

    def read(self, start: int, count: int) -> bytes:
        """``count`` packets of the endless stream from global packet ``start``."""
        out = bytearray()
        while count > 0:
            loop, first = divmod(start, self.packets)
            last = min(first + count, self.packets)
            piece = bytearray(self._variant(loop)[first * TS_PACKET : last * TS_PACKET])
            if loop and self.duration:
                self._shift(piece, first, last, loop * self.duration)
            out += piece
            count -= last - first
            start += last - first
        return bytes(out)

    def _shift(self, piece: bytearray, first: int, last: int, ticks: int) -> None:
        lo = bisect.bisect_left(self._stamp_packets, first)
        hi = bisect.bisect_left(self._stamp_packets, last, lo)
        for stamp in self.stamps[lo:hi]:
            pos = (stamp.packet - first) * TS_PACKET + stamp.offset
            value = (stamp.value + ticks) % WRAP
            if stamp.kind == _PCR:
                write_pcr(piece, pos, value, stamp.prefix)
            else:
                write_pts(piece, pos, stamp.prefix, value)

    def chunks(self, packets_per_chunk: int, start: int = 0) -> Iterator[bytes]:
        """Endless packet-aligned chunks from global packet ``start``."""
        size = max(packets_per_chunk, 1)
        while True:
            yield self.read(start, size)
            start += size

    def segment_start(self, n: int, seconds: float) -> int:
        """Global packet where HLS segment ``n`` (of ``seconds`` each) starts: the first cut at
        or after ``n * seconds`` of the endless timeline, so every segment opens on a keyframe."""
        if not self.cuts:
            per = max(int(self.byte_rate * seconds) // TS_PACKET, 1)
            return n * per
        loop, rest = divmod(round(n * seconds * CLOCK), self.duration)
        # Half a frame of slack: cut times are frame times, segment times are exact seconds.
        tolerance = CLOCK // 50
        for cut in self.cuts:
            if cut.ticks + tolerance >= rest:
                return loop * self.packets + cut.packet
        return (loop + 1) * self.packets + self.cuts[0].packet

    def segment(self, n: int, seconds: float) -> bytes:
        start = self.segment_start(n, seconds)
        end = self.segment_start(n + 1, seconds)
        return self.read(start, max(end - start, 1))


def _pmt_pids(pkt: bytes, payload: int) -> list[int]:
    """PMT PIDs listed in a PAT section."""
    pos = payload + 1 + pkt[payload]  # skip the pointer field
    if pos + 8 > TS_PACKET or pkt[pos] != 0x00:
        return []
    length = ((pkt[pos + 1] & 0x0F) << 8) | pkt[pos + 2]
    end = min(pos + 3 + length - 4, TS_PACKET)
    pids = []
    for at in range(pos + 8, end - 3, 4):
        program = (pkt[at] << 8) | pkt[at + 1]
        if program:
            pids.append(((pkt[at + 2] & 0x1F) << 8) | pkt[at + 3])
    return pids
