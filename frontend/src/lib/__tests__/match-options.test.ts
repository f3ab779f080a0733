import { describe, expect, it } from 'vitest';
import { exactMatch, foldText, matchOptions, prepareOptions } from '@/lib/match-options';

const names = (items: readonly { label: string }[]) => items.map((i) => i.label);
const prep = (labels: string[]) =>
  prepareOptions(
    labels.map((label) => ({ label })),
    (o) => o.label,
  );

describe('foldText', () => {
  it('ignores case and accents', () => {
    expect(foldText('Café NOIR')).toBe('cafe noir');
    expect(foldText('Ñandú Über')).toBe('nandu uber');
  });
});

describe('matchOptions', () => {
  it('puts exact, then prefix, then word-start, then substring matches first, keeping the given order within each', () => {
    const p = prep(['Bnews', 'US | News', 'News UK', 'Kids', 'News', 'Newsroom', 'World News']);
    expect(names(matchOptions(p, 'news'))).toEqual(['News', 'News UK', 'Newsroom', 'US | News', 'World News', 'Bnews']);
  });

  it('matches without case or accents, either way round', () => {
    const p = prep(['Télé Sport', 'Documentaire', 'CINÉMA']);
    expect(names(matchOptions(p, 'tele'))).toEqual(['Télé Sport']);
    expect(names(matchOptions(p, 'CINEMA'))).toEqual(['CINÉMA']);
    expect(names(matchOptions(p, 'cinéma'))).toEqual(['CINÉMA']);
  });

  it('finds every typed word in any order, after the plain matches', () => {
    const p = prep(['Sport | UK', 'UK Sport', 'Sport', 'UK News']);
    expect(names(matchOptions(p, 'uk sport'))).toEqual(['UK Sport', 'Sport | UK']);
  });

  it('counts a later occurrence at a word start, not only the first one', () => {
    const p = prep(['Arena', 'Sportarena Arena']);
    expect(names(matchOptions(p, 'arena'))).toEqual(['Arena', 'Sportarena Arena']);
    const q = prep(['Xarena', 'Sportarena Arena']);
    expect(names(matchOptions(q, 'arena'))).toEqual(['Sportarena Arena', 'Xarena']);
  });

  it('returns everything, in order, for an empty or blank query and nothing when nothing matches', () => {
    const p = prep(['B', 'A']);
    expect(names(matchOptions(p, ''))).toEqual(['B', 'A']);
    expect(names(matchOptions(p, '   '))).toEqual(['B', 'A']);
    expect(matchOptions(p, 'zzz')).toEqual([]);
  });

  it('stays quick over thousands of options', () => {
    const p = prep(Array.from({ length: 20_000 }, (_, i) => `Category ${i} ${i % 7 === 0 ? 'news' : 'misc'}`));
    const started = performance.now();
    const found = matchOptions(p, 'news');
    expect(found.length).toBe(Math.ceil(20_000 / 7));
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('exactMatch', () => {
  it('finds a name typed with other case, accents or surrounding spaces', () => {
    const p = prep(['Cinéma', 'News']);
    expect(exactMatch(p, '  cinema ')?.label).toBe('Cinéma');
    expect(exactMatch(p, 'new')).toBeUndefined();
    expect(exactMatch(p, '')).toBeUndefined();
  });
});
