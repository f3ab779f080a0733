import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '@/components/confirm-button';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useDeleteRule, useRules, useSaveRule, type RuleInput } from '@/features/rules/api/rules';
import type { MergeRule } from '@/types/api';

const EMPTY: RuleInput = { kind: 'never', pattern_a: '', pattern_b: '', note: '' };

function RuleForm({ rule, onDone }: { rule: MergeRule | null; onDone: () => void }) {
  const [draft, setDraft] = useState<RuleInput>(rule ? { kind: rule.kind, pattern_a: rule.pattern_a, pattern_b: rule.pattern_b, note: rule.note ?? '' } : EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const save = useSaveRule();
  const server = fieldErrors(save.error);
  const err = (k: string) => local[k] ?? server[k];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!draft.pattern_a.trim()) found.pattern_a = 'Enter a channel name or pattern.';
    if (!draft.pattern_b.trim()) found.pattern_b = 'Enter a channel name or pattern.';
    setLocal(found);
    if (Object.keys(found).length) return;
    save.mutate(
      { id: rule?.id ?? null, body: { ...draft, pattern_a: draft.pattern_a.trim(), pattern_b: draft.pattern_b.trim(), note: draft.note?.trim() || null } },
      {
        onSuccess: () => {
          setDraft(EMPTY);
          onDone();
        },
      },
    );
  };
  const pid = rule ? `r${rule.id}` : 'new';
  return (
    <form className="card stack" onSubmit={submit} aria-label={rule ? 'Edit rule' : 'Add a rule'}>
      <div className="grid-rule">
        <div className="field">
          <label htmlFor={`${pid}-kind`}>Rule</label>
          <select id={`${pid}-kind`} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as 'never' | 'always' })}>
            <option value="never">Never merge</option>
            <option value="always">Always merge</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${pid}-a`}>Channel A</label>
          <input id={`${pid}-a`} value={draft.pattern_a} placeholder="e.g. Sky Sports*" onChange={(e) => setDraft({ ...draft, pattern_a: e.target.value })} aria-invalid={!!err('pattern_a')} />
          {err('pattern_a') ? <div className="field-error">{err('pattern_a')}</div> : null}
        </div>
        <div className="field">
          <label htmlFor={`${pid}-b`}>Channel B</label>
          <input id={`${pid}-b`} value={draft.pattern_b} placeholder="e.g. Sky Sports News" onChange={(e) => setDraft({ ...draft, pattern_b: e.target.value })} aria-invalid={!!err('pattern_b')} />
          {err('pattern_b') ? <div className="field-error">{err('pattern_b')}</div> : null}
        </div>
        <div className="field">
          <label htmlFor={`${pid}-note`}>Note</label>
          <input id={`${pid}-note`} value={draft.note ?? ''} onChange={(e) => setDraft({ ...draft, note: e.target.value })} />
        </div>
      </div>
      <ErrorMessage error={Object.keys(server).length ? null : save.error} />
      <div className="row gap">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {rule ? 'Save rule' : 'Add rule'}
        </button>
        {rule ? (
          <button type="button" className="btn" onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function RulesView() {
  const rules = useRules();
  const del = useDeleteRule();
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <div className="stack-lg">
      <h1>Merge rules</h1>
      <p className="muted">
        The matcher merges channels with the same name from different providers. Rules override it: “never merge” keeps two
        channels apart, “always merge” joins names the matcher would miss. Patterns may use <code>*</code>. Rules apply at the
        next sync; manual moves in the channel drawer always win.
      </p>
      <RuleForm rule={null} onDone={() => undefined} />
      {rules.isPending ? <Loading /> : null}
      <ErrorMessage error={rules.error} title="Rules could not be loaded" />
      <ErrorMessage error={del.error} title="Delete failed" />
      {rules.data?.length === 0 ? <EmptyState title="No rules yet">Most setups need none; add one when two channels are merged wrongly.</EmptyState> : null}
      <ul className="plain-list stack">
        {rules.data?.map((r) =>
          editing === r.id ? (
            <li key={r.id}>
              <RuleForm rule={r} onDone={() => setEditing(null)} />
            </li>
          ) : (
            <li key={r.id} className="card row-between wrap">
              <span>
                <span className={`badge ${r.kind === 'never' ? 'badge-bad' : 'badge-ok'}`}>{r.kind === 'never' ? 'never merge' : 'always merge'}</span>{' '}
                <strong>{r.pattern_a}</strong> ↔ <strong>{r.pattern_b}</strong>
                {r.note ? <span className="small muted"> · {r.note}</span> : null}
              </span>
              <span className="row gap-sm">
                <button type="button" className="btn btn-small" onClick={() => setEditing(r.id)}>
                  Edit
                </button>
                <ConfirmButton question="Delete this rule?" confirmLabel="Delete" onConfirm={() => del.mutate(r.id)}>
                  Delete
                </ConfirmButton>
              </span>
            </li>
          ),
        )}
      </ul>
    </div>
  );
}
