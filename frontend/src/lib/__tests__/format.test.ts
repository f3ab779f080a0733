import { describe, expect, it } from 'vitest';
import { duration, formatDate, formatNumber, hue, percent, summarizeResult, timeAgo } from '@/lib/format';

describe('duration', () => {
  it('picks the unit by size', () => {
    expect(duration('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.250Z')).toBe('250 ms');
    expect(duration('2024-01-01T00:00:00Z', '2024-01-01T00:00:12.340Z')).toBe('12.3 s');
    expect(duration('2024-01-01T00:00:00Z', '2024-01-01T00:02:05Z')).toBe('2 min 5 s');
  });
  it('is empty for missing, invalid or negative spans', () => {
    expect(duration(null, '2024-01-01T00:00:00Z')).toBe('');
    expect(duration('2024-01-01T00:00:00Z', null)).toBe('');
    expect(duration('garbage', '2024-01-01T00:00:00Z')).toBe('');
    expect(duration('2024-01-01T00:01:00Z', '2024-01-01T00:00:00Z')).toBe('');
  });
});

describe('timeAgo', () => {
  const now = Date.parse('2024-06-01T12:00:00Z');
  it('speaks in the largest whole unit', () => {
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    expect(timeAgo('2024-06-01T11:59:30Z', now)).toBe(rtf.format(-30, 'second'));
    expect(timeAgo('2024-06-01T11:45:00Z', now)).toBe(rtf.format(-15, 'minute'));
    expect(timeAgo('2024-06-01T09:00:00Z', now)).toBe(rtf.format(-3, 'hour'));
    expect(timeAgo('2024-05-29T12:00:00Z', now)).toBe(rtf.format(-3, 'day'));
    expect(timeAgo('2024-06-01T14:00:00Z', now)).toBe(rtf.format(2, 'hour'));
  });
  it('gives back text it cannot read', () => {
    expect(timeAgo('not a date', now)).toBe('not a date');
    expect(timeAgo(undefined, now)).toBe('never');
  });
});

describe('small formatters', () => {
  it('uses a dash for missing numbers and dates', () => {
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(undefined)).toBe('–');
    expect(formatNumber(0)).toBe('0');
    expect(formatDate(null)).toBe('–');
    expect(formatDate('yesterday-ish')).toBe('yesterday-ish');
  });
  it('clamps percentages and needs a positive total', () => {
    expect(percent(-5, 10)).toBe(0);
    expect(percent(1, 3)).toBe(33);
    expect(percent(3, 0)).toBeNull();
    expect(percent(3, -1)).toBeNull();
  });
  it('gives every name a stable hue in range', () => {
    expect(hue('ESPN')).toBe(hue('ESPN'));
    expect(hue('')).toBe(0);
    for (const name of ['BBC One', 'Канал', '江苏', 'x'.repeat(500)]) {
      expect(hue(name)).toBeGreaterThanOrEqual(0);
      expect(hue(name)).toBeLessThan(360);
    }
  });
  it('summarizes only scalar results, eight at most', () => {
    expect(summarizeResult(null)).toBe('');
    expect(summarizeResult({ streams_added: 2, ok: true, note: 'fine', skipped: null, list: [1] })).toBe(
      'streams added 2 · ok true · note fine',
    );
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect(summarizeResult(many).split(' · ')).toHaveLength(8);
  });
});
