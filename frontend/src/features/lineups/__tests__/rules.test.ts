import { describe, expect, it } from 'vitest';
import { describeRule, EMPTY_RULE, fromDrafts, ruleErrors, toDraft } from '@/features/lineups/lib/rules';

describe('lineup rules in the editor', () => {
  it('drops blank fields and empty rules, and upper-cases the country', () => {
    expect(
      fromDrafts([
        { category: ' News ', country: 'us', quality: '', name: '' },
        EMPTY_RULE,
        { category: '', country: '', quality: 'HD', name: '^BBC' },
      ]),
    ).toEqual([{ category: 'News', country: 'US' }, { quality: 'HD', name: '^BBC' }]);
  });

  it('round-trips a stored rule', () => {
    expect(fromDrafts([toDraft({ category: 'Kids', country: null, quality: 'FHD', name: null })])).toEqual([{ category: 'Kids', quality: 'FHD' }]);
  });

  it('says which field is wrong before saving', () => {
    expect(ruleErrors({ ...EMPTY_RULE, name: '([' })).toEqual({ name: 'Not a valid regular expression.' });
    expect(ruleErrors({ ...EMPTY_RULE, country: 'United States' }).country).toBeDefined();
    expect(ruleErrors({ ...EMPTY_RULE, name: '^BBC (One|Two)$', country: 'UK' })).toEqual({});
  });

  it('describes a rule in words', () => {
    expect(describeRule({ category: 'News', quality: 'HD' })).toBe('category “News”, at least HD');
    expect(describeRule({})).toBe('every channel');
  });
});
