import { useId, useState, type FormEvent } from 'react';
import { Combobox } from '@/components/combobox';
import { ErrorMessage, Notice } from '@/components/feedback';
import { plural } from '@/lib/format';
import {
  useBulkEdit,
  useLineupMembership,
  useLineupOptions,
  useMergeMany,
  useRenumber,
  type BulkSelection,
  type RenumberRequest,
} from '@/features/channels/api/bulk';
import { useCategoryOptions } from '@/features/channels/api/get-categories';
import type { ChannelSummary } from '@/types/api';

const MAX_MERGE = 20; // one request per channel folded in; more is not a merge but a cleanup

type Panel = 'category' | 'lineup' | 'merge' | 'renumber' | null;

type Props = {
  count: number;
  all: boolean;
  total: number | null;
  selection: BulkSelection;
  /** The selected channels that are loaded (for merge: names and which one stays). */
  chosen: ChannelSummary[];
  onSelectAll: () => void;
  onClear: () => void;
  /** What was done, said by the page (the bar goes away when a merge clears the selection). */
  onDone: (text: string) => void;
};

/** What an admin can do to the selected channels at once. */
export function BulkBar({ count, all, total, selection, chosen, onSelectAll, onClear, onDone }: Props) {
  const [panel, setPanel] = useState<Panel>(null);
  const edit = useBulkEdit();
  const busy = edit.isPending;
  const say = (text: string) => {
    onDone(text);
    setPanel(null);
  };
  const setEnabled = (enabled: boolean) =>
    edit.mutate(
      { ...selection, changes: { enabled } },
      { onSuccess: (r) => say(`${plural(r.changed, 'channel')} ${enabled ? 'enabled' : 'disabled'}.`) },
    );
  const open = (p: Panel) => setPanel((cur) => (cur === p ? null : p));

  return (
    <div className="stack">
      <div className="bulk-bar">
        <strong aria-live="polite" data-testid="selected-count">
          {all ? `All ${plural(count, 'matching channel')} selected` : `${plural(count, 'channel')} selected`}
        </strong>
        {!all && total != null && total > count ? (
          <button type="button" className="btn btn-small btn-link" onClick={onSelectAll}>
            Select all {total.toLocaleString()} matching this filter
          </button>
        ) : null}
        <span className="grow" />
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => setEnabled(true)}>
          Enable
        </button>
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => setEnabled(false)}>
          Disable
        </button>
        {(
          [
            ['category', 'Set category…'],
            ['lineup', 'Lineup…'],
            ['renumber', 'Renumber…'],
            ['merge', 'Merge…'],
          ] as const
        ).map(([p, label]) => (
          <button key={p} type="button" className="btn btn-small" aria-expanded={panel === p} onClick={() => open(p)}>
            {label}
          </button>
        ))}
        <button type="button" className="btn btn-small btn-ghost" onClick={onClear}>
          Clear selection
        </button>
      </div>
      <ErrorMessage error={edit.error} title="The change failed" />
      {panel === 'category' ? <CategoryPanel selection={selection} count={count} onDone={say} /> : null}
      {panel === 'lineup' ? <LineupPanel selection={selection} count={count} onDone={say} /> : null}
      {panel === 'renumber' ? <RenumberPanel selection={selection} count={count} onDone={say} /> : null}
      {panel === 'merge' ? (
        <MergePanel
          chosen={all ? [] : chosen}
          count={count}
          onDone={(text) => {
            say(text);
            onClear();
          }}
        />
      ) : null}
    </div>
  );
}

type PanelProps = { selection: BulkSelection; count: number; onDone: (text: string) => void };

function CategoryPanel({ selection, count, onDone }: PanelProps) {
  const id = useId();
  const [name, setName] = useState('');
  const categories = useCategoryOptions('size');
  const edit = useBulkEdit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const category = name.trim() || null;
    edit.mutate(
      { ...selection, changes: { category } },
      { onSuccess: (r) => onDone(category ? `${plural(r.changed, 'channel')} moved to “${category}”.` : `Category cleared on ${plural(r.changed, 'channel')}.`) },
    );
  };
  return (
    <form className="card inset bulk-panel" onSubmit={submit} aria-label="Set category">
      <div className="field grow">
        <label htmlFor={`${id}-cat`}>Category for {plural(count, 'channel')} (empty clears it)</label>
        <Combobox
          id={`${id}-cat`}
          listLabel="Categories"
          options={categories.data}
          value={name}
          onChange={setName}
          allowFreeText
          placeholder="Pick one or type a new name"
          loading={categories.isPending}
        />
      </div>
      <button type="submit" className="btn btn-primary" disabled={edit.isPending}>
        Apply
      </button>
      <ErrorMessage error={edit.error} />
    </form>
  );
}

