import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useSaveLineup } from '@/features/lineups/api/lineups';
import { EMPTY_RULE, fromDrafts, QUALITIES, ruleErrors, toDraft, type RuleDraft } from '@/features/lineups/lib/rules';
import type { LineupSummary } from '@/types/api';

/** A lineup takes every channel matching any of its rules; each rule's fields must all match. */
export function RulesEditor({ lineup }: { lineup: LineupSummary & { id: number } }) {
  const id = useId();
  const [drafts, setDrafts] = useState<RuleDraft[]>(lineup.rules.length ? lineup.rules.map(toDraft) : []);
  const [checked, setChecked] = useState(false);
  const save = useSaveLineup();
  const server = fieldErrors(save.error);
  const errors = drafts.map(ruleErrors);
  const invalid = errors.some((e) => Object.keys(e).length > 0);
  const set = (i: number, patch: Partial<RuleDraft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    if (invalid) return;
    save.mutate({ id: lineup.id, body: { rules: fromDrafts(drafts) } });
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Rules">
      <p className="small muted">
        Channels matching any rule join the lineup after every sync; within a rule every field given must match. Channels you take out by hand stay out.
        Without rules the lineup holds only the channels you add (from the Channels page: select, then “Lineup…”).
      </p>
      {drafts.map((d, i) => {
        const err = checked ? errors[i] ?? {} : {};
        const p = `${id}-${i}`;
        return (
          <fieldset key={i} className="card inset" aria-label={`Rule ${i + 1}`}>
            <legend className="small muted">Rule {i + 1}</legend>
            <div className="row gap wrap">
              <div className="field">
                <label htmlFor={`${p}-cat`}>Category is</label>
                <input id={`${p}-cat`} value={d.category} onChange={(e) => set(i, { category: e.target.value })} placeholder="any" />
              </div>
              <div className="field">
                <label htmlFor={`${p}-country`}>Country</label>
                <input id={`${p}-country`} className="short" value={d.country} onChange={(e) => set(i, { country: e.target.value })} placeholder="any, e.g. US" aria-invalid={!!err.country} />
                {err.country ? <div className="field-error">{err.country}</div> : null}
              </div>
              <div className="field">
                <label htmlFor={`${p}-q`}>Quality at least</label>
                <select id={`${p}-q`} value={d.quality} onChange={(e) => set(i, { quality: e.target.value })}>
                  <option value="">any</option>
                  {QUALITIES.map((q) => (
                    <option key={q} value={q}>
                      {q}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field grow">
                <label htmlFor={`${p}-name`}>Name matches (regular expression)</label>
                <input id={`${p}-name`} value={d.name} onChange={(e) => set(i, { name: e.target.value })} placeholder="e.g. ^BBC" aria-invalid={!!err.name} />
                {err.name ? <div className="field-error">{err.name}</div> : null}
              </div>
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))} aria-label={`Remove rule ${i + 1}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      {server.rules ? <div className="field-error">{server.rules}</div> : null}
      <ErrorMessage error={Object.keys(server).length ? null : save.error} title="The rules were not saved" />
      {save.isSuccess ? <Notice kind="ok">Rules saved and applied: the lineup now has {save.data.channels.toLocaleString()} channels.</Notice> : null}
      <div className="row gap">
        <button type="button" className="btn" onClick={() => setDrafts((ds) => [...ds, EMPTY_RULE])}>
          Add a rule
        </button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save rules
        </button>
      </div>
    </form>
  );
}
