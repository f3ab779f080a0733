/** "1.4 GB", "820 kB": bytes for people (decimal units, as network speeds are). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Average bit rate of a session so far: "4.2 Mbit/s"; '–' before a second has passed. */
export function bitrate(bytes: number, startIso: string, now = Date.now()): string {
  const seconds = (now - Date.parse(startIso)) / 1000;
  if (!Number.isFinite(seconds) || seconds < 1) return '–';
  const bits = (bytes * 8) / seconds;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mbit/s`;
  return `${Math.round(bits / 1e3)} kbit/s`;
}

/** "1 h 05 min", "12 min", "40 s"; '' when it has not ended. */
export function watchTime(startIso: string, endIso: string | null): string {
  if (!endIso) return '';
  const s = Math.max(0, Math.round((Date.parse(endIso) - Date.parse(startIso)) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Bar lengths in percent of the largest value (0 stays 0; all zero gives all 0). */
export function barWidths(values: readonly number[]): number[] {
  const max = Math.max(0, ...values);
  return values.map((v) => (max ? Math.round((v / max) * 100) : 0));
}
