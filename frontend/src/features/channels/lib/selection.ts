/**
 * The channel list's multi-select. Either explicit ids (click, shift-click ranges over the loaded
 * rows) or "every channel matching the filter", which the server resolves: it may be 100,000
 * channels of which only a few pages are loaded, so it is never turned into ids here.
 */
export type Selection = { all: boolean; ids: ReadonlySet<number>; anchor: number | null };

export const EMPTY: Selection = { all: false, ids: new Set(), anchor: null };

/**
 * Click on row `index` (its channel `ids[index]`): toggles it; with Shift, the rows from the last
 * clicked one to this one take this row's new state, as in a file manager. Leaving "all matching"
 * keeps every loaded row selected except the one clicked.
 */
export function toggle(sel: Selection, ids: readonly number[], index: number, shift: boolean): Selection {
  const id = ids[index];
  if (id === undefined) return sel;
  const base = sel.all ? new Set(ids) : new Set(sel.ids);
  const on = !base.has(id);
  if (shift && sel.anchor != null && sel.anchor < ids.length) {
    const [a, b] = sel.anchor < index ? [sel.anchor, index] : [index, sel.anchor];
    for (let i = a; i <= b; i++) {
      const each = ids[i] as number;
      if (on) base.add(each);
      else base.delete(each);
    }
  } else if (on) base.add(id);
  else base.delete(id);
  return { all: false, ids: base, anchor: index };
}

export function selectAllMatching(): Selection {
  return { all: true, ids: new Set(), anchor: null };
}

export function isSelected(sel: Selection, id: number): boolean {
  return sel.all || sel.ids.has(id);
}

/** How many channels a bulk action will touch (`total` is the server's count for the filter). */
export function selectedCount(sel: Selection, total: number | null): number {
  return sel.all ? (total ?? 0) : sel.ids.size;
}

/** What a bulk request sends: the ids, or the list's filters for "all matching". */
export function selectionBody(sel: Selection, filter: Record<string, unknown>): { ids: number[] } | { filter: Record<string, unknown> } {
  if (sel.all) return { filter };
  return { ids: [...sel.ids] };
}

/** Move the item at `from` to `to` (drag and drop of a stream): a new array. */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length || from === to) return out;
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item as T);
  return out;
}

/**
 * Categories that are one spelling apart: "US | News", "US: News" and "us - news" become one
 * group. Only groups with two or more spellings are returned, biggest first.
 */
export function spellingGroups<T extends { name: string; count: number }>(categories: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const c of categories) {
    const key = categoryKey(c.name);
    if (!key) continue;
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const out = [...groups.values()].filter((g) => g.length > 1);
  for (const g of out) g.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  out.sort((a, b) => total(b) - total(a) || (a[0]?.name ?? '').localeCompare(b[0]?.name ?? ''));
  return out;
}

function total(g: ReadonlyArray<{ count: number }>): number {
  return g.reduce((n, c) => n + c.count, 0);
}

export function categoryKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
