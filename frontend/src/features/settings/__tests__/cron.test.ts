import { describe, expect, it } from 'vitest';
import { describeCron } from '@/features/settings/lib/cron';

describe('cron in words', () => {
  it('says the usual schedules plainly', () => {
    expect(describeCron('0 4 * * *')).toBe('every day at 04:00 UTC');
    expect(describeCron('30 3 * * 1')).toBe('every Monday at 03:30 UTC');
    expect(describeCron('0 6 * * 0,6')).toBe('every Sunday, Saturday at 06:00 UTC');
    expect(describeCron('15 * * * *')).toBe('every hour at minute 15');
    expect(describeCron('0 */6 * * *')).toBe('every 6 hours at minute 0');
    expect(describeCron('*/30 * * * *')).toBe('every 30 minutes');
    expect(describeCron('0 2 1 * *')).toBe('on day 1 of every month at 02:00 UTC');
    expect(describeCron('0 1-5 * 2 *')).toBe('a custom schedule');
  });

  it('refuses what cannot be cron', () => {
    expect(describeCron('every day')).toBeNull();
    expect(describeCron('0 4 * *')).toBeNull();
    expect(describeCron('61 4 * * *')).toBeNull();
    expect(describeCron('0 25 * * *')).toBeNull();
  });
});
