/**
 * Filtering and ranking for pickers (see components/combobox.tsx): case- and accent-insensitive,
 * best matches first. Pure, so a list of thousands is folded once (`prepareOptions`) and each
 * keystroke is one pass over the folded keys.
 */

/** "Café Noir" → "cafe noir": what typed text and option labels are compared as. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

export type PreparedOptions<T> = { readonly items: readonly T[]; readonly keys: readonly string[] };

export function prepareOptions<T>(items: readonly T[], text: (item: T) => string): PreparedOptions<T> {
  return { items, keys: items.map((item) => foldText(text(item))) };
}

// Ranks, best first. Within a rank the caller's order stays (alphabetical, biggest first, …).
const EXACT = 0;
const PREFIX = 1;
const WORD_START = 2;
const SUBSTRING = 3;
const ALL_WORDS = 4;
const NO_MATCH = -1;

const isWordChar = (ch: string) => /[\p{L}\p{N}]/u.test(ch);

function rank(key: string, needle: string, words: readonly string[]): number {
  if (key === needle) return EXACT;
  let at = key.indexOf(needle);
  if (at === 0) return PREFIX;
  if (at > 0) {
    // Any occurrence at a word start counts: "news" in "US | News", not only the first one found.
    for (; at > 0; at = key.indexOf(needle, at + 1)) {
      if (!isWordChar(key[at - 1] as string)) return WORD_START;
    }
    return SUBSTRING;
  }
  // "uk sport" still finds "Sport | UK": every typed word somewhere, in any order.
  if (words.length > 1 && words.every((w) => key.includes(w))) return ALL_WORDS;
  return NO_MATCH;
}

/**
 * The items matching `query`, best first: exact, then prefix, then a word start, then anywhere,
 * then every word of the query in any order. An empty query matches everything, in order.
 */
export function matchOptions<T>(prepared: PreparedOptions<T>, query: string): readonly T[] {
  const needle = foldText(query).trim();
  if (!needle) return prepared.items;
  const words = needle.split(/\s+/);
  const buckets: T[][] = [[], [], [], [], []];
  prepared.keys.forEach((key, i) => {
    const r = rank(key, needle, words);
    if (r !== NO_MATCH) (buckets[r] as T[]).push(prepared.items[i] as T);
  });
  return buckets.flat();
}

/** The item whose text is `query` up to case and accents (a typed name that is already there). */
export function exactMatch<T>(prepared: PreparedOptions<T>, query: string): T | undefined {
  const needle = foldText(query).trim();
  if (!needle) return undefined;
  const i = prepared.keys.indexOf(needle);
  return i < 0 ? undefined : prepared.items[i];
}
