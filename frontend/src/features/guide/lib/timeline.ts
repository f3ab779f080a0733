// Pure layout of the guide grid: times to pixels, one day's window, hour marks, and which
// programmes of a row fall inside the part of the day that is scrolled into view.

export const PX_PER_MINUTE = 4; // an hour is 240 px wide: a half-hour show still shows its title
export const MINUTE = 60_000;
export const DAY_MINUTES = 24 * 60;

export type Window = { start: number; end: number }; // epoch ms

/** Local midnight of `now` plus `offsetDays`, for 24 hours. */
export function dayWindow(now: number, offsetDays: number): Window {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() + offsetDays);
  const start = d.getTime();
  const end = new Date(start);
  end.setDate(end.getDate() + 1); // 23 or 25 hours on a daylight-saving day
  return { start, end: end.getTime() };
}

export function windowWidth(w: Window): number {
  return Math.round(((w.end - w.start) / MINUTE) * PX_PER_MINUTE);
}

export function timeToX(t: number, w: Window): number {
  return ((t - w.start) / MINUTE) * PX_PER_MINUTE;
}

export function xToTime(x: number, w: Window): number {
  return w.start + (x / PX_PER_MINUTE) * MINUTE;
}

export type Placed<T> = { item: T; left: number; width: number; clippedStart: boolean; clippedEnd: boolean };

/**
 * The programmes of one row that overlap the visible x range [from, to], placed in the window:
 * shows that began before the window start at its left edge (clipped), as do those running past
 * its end. Assumes `items` are sorted by start, as the API returns them.
 */
export function placeRow<T extends { start: string; stop: string }>(items: readonly T[], w: Window, from: number, to: number): Placed<T>[] {
  const out: Placed<T>[] = [];
  const total = windowWidth(w);
  for (const item of items) {
    const s = Date.parse(item.start);
    const e = Date.parse(item.stop);
    if (!(e > s)) continue; // no length, or unparsable
    const left = Math.max(0, timeToX(s, w));
    const right = Math.min(total, timeToX(e, w));
    if (right <= left || right < from || left > to) continue;
    out.push({ item, left, width: right - left, clippedStart: s < w.start, clippedEnd: e > w.end });
  }
  return out;
}

// Building an Intl formatter costs far more than using one: one per locale, made once.
const clocks = new Map<string, Intl.DateTimeFormat>();
function clock(locale?: string): Intl.DateTimeFormat {
  const key = locale ?? '';
  let fmt = clocks.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
    clocks.set(key, fmt);
  }
  return fmt;
}

/** Hour marks of the window, in local time: [x, "14:00"]. */
export function hourMarks(w: Window, locale?: string): Array<{ x: number; label: string; t: number }> {
  const fmt = clock(locale);
  const first = new Date(w.start);
  first.setMinutes(0, 0, 0);
  if (first.getTime() < w.start) first.setHours(first.getHours() + 1);
  const marks = [];
  for (let t = first.getTime(); t < w.end; t += 60 * MINUTE) marks.push({ x: timeToX(t, w), label: fmt.format(t), t });
  return marks;
}

export function isOnAt(item: { start: string; stop: string }, at: number): boolean {
  return Date.parse(item.start) <= at && at < Date.parse(item.stop);
}

/** "14:00–14:45" (local time). */
export function timeRange(startIso: string, stopIso: string, locale?: string): string {
  const fmt = clock(locale);
  return `${fmt.format(Date.parse(startIso))}–${fmt.format(Date.parse(stopIso))}`;
}

/** Day choices for the picker: yesterday, today and the next six days. */
export function dayOptions(now: number, locale?: string): Array<{ offset: number; label: string }> {
  const fmt = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short' });
  const out = [];
  for (let offset = -1; offset <= 6; offset++) {
    const label = offset === 0 ? 'Today' : offset === -1 ? 'Yesterday' : offset === 1 ? 'Tomorrow' : fmt.format(dayWindow(now, offset).start);
    out.push({ offset, label });
  }
  return out;
}
