import { describe, expect, it } from 'vitest';
import {
  EMPTY,
  isSelected,
  moveItem,
  selectAllMatching,
  selectedCount,
  selectionBody,
  spellingGroups,
  toggle,
} from '@/features/channels/lib/selection';

const ids = [10, 11, 12, 13, 14, 15];

describe('multi-select in the channel list', () => {
  it('toggles single rows', () => {
    let s = toggle(EMPTY, ids, 1, false);
    s = toggle(s, ids, 3, false);
    expect([...s.ids].sort()).toEqual([11, 13]);
    s = toggle(s, ids, 1, false);
    expect([...s.ids]).toEqual([13]);
  });

  it('selects a range with shift, in either direction, and unselects one the same way', () => {
    let s = toggle(EMPTY, ids, 4, false);
    s = toggle(s, ids, 1, true);
    expect([...s.ids].sort()).toEqual([11, 12, 13, 14]);
    s = toggle(s, ids, 2, false); // off: 12
    s = toggle(s, ids, 3, true); // 13 was on: the click turns it off, and the range from row 2 with it
    expect([...s.ids].sort()).toEqual([11, 14]);
  });

  it('"all matching" counts the server total and sends the filter, not ids', () => {
    const all = selectAllMatching();
    expect(isSelected(all, 999)).toBe(true);
    expect(selectedCount(all, 100_000)).toBe(100_000);
    expect(selectionBody(all, { category: 'News' })).toEqual({ filter: { category: 'News' } });
    // Clicking one row leaves "all" for the loaded rows minus that one.
    const fewer = toggle(all, ids, 0, false);
    expect(fewer.all).toBe(false);
    expect([...fewer.ids]).toEqual([11, 12, 13, 14, 15]);
    expect(selectionBody(fewer, {})).toEqual({ ids: [11, 12, 13, 14, 15] });
  });
});

describe('stream order by drag and drop', () => {
  it('moves an item down and up', () => {
    expect(moveItem([1, 2, 3, 4], 0, 2)).toEqual([2, 3, 1, 4]);
    expect(moveItem([1, 2, 3, 4], 3, 0)).toEqual([4, 1, 2, 3]);
    expect(moveItem([1, 2], 0, 5)).toEqual([1, 2]);
  });
});

describe('category spellings', () => {
  it('groups "US | News" with "US: News", biggest first, and leaves single spellings out', () => {
    const groups = spellingGroups([
      { name: 'US | News', count: 3 },
      { name: 'US: News', count: 10 },
      { name: 'Sport', count: 50 },
      { name: 'UK - Kids', count: 1 },
      { name: 'uk kids', count: 1 },
      { name: 'Éducation', count: 2 },
      { name: 'Education', count: 2 },
    ]);
    expect(groups.map((g) => g.map((c) => c.name))).toEqual([
      ['US: News', 'US | News'],
      ['Education', 'Éducation'],
      ['UK - Kids', 'uk kids'],
    ]);
  });
});
