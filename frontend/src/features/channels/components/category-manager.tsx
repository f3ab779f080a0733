import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { Combobox } from '@/components/combobox';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { plural } from '@/lib/format';
import { useBulkEdit, useMergeCategories } from '@/features/channels/api/bulk';
import { useCategories, useCategoryOptions } from '@/features/channels/api/get-categories';
import { categoryKey, spellingGroups } from '@/features/channels/lib/selection';
import type { Category } from '@/types/api';

const ROW = 44;

/**
 * Categories across every provider, with channel counts: rename, merge spellings ("US | News" and
 * "US: News"), and hide (disable every channel in a category, so it leaves playlists and tuners).
 */
export function CategoryManager({ onShow }: { onShow: (name: string) => void }) {
  const categories = useCategories();
  const targets = useCategoryOptions('size');
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [into, setInto] = useState('');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const merge = useMergeCategories();
  const edit = useBulkEdit();
  const all = useMemo(() => categories.data ?? [], [categories.data]);
  const shown = useMemo(() => {
    const needle = categoryKey(q);
    return needle ? all.filter((c) => categoryKey(c.name).includes(needle)) : all;
  }, [all, q]);
  const groups = useMemo(() => spellingGroups(all).slice(0, 8), [all]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: shown.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW, overscan: 8 });

  const runMerge = (names: string[], target: string) => {
    setDone(null);
    merge.mutate(
      { names, into: target },
      {
        onSuccess: (r) => {
          setDone(`${plural(r.changed, 'channel')} now in “${target}”.`);
          setPicked(new Set());
          setRenaming(null);
          setInto('');
        },
      },
    );
  };
  const hide = (name: string, enabled: boolean) => {
    setDone(null);
    edit.mutate(
      { filter: { category: name }, changes: { enabled } },
      { onSuccess: (r) => setDone(`${plural(r.changed, 'channel')} in “${name}” ${enabled ? 'enabled' : 'disabled (hidden from playlists and tuners)'}.`) },
    );
  };
  const togglePick = (name: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(name)) n.delete(name);
      else n.add(name);
      return n;
    });
  const biggest = [...picked].map((n) => all.find((c) => c.name === n)).filter((c): c is Category => !!c).sort((a, b) => b.count - a.count)[0];

  const submitMerge = (e: FormEvent) => {
    e.preventDefault();
    const target = (into.trim() || biggest?.name) ?? '';
    if (target && picked.size) runMerge([...picked], target);
  };

  if (categories.isPending) return <Loading label="Loading categories…" />;
  return (
    <div className="stack">
      <ErrorMessage error={categories.error ?? merge.error ?? edit.error} />
      {done ? <Notice kind="ok">{done}</Notice> : null}
      {groups.length ? (
        <section className="card stack" aria-label="Same category, different spellings">
          <h2>Same category, different spellings</h2>
          <p className="small muted">Providers spell categories their own way. Merge them so each shows once in filters, lineups and playlists.</p>
          <ul className="plain-list stack">
            {groups.map((g) => {
              const [first] = g;
              if (!first) return null;
              return (
                <li key={first.name} className="row gap wrap">
                  <span className="grow">
                    {g.map((c) => `“${c.name}” (${c.count.toLocaleString()})`).join(', ')}
                  </span>
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={merge.isPending}
                    onClick={() =>
                      runMerge(
                        g.map((c) => c.name),
                        first.name,
                      )
                    }
                  >
                    Merge into “{first.name}”
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
      <div className="row gap wrap">
        <div className="field grow">
          <label htmlFor="cat-search">Find a category</label>
          <input id="cat-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. news" autoComplete="off" />
        </div>
        <span className="small muted">{plural(all.length, 'category', 'categories')}</span>
      </div>
      {picked.size ? (
        <form className="bulk-bar" onSubmit={submitMerge} aria-label="Merge categories">
          <strong>{plural(picked.size, 'category', 'categories')} selected</strong>
          <div className="field">
            <label htmlFor="cat-into" className="sr-only">
              Merge into
            </label>
            {/* Any category (hundreds of them) or a new name. */}
            <Combobox
              id="cat-into"
              listLabel="Categories"
              options={targets.data}
              value={into}
              onChange={setInto}
              allowFreeText
              placeholder={biggest ? `Merge into: ${biggest.name}` : 'New name'}
            />
          </div>
          <button type="submit" className="btn btn-small btn-primary" disabled={merge.isPending}>
            Merge into “{into.trim() || biggest?.name}”
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setPicked(new Set())}>
            Clear
          </button>
        </form>
      ) : null}
      {all.length === 0 ? <p className="muted">No categories yet: they come with the providers' channels.</p> : null}
      <div ref={scrollRef} className="category-scroll" role="list" aria-label="Categories">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((vr) => {
            const c = shown[vr.index] as Category;
            return (
              <div
                key={c.name}
                role="listitem"
                className="category-row"
                data-testid="category-row"
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: vr.size, transform: `translateY(${vr.start}px)` }}
              >
                <input type="checkbox" checked={picked.has(c.name)} onChange={() => togglePick(c.name)} aria-label={`Select category ${c.name}`} />
                {renaming === c.name ? (
                  <RenameForm name={c.name} busy={merge.isPending} onCancel={() => setRenaming(null)} onSave={(to) => runMerge([c.name], to)} />
                ) : (
                  <>
                    <span className="grow" title={c.name}>
                      {c.name}
                    </span>
                    <span className="small muted">{plural(c.count, 'channel')}</span>
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => onShow(c.name)}>
                      Show
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setRenaming(c.name)} aria-label={`Rename ${c.name}`}>
                      Rename
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" disabled={edit.isPending} onClick={() => hide(c.name, false)} aria-label={`Hide ${c.name}`} title="Disable every channel in it">
                      Hide
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" disabled={edit.isPending} onClick={() => hide(c.name, true)} aria-label={`Unhide ${c.name}`} title="Enable every channel in it">
                      Unhide
                    </button>
                  </>
                )}
              </div>
            );
          })}
        </div>
      </div>
      <p className="small muted">
        Hide disables the category's channels: they leave playlists, the guide and the tuners but stay here. To stop a provider's category from being imported
        at all, use its Categories panel on the Providers page.
      </p>
    </div>
  );
}

function RenameForm({ name, busy, onSave, onCancel }: { name: string; busy: boolean; onSave: (to: string) => void; onCancel: () => void }) {
  const [value, setValue] = useState(name);
  return (
    <form
      className="row gap-sm grow"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() && value.trim() !== name) onSave(value.trim());
      }}
    >
      <input className="grow" value={value} onChange={(e) => setValue(e.target.value)} aria-label={`New name for ${name}`} autoFocus />
      <button type="submit" className="btn btn-small btn-primary" disabled={busy || !value.trim()}>
        Save
      </button>
      <button type="button" className="btn btn-small" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
