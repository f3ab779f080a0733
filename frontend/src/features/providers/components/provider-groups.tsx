import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { formatNumber, plural } from '@/lib/format';
import { changedGroups, patternError, takenEntries, useProviderGroups, useSaveGroups, type GroupsUpdate } from '@/features/providers/api/groups';
import type { ProviderGroups as Groups } from '@/types/api';

const ROW = 40;
const PATTERNS = [
  ['group_include', 'Only categories matching', 'e.g. ^(US|UK)'],
  ['group_exclude', 'Skip categories matching', 'e.g. Adult|XXX'],
  ['name_include', 'Only channels whose name matches', 'e.g. HD$'],
  ['name_exclude', 'Skip channels whose name matches', 'e.g. \\b(PPV|Event)\\b'],
] as const;
type PatternKey = (typeof PATTERNS)[number][0];

/** Which of a provider's categories the sync takes; entries of the others are never stored. */
export function ProviderGroups({ providerId }: { providerId: number }) {
  const groups = useProviderGroups(providerId);
  if (groups.isPending) return <Loading label="Loading categories…" />;
  if (!groups.data) return <ErrorMessage error={groups.error} title="Categories could not be loaded" />;
  return <GroupsForm providerId={providerId} data={groups.data} />;
}

function GroupsForm({ providerId, data }: { providerId: number; data: Groups }) {
  const [draft, setDraft] = useState<Map<string, boolean>>(new Map());
  const [patterns, setPatterns] = useState<Record<PatternKey, string>>({
    group_include: data.group_include ?? '',
    group_exclude: data.group_exclude ?? '',
    name_include: data.name_include ?? '',
    name_exclude: data.name_exclude ?? '',
  });
  const [takeNew, setTakeNew] = useState(data.take_new_groups);
  const [q, setQ] = useState('');
  const save = useSaveGroups(providerId);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return needle ? data.groups.filter((g) => g.name.toLowerCase().includes(needle)) : data.groups;
  }, [data.groups, q]);
  const ref = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: shown.length, getScrollElement: () => ref.current, estimateSize: () => ROW, overscan: 8 });
  const taken = (name: string, stored: boolean) => draft.get(name) ?? stored;
  const setMany = (names: string[], value: boolean) =>
    setDraft((d) => {
      const n = new Map(d);
      for (const name of names) n.set(name, value);
      return n;
    });
  const errors = Object.fromEntries(PATTERNS.map(([k]) => [k, patternError(patterns[k])])) as Record<PatternKey, string | null>;
  const invalid = Object.values(errors).some(Boolean);
  const entries = takenEntries(data.groups, draft);
  const tickedCount = data.groups.filter((g) => taken(g.name, g.taken)).length;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid) return;
    const body: GroupsUpdate = { groups: changedGroups(data.groups, draft), take_new_groups: takeNew };
    for (const [k] of PATTERNS) body[k] = patterns[k].trim() || null;
    save.mutate(body, { onSuccess: () => setDraft(new Map()) });
  };

  if (data.groups.length === 0) {
    return <p className="muted">No categories yet: they are listed after the provider's first sync.</p>;
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="Categories to import">
      <p className="small muted">
        Untick categories you never watch: their channels are not imported, matched or stored. The next sync applies the change.
      </p>
      <div className="row gap wrap">
        <strong data-testid="groups-summary">
          {plural(tickedCount, 'category', 'categories')} of {formatNumber(data.groups.length)} taken · {formatNumber(entries)} of {formatNumber(data.entries)}{' '}
          entries
        </strong>
      </div>
      {entries === 0 ? <Notice kind="warn">No category is ticked: the server will refuse a filter that takes nothing.</Notice> : null}
      <div className="row gap wrap">
        <div className="field grow">
          <label htmlFor={`g-search-${providerId}`}>Find a category</label>
          <input id={`g-search-${providerId}`} type="search" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
        </div>
        <button type="button" className="btn btn-small" onClick={() => setMany(shown.map((g) => g.name), true)}>
          Take {q ? 'shown' : 'all'}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setMany(shown.map((g) => g.name), false)}>
          Skip {q ? 'shown' : 'all'}
        </button>
      </div>
      <div ref={ref} className="category-scroll" role="list" aria-label="Provider categories">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((vr) => {
            const g = shown[vr.index];
            if (!g) return null;
            const on = taken(g.name, g.taken);
            return (
              <label
                key={g.name}
                role="listitem"
                className="category-row"
                data-testid="group-row"
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: vr.size, transform: `translateY(${vr.start}px)` }}
              >
                <input type="checkbox" checked={on} onChange={(e) => setMany([g.name], e.target.checked)} aria-label={`Take ${g.name || 'entries without a category'}`} />
                <span className="grow">{g.name || <em>no category</em>}</span>
                {on && !g.effective && draft.get(g.name) === undefined ? <span className="badge badge-warn">skipped by a pattern</span> : null}
                {g.entries === 0 ? <span className="badge badge-neutral">gone from the list</span> : null}
                <span className="small muted">{plural(g.entries, 'entry', 'entries')}</span>
              </label>
            );
          })}
        </div>
      </div>
      <label className="switch">
        <input type="checkbox" checked={takeNew} onChange={(e) => setTakeNew(e.target.checked)} />
        Take categories the provider adds later
      </label>
      <details>
        <summary>Patterns (regular expressions)</summary>
        <div className="grid-2">
          {PATTERNS.map(([k, label, placeholder]) => (
            <div key={k} className="field">
              <label htmlFor={`g-${k}-${providerId}`}>{label}</label>
              <input
                id={`g-${k}-${providerId}`}
                value={patterns[k]}
                placeholder={placeholder}
                onChange={(e) => setPatterns((p) => ({ ...p, [k]: e.target.value }))}
                aria-invalid={!!errors[k]}
              />
              {errors[k] ? <div className="field-error">{errors[k]}</div> : null}
            </div>
          ))}
        </div>
      </details>
      <ErrorMessage error={save.error} title="Not saved" />
      {save.isSuccess ? <Notice kind="ok">Saved: the next sync takes {formatNumber(save.data.taken_entries)} entries.</Notice> : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending || invalid}>
          Save categories
        </button>
      </div>
    </form>
  );
}
