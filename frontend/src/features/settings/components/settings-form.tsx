import { useState, type FormEvent } from 'react';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { ApiError } from '@/lib/api-client';
import { useSaveSettings, useSettings, type SettingInfo } from '@/features/settings/api/settings';

const label = (key: string) => key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

function toText(v: unknown, type: string): string {
  if (v === null || v === undefined) return '';
  if (type === 'array' || type === 'object' || type === 'any') return JSON.stringify(v);
  return String(v);
}

/** Parse and check one value against its type and limits; returns [value, error]. */
export function parseSetting(text: string, info: SettingInfo): [unknown, string | null] {
  const c = info.constraints ?? {};
  const t = text.trim();
  if (t === '' && info.type !== 'string') return info.nullable ? [null, null] : [undefined, 'Required.'];
  let v: unknown = text;
  if (info.type === 'integer' || info.type === 'number') {
    const n = Number(t);
    if (!Number.isFinite(n)) return [undefined, 'Enter a number.'];
    if (info.type === 'integer' && !Number.isInteger(n)) return [undefined, 'Enter a whole number.'];
    if (c.minimum !== undefined && n < c.minimum) return [undefined, `At least ${c.minimum}.`];
    if (c.maximum !== undefined && n > c.maximum) return [undefined, `At most ${c.maximum}.`];
    if (c.exclusiveMinimum !== undefined && n <= c.exclusiveMinimum) return [undefined, `More than ${c.exclusiveMinimum}.`];
    if (c.exclusiveMaximum !== undefined && n >= c.exclusiveMaximum) return [undefined, `Less than ${c.exclusiveMaximum}.`];
    v = n;
  } else if (info.type === 'array' || info.type === 'object' || info.type === 'any') {
    try {
      v = JSON.parse(t);
    } catch {
      return [undefined, 'Not valid JSON.'];
    }
  } else if (info.type === 'string') {
    if (t === '' && info.nullable) return [null, null];
    if (c.minLength !== undefined && text.length < c.minLength) return [undefined, `At least ${c.minLength} characters.`];
    if (c.maxLength !== undefined && text.length > c.maxLength) return [undefined, `At most ${c.maxLength} characters.`];
  }
  if (c.enum && !c.enum.includes(v)) return [undefined, `One of: ${c.enum.join(', ')}.`];
  return [v, null];
}

function GroupForm({ group, entries }: { group: string; entries: Record<string, SettingInfo> }) {
  const [draft, setDraft] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(Object.entries(entries).map(([k, i]) => [k, i.type === 'boolean' ? Boolean(i.value) : toText(i.value, i.type)])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useSaveSettings();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const changes: Record<string, unknown> = {};
    const found: Record<string, string> = {};
    for (const [k, info] of Object.entries(entries)) {
      const d = draft[k];
      const [v, err] = typeof d === 'boolean' ? [d, null] : parseSetting(d ?? '', info);
      if (err) found[k] = err;
      else if (JSON.stringify(v) !== JSON.stringify(info.value)) changes[k] = v;
    }
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`s-${group}-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    if (!Object.keys(changes).length) return;
    save.mutate(
      { [group]: changes },
      {
        onError: (err) => {
          // The server names the field as "group.key".
          const field = err instanceof ApiError ? (err.details as { field?: string } | null)?.field : undefined;
          const key = field?.startsWith(`${group}.`) ? field.slice(group.length + 1) : undefined;
          if (key && key in entries) setErrors({ [key]: err.message });
        },
      },
    );
  };
  const serverFieldShown = Object.keys(errors).length > 0;

  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby={`sg-${group}`}>
      <h2 id={`sg-${group}`}>{label(group)}</h2>
      {Object.entries(entries).map(([k, info]) => {
        const id = `s-${group}-${k}`;
        const d = draft[k];
        const hint = [
          info.description,
          info.default !== undefined && info.default !== null ? `Default: ${toText(info.default, info.type)}` : null,
        ]
          .filter(Boolean)
          .join(' · ');
        return (
          <div className="field" key={k}>
            {info.type === 'boolean' ? (
              <label className="check" htmlFor={id}>
                <input id={id} type="checkbox" checked={Boolean(d)} onChange={(e) => setDraft({ ...draft, [k]: e.target.checked })} /> {label(k)}
              </label>
            ) : (
              <>
                <label htmlFor={id}>{label(k)}</label>
                {info.constraints?.enum ? (
                  <select id={id} value={String(d)} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}>
                    {info.nullable ? <option value="">(none)</option> : null}
                    {info.constraints.enum.map((o) => (
                      <option key={String(o)} value={String(o)}>
                        {String(o)}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={id}
                    value={String(d ?? '')}
                    inputMode={info.type === 'integer' || info.type === 'number' ? 'decimal' : undefined}
                    onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
                    aria-invalid={!!errors[k]}
                    aria-describedby={`${id}-hint`}
                  />
                )}
              </>
            )}
            {errors[k] ? <div className="field-error">{errors[k]}</div> : null}
            {hint ? (
              <div className="small muted" id={`${id}-hint`}>
                {hint}
                {info.overridden ? ' · changed from the default' : ''}
              </div>
            ) : null}
          </div>
        );
      })}
      {!serverFieldShown ? <ErrorMessage error={save.error} /> : null}
      {save.isSuccess && !save.isPending ? <Notice kind="ok">Saved.</Notice> : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save {label(group).toLowerCase()}
        </button>
      </div>
    </form>
  );
}

export function SettingsView() {
  const settings = useSettings();
  return (
    <div className="stack-lg">
      <h1>Settings</h1>
      {settings.isPending ? <Loading /> : null}
      <ErrorMessage error={settings.error} title="Settings could not be loaded" />
      {settings.data
        ? Object.entries(settings.data).map(([group, entries]) => <GroupForm key={group} group={group} entries={entries} />)
        : null}
    </div>
  );
}
