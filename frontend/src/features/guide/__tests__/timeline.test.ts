import { describe, expect, it } from 'vitest';
import { dayOptions, dayWindow, hourMarks, isOnAt, PX_PER_MINUTE, placeRow, timeToX, windowWidth } from '@/features/guide/lib/timeline';
import { rankSuggestions } from '@/features/guide/components/unmatched-list';

const H = 3_600_000;
const w = { start: Date.UTC(2026, 0, 10, 0, 0), end: Date.UTC(2026, 0, 11, 0, 0) };
const at = (h: number, m = 0) => new Date(w.start + h * H + m * 60_000).toISOString();
const prog = (id: number, from: string, to: string) => ({ id, start: from, stop: to });

describe('guide timeline', () => {
  it('maps a day to pixels', () => {
    expect(windowWidth(w)).toBe(24 * 60 * PX_PER_MINUTE);
    expect(timeToX(w.start + 90 * 60_000, w)).toBe(90 * PX_PER_MINUTE);
  });

  it('clips shows that run over the window edges and drops empty ones', () => {
    const items = [
      prog(1, new Date(w.start - H).toISOString(), at(0, 30)), // began yesterday
      prog(2, at(0, 30), at(0, 30)), // no length
      prog(3, at(23), new Date(w.end + H).toISOString()), // runs past midnight
      prog(4, 'garbage', at(2)),
    ];
    const placed = placeRow(items, w, 0, windowWidth(w));
    expect(placed.map((p) => p.item.id)).toEqual([1, 3]);
    expect(placed[0]).toMatchObject({ left: 0, width: 30 * PX_PER_MINUTE, clippedStart: true, clippedEnd: false });
    expect(placed[1]).toMatchObject({ left: 23 * 60 * PX_PER_MINUTE, width: 60 * PX_PER_MINUTE, clippedEnd: true });
  });

  it('places only the programmes in the scrolled-into-view stretch', () => {
    const items = Array.from({ length: 24 }, (_, h) => prog(h, at(h), at(h + 1)));
    const from = timeToX(w.start + 10 * H, w);
    const to = timeToX(w.start + 13 * H, w) - 1;
    // 09:00–10:00 ends exactly where the view starts: touching counts, so a title is never cut off.
    expect(placeRow(items, w, from, to).map((p) => p.item.id)).toEqual([9, 10, 11, 12]);
  });

  it('marks whole hours and knows what is on', () => {
    const marks = hourMarks(w, 'en-GB');
    expect(marks).toHaveLength(24);
    expect(marks[1]!.x).toBe(60 * PX_PER_MINUTE);
    expect(isOnAt(prog(1, at(5), at(6)), w.start + 5.5 * H)).toBe(true);
    expect(isOnAt(prog(1, at(5), at(6)), w.start + 6 * H)).toBe(false);
  });

  it('offers yesterday to six days ahead, each starting at local midnight', () => {
    const now = new Date(2026, 5, 15, 14, 30).getTime();
    const days = dayOptions(now);
    expect(days.map((d) => d.offset)).toEqual([-1, 0, 1, 2, 3, 4, 5, 6]);
    expect(days.slice(0, 3).map((d) => d.label)).toEqual(['Yesterday', 'Today', 'Tomorrow']);
    const today = dayWindow(now, 0);
    expect(new Date(today.start).getHours()).toBe(0);
    expect(new Date(today.start).getDate()).toBe(15);
    expect(new Date(dayWindow(now, 2).start).getDate()).toBe(17);
  });
});

describe('guide suggestions', () => {
  it('puts the best first and lists one guide channel once', () => {
    const c = {
      channel_id: 1,
      channel: 'Canal+ Sport',
      tvg_id: null,
      suggestions: [
        { epg_channel_id: 8, xmltv_id: 'Canal.fr', name: 'Canal+', score: 57 },
        { epg_channel_id: 36, xmltv_id: 'Canal.fr', name: 'Canal+', score: 57 },
        { epg_channel_id: 21, xmltv_id: 'CanalSport.fr', name: 'Canal Sport', score: 91 },
        { epg_channel_id: 5, xmltv_id: 'NBC.us', name: 'NBC', score: 12 },
        { epg_channel_id: 6, xmltv_id: 'ABC.us', name: 'ABC', score: 11 },
      ],
    };
    expect(rankSuggestions(c).map((s) => s.epg_channel_id)).toEqual([21, 8, 5]);
  });
});
