const rtf = typeof Intl !== 'undefined' ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;
const nf = new Intl.NumberFormat();

export function formatNumber(n: number | null | undefined): string {
  return n == null ? '–' : nf.format(n);
}

/** "1 stream", "2 streams", "1,024 channels" (the plural form defaults to an added "s"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.round((then - now) / 1000);
  const abs = Math.abs(s);
  if (!rtf) return new Date(then).toLocaleString();
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function duration(startIso: string | null, endIso: string | null): string {
  if (!startIso || !endIso) return '';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Two letters for a logo placeholder: "BBC One HD" → "BO". */
export function initials(name: string): string {
  const words = name
    .replace(/[|:[\]()]/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !/^(hd|fhd|uhd|sd|4k|us|uk)$/i.test(w));
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  return (letters.join('') || Array.from(name)[0] || '?').toUpperCase();
}

/** A stable hue per name for the placeholder background. */
export function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return h;
}

export function percent(progress: number, total: number | null | undefined): number | null {
  if (!total || total <= 0) return null;
  return Math.max(0, Math.min(100, Math.round((progress / total) * 100)));
}

/** A job result in one line: {"added": 10, "updated": 2} → "added 10 · updated 2". */
export function summarizeResult(result: Record<string, unknown> | null | undefined): string {
  if (!result) return '';
  return Object.entries(result)
    // A result's "message" is the job's message, which is shown beside it already.
    .filter(([k, v]) => k !== 'message' && v !== null && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'))
    .slice(0, 8)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(' · ');
}
