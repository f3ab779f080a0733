import { describe, expect, it } from 'vitest';
import { changedGroups, patternError, takenEntries } from '@/features/providers/api/groups';

const groups = [
  { name: 'News', entries: 100, taken: true },
  { name: 'Sport', entries: 50, taken: true },
  { name: 'Adult', entries: 20, taken: false },
];

describe('the provider categories panel', () => {
  it('sends only the categories whose choice changed', () => {
    const draft = new Map([
      ['News', true],
      ['Sport', false],
      ['Adult', false],
    ]);
    expect(changedGroups(groups, draft)).toEqual([{ name: 'Sport', taken: false }]);
  });

  it('counts the entries the ticked categories hold', () => {
    expect(takenEntries(groups, new Map())).toBe(150);
    expect(takenEntries(groups, new Map([['Adult', true], ['News', false]]))).toBe(70);
  });

  it('refuses a broken regular expression at the field', () => {
    expect(patternError('^(US|UK)')).toBeNull();
    expect(patternError('([')).toMatch(/regular expression/);
    expect(patternError('')).toBeNull();
  });
});