function LineupPanel({ selection, count, onDone }: PanelProps) {
  const id = useId();
  const lineups = useLineupOptions(true);
  const [lineupId, setLineupId] = useState('');
  const membership = useLineupMembership();
  const editable = lineups.data?.filter((l) => l.id != null) ?? [];
  const run = (add: boolean) => {
    const lineup = editable.find((l) => String(l.id) === lineupId);
    if (!lineup?.id) return;
    membership.mutate(
      { sel: selection, lineupId: lineup.id, add },
      {
        onSuccess: (r) =>
          onDone(
            add
              ? `${plural(r.changed, 'channel')} added to ${lineup.name}${r.changed < r.asked ? ` (${(r.asked - r.changed).toLocaleString()} were already in it)` : ''}.`
              : `${plural(r.changed, 'channel')} taken out of ${lineup.name}.`,
          ),
      },
    );
  };
  return (
    <div className="card inset bulk-panel" role="group" aria-label="Lineup membership">
      {lineups.isSuccess && editable.length === 0 ? (
        <p className="muted">No lineups yet: create one on the Lineups page first.</p>
      ) : (
        <>
          <div className="field">
            <label htmlFor={`${id}-lineup`}>Lineup</label>
            <select id={`${id}-lineup`} value={lineupId} onChange={(e) => setLineupId(e.target.value)}>
              <option value="">Choose a lineup</option>
              {editable.map((l) => (
                <option key={l.id} value={String(l.id)}>
                  {l.name} ({plural(l.channels, 'channel')})
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="btn btn-primary" disabled={!lineupId || membership.isPending} onClick={() => run(true)}>
            Add {plural(count, 'channel')}
          </button>
          <button type="button" className="btn" disabled={!lineupId || membership.isPending} onClick={() => run(false)}>
            Remove from lineup
          </button>
        </>
      )}
      <ErrorMessage error={lineups.error ?? membership.error} />
    </div>
  );
}

const ORDERS: Array<[RenumberRequest['order'], string]> = [
  ['name', 'by name'],
  ['category', 'by category, then name'],
  ['number', 'keeping their current order'],
];

function RenumberPanel({ selection, count, onDone }: PanelProps) {
  const id = useId();
  const [start, setStart] = useState('100');
  const [order, setOrder] = useState<RenumberRequest['order']>('name');
  const [keep, setKeep] = useState(true);
  const renumber = useRenumber();
  const n = Number(start);
  const invalid = !Number.isInteger(n) || n < 1 || n > 999_999;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid) return;
    renumber.mutate(
      { ...selection, start: n, order, keep_provider: keep },
      {
        onSuccess: (r) =>
          onDone(
            r.changed
              ? `${plural(r.changed, 'channel')} numbered ${r.first}–${r.last}${r.kept ? `; ${plural(r.kept, 'channel')} kept the provider's number` : ''}.`
              : 'Nothing to renumber.',
          ),
      },
    );
  };
  return (
    <form className="card inset bulk-panel" onSubmit={submit} aria-label="Renumber">
      <div className="field">
        <label htmlFor={`${id}-start`}>First number</label>
        <input id={`${id}-start`} type="number" min={1} max={999999} step={1} className="short" value={start} onChange={(e) => setStart(e.target.value)} aria-invalid={invalid} />
        {invalid ? <div className="field-error">A whole number from 1 to 999,999.</div> : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>Order</label>
        <select id={`${id}-order`} value={order} onChange={(e) => setOrder(e.target.value as RenumberRequest['order'])}>
          {ORDERS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <label className="check">
        <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.target.checked)} />
        Keep the provider's numbers (tvg-chno)
      </label>
      <button type="submit" className="btn btn-primary" disabled={invalid || renumber.isPending}>
        Renumber {plural(count, 'channel')}
      </button>
      <p className="small muted" style={{ flexBasis: '100%' }}>
        Numbers other channels already hold are skipped, so no two channels share one. Media servers keep their guide mappings by number: renumber before
        you map channels there.
      </p>
      <ErrorMessage error={renumber.error} />
    </form>
  );
}

function MergePanel({ chosen, count, onDone }: { chosen: ChannelSummary[]; count: number; onDone: (text: string) => void }) {
  const [keep, setKeep] = useState<number | null>(chosen[0]?.id ?? null);
  const merge = useMergeMany();
  if (count < 2 || chosen.length !== count || count > MAX_MERGE) {
    return (
      <Notice kind="warn">
        Merging takes 2 to {MAX_MERGE} channels picked one by one (not “all matching”). {count < 2 ? 'Select at least two.' : ''}
      </Notice>
    );
  }
  const target = chosen.find((c) => c.id === keep);
  const others = chosen.filter((c) => c.id !== keep);
  const streams = others.reduce((n, c) => n + c.stream_count, 0);
  return (
    <div className="card inset stack" role="group" aria-label="Confirm merge">
      <fieldset className="stack">
        <legend>Which channel stays? The others' streams move into it, and the others are deleted.</legend>
        {chosen.map((c) => (
          <label key={c.id} className="check">
            <input type="radio" name="merge-keep" checked={keep === c.id} onChange={() => setKeep(c.id)} />
            {c.name} <span className="small muted">({plural(c.stream_count, 'stream')})</span>
          </label>
        ))}
      </fieldset>
      {target ? (
        <div className="row gap wrap">
          <button
            type="button"
            className="btn btn-danger"
            disabled={merge.isPending}
            onClick={() =>
              merge.mutate(
                { target: target.id, others: others.map((c) => c.id) },
                { onSuccess: () => onDone(`Merged ${plural(others.length, 'channel')} into ${target.name}.`) },
              )
            }
          >
            Merge {plural(others.length, 'channel')} ({plural(streams, 'stream')}) into {target.name}
          </button>
          <span className="small muted">This cannot be undone.</span>
        </div>
      ) : null}
      <ErrorMessage error={merge.error} title="Merge stopped" />
    </div>
  );
}
