/**
 * A five-field cron expression (minute hour day-of-month month day-of-week, UTC) in words, for
 * the common shapes people type; anything else is "a custom schedule". `null` when it cannot be
 * a cron expression at all (wrong field count or characters), so the form can say so at once.
 */
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const FIELD = /^(\*|\d+(-\d+)?(,\d+(-\d+)?)*)(\/\d+)?$/;
const LIMITS: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function inRange(field: string, [lo, hi]: [number, number]): boolean {
  const numbers = field.replace(/\/\d+$/, '').match(/\d+/g) ?? [];
  return numbers.every((n) => Number(n) >= lo && Number(n) <= hi);
}

const pad = (n: string) => n.padStart(2, '0');

export function describeCron(expr: string): string | null {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 || !parts.every((p, i) => FIELD.test(p) && inRange(p, LIMITS[i] as [number, number]))) return null;
  const [min, hour, dom, month, dow] = parts as [string, string, string, string, string];
  const fixedTime = /^\d+$/.test(min) && /^\d+$/.test(hour);
  const at = fixedTime ? `at ${pad(hour)}:${pad(min)} UTC` : null;
  if (dom === '*' && month === '*') {
    if (dow === '*') {
      if (at) return `every day ${at}`;
      if (/^\d+$/.test(min) && hour === '*') return `every hour at minute ${Number(min)}`;
      const everyH = /^\*\/(\d+)$/.exec(hour);
      if (/^\d+$/.test(min) && everyH) return `every ${everyH[1]} hours at minute ${Number(min)}`;
      const everyM = /^\*\/(\d+)$/.exec(min);
      if (everyM && hour === '*') return `every ${everyM[1]} minutes`;
    } else if (at && /^[0-7](,[0-7])*$/.test(dow)) {
      const names = dow.split(',').map((d) => DAYS[Number(d) % 7]);
      return `every ${names.join(', ')} ${at}`;
    }
  }
  if (at && /^\d+$/.test(dom) && month === '*' && dow === '*') return `on day ${dom} of every month ${at}`;
  return 'a custom schedule';
}
