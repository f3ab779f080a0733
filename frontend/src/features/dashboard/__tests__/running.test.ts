import { describe, expect, it } from 'vitest';
import { stillRunning } from '@/features/dashboard/components/dashboard-view';

describe('Running now', () => {
  it('drops jobs that ended, by their progress box or a live event', () => {
    const jobs = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];
    const live = new Map([
      [2, { state: 'succeeded' }],
      [3, { state: 'running' }],
      [4, { state: 'failed' }],
    ]);
    expect(stillRunning(jobs, new Set([1]), live).map((j) => j.id)).toEqual([3]);
    expect(stillRunning(jobs, new Set(), new Map()).map((j) => j.id)).toEqual([1, 2, 3, 4]);
  });
});
