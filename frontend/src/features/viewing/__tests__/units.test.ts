import { describe, expect, it } from 'vitest';
import { barWidths, bitrate, formatBytes, watchTime } from '@/features/viewing/lib/units';

describe('viewing numbers for people', () => {
  it('formats bytes and bit rates', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_400_000_000)).toBe('1.4 GB');
    expect(formatBytes(820_000)).toBe('820 kB');
    const start = new Date(0).toISOString();
    expect(bitrate(5_250_000, start, 10_000)).toBe('4.2 Mbit/s');
    expect(bitrate(50_000, start, 10_000)).toBe('40 kbit/s');
    expect(bitrate(1, start, 500)).toBe('–');
  });

  it('says how long something was watched', () => {
    const t = (s: number) => new Date(s * 1000).toISOString();
    expect(watchTime(t(0), t(40))).toBe('40 s');
    expect(watchTime(t(0), t(12 * 60))).toBe('12 min');
    expect(watchTime(t(0), t(65 * 60))).toBe('1 h 05 min');
    expect(watchTime(t(0), null)).toBe('');
  });

  it('scales chart bars to the largest value', () => {
    expect(barWidths([0, 5, 10])).toEqual([0, 50, 100]);
    expect(barWidths([0, 0])).toEqual([0, 0]);
  });
});
