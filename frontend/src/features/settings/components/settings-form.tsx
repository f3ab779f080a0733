import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { ApiError } from '@/lib/api-client';
import { useSaveSettings, useSettings, type SettingInfo, type SettingsView as View } from '@/features/settings/api/settings';
import { arrange, infoOf, parseField, serverMessage, specOf, toText, type FieldSpec, type Section } from '@/features/settings/lib/catalogue';
import { describeCron } from '@/features/settings/lib/cron';

type Draft = Record<string, string | boolean>;

function initial(view: View, fields: string[]): Draft {
  const out: Draft = {};
  for (const f of fields) {
    const info = infoOf(view, f);
    if (!info) continue;
    out[f] = info.type === 'boolean' ? Boolean(info.value) : toText(info.value, info, specOf(f));
  }
  return out;
}

function defaultText(info: SettingInfo, spec: FieldSpec): string | null {
  if (info.type === 'boolean') return `Default: ${info.default ? 'on' : 'off'}`;
  if (info.default === null || info.default === undefined) return spec.emptyMeans ? `Empty: ${spec.emptyMeans}` : null;
  const text = toText(info.default, info, spec);
  const option = spec.options?.[String(info.default)];
  return `Default: ${option ?? text}${spec.unit && !option ? ` ${spec.unit}` : ''}`;
}

function Field({ field, info, value, error, onChange }: { field: string; info: SettingInfo; value: string | boolean; error?: string; onChange: (v: string | boolean) => void }) {
  const spec = specOf(field);
  const id = `s-${field.replace('.', '-')}`;
  const c = info.constraints ?? {};
  const hint = [spec.help, defaultText(info, spec)].filter(Boolean).join(' ');
  let input: ReactNode;
  if (info.type === 'boolean') {
    return (
      <div className="field">
        <label className="switch" htmlFor={id}>
          <input id={id} type="checkbox" role="switch" checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-hint`} />
          {spec.label}
        </label>
        <div className="help" id={`${id}-hint`}>
          {hint}
        </div>
      </div>
    );
  }
  if (c.enum) {
    input = (
      <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-hint`}>
        {info.nullable ? <option value="">{spec.emptyMeans ?? '(none)'}</option> : null}
        {c.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {spec.options?.[String(o)] ?? String(o)}
          </option>
        ))}
      </select>
    );
  } else if (info.type === 'integer' || info.type === 'number') {
    const scale = spec.percent ? 100 : 1;
    const min = c.minimum ?? c.exclusiveMinimum;
    const max = c.maximum ?? c.exclusiveMaximum;
    input = (
      <input
        id={id}
        type="number"
        className="short"
        min={min !== undefined ? min * scale : undefined}
        max={max !== undefined ? max * scale : undefined}
        step={info.type === 'integer' ? 1 : 'any'}
        value={String(value)}
        placeholder={spec.emptyMeans}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={!!error}
        aria-describedby={`${id}-hint`}
      />
    );
  } else if (spec.kind === 'json') {
    input = <textarea id={id} rows={3} value={String(value)} onChange={(e) => onChange(e.target.value)} aria-invalid={!!error} aria-describedby={`${id}-hint`} />;
  } else {
    input = (
      <input
        id={id}
        type={spec.kind === 'secret' ? 'password' : 'text'}
        autoComplete="off"
        value={String(value)}
        placeholder={spec.emptyMeans}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={!!error}
        aria-describedby={`${id}-hint`}
      />
    );
  }
  const cron = spec.kind === 'cron' && String(value).trim() ? describeCron(String(value)) : null;
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      <div className="row gap-sm wrap">
        {input}
        {spec.unit ? <span className="small muted">{spec.unit}</span> : null}
      </div>
      {spec.kind === 'cron' && String(value).trim() ? (
        <div className={cron ? 'small ok-text' : 'field-error'}>{cron ? `Runs ${cron}.` : 'Not a cron expression: five fields, e.g. 0 4 * * * (every day at 04:00).'}</div>
      ) : null}
      {error ? <div className="field-error">{error}</div> : null}
      <div className="help" id={`${id}-hint`}>
        {hint}
      </div>
    </div>
  );
}

function SectionForm({ section, view }: { section: Section & { present: string[] }; view: View }) {
  const [draft, setDraft] = useState<Draft>(() => initial(view, section.present));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useSaveSettings();
  const basic = section.present.filter((f) => !specOf(f).advanced);
  const advanced = section.present.filter((f) => specOf(f).advanced);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const changes: Record<string, Record<string, unknown>> = {};
    const found: Record<string, string> = {};
    for (const f of section.present) {
      const info = infoOf(view, f);
      const d = draft[f];
      if (!info || d === undefined) continue;
      const spec = specOf(f);
      const [v, err] = typeof d === 'boolean' ? [d, null] : parseField(d, info, spec);
      const cronBad = spec.kind === 'cron' && typeof d === 'string' && d.trim() && !describeCron(d);
      if (err || cronBad) found[f] = err ?? 'Not a cron expression.';
      else if (JSON.stringify(v) !== JSON.stringify(info.value)) {
        const [group, ...key] = f.split('.');
        (changes[group as string] ??= {})[key.join('.')] = v;
      }
    }
    setErrors(found);
    if (Object.keys(found).length) {
      const first = Object.keys(found)[0] as string;
      if (specOf(first).advanced) (document.getElementById(`adv-${section.id}`) as HTMLDetailsElement | null)?.setAttribute('open', '');
      document.getElementById(`s-${first.replace('.', '-')}`)?.focus();
      return;
    }
    if (!Object.keys(changes).length) return;
    save.mutate(changes, {
      onError: (err) => {
        // The server names the refused setting as "group.key" (or deeper, for lists).
        const field = err instanceof ApiError ? (err.details as { field?: string } | null)?.field : undefined;
        const match = field ? section.present.find((f) => field === f || field.startsWith(`${f}.`)) : undefined;
        if (match) setErrors({ [match]: serverMessage(err.message) });
      },
    });
  };
  const fieldShown = Object.keys(errors).length > 0;
  const render = (f: string) => {
    const info = infoOf(view, f);
    const d = draft[f];
    if (!info || d === undefined) return null;
    return <Field key={f} field={f} info={info} value={d} error={errors[f]} onChange={(v) => setDraft((cur) => ({ ...cur, [f]: v }))} />;
  };

  return (
    <form id={`settings-${section.id}`} className="card stack settings-section" onSubmit={submit} noValidate aria-labelledby={`sg-${section.id}`}>
      <div>
        <h2 id={`sg-${section.id}`}>{section.title}</h2>
        <p className="small muted">{section.intro}</p>
      </div>
      <div className="grid-2">{basic.map(render)}</div>
      {advanced.length ? (
        <details id={`adv-${section.id}`}>
          <summary>Advanced ({advanced.length})</summary>
          <div className="grid-2">{advanced.map(render)}</div>
        </details>
      ) : null}
      {!fieldShown ? <ErrorMessage error={save.error} title="Not saved" /> : null}
      {fieldShown ? <div className="field-error" role="alert">Not saved: fix the marked {Object.keys(errors).length === 1 ? 'field' : 'fields'}.</div> : null}
      {save.isSuccess && !save.isPending && !fieldShown ? <Notice kind="ok">Saved. Every strmline process uses the new values within seconds.</Notice> : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save {section.title.toLowerCase()}
        </button>
      </div>
    </form>
  );
}

export function SettingsView() {
  const settings = useSettings();
  const sections = settings.data ? arrange(settings.data) : [];
  return (
    <div className="stack-lg">
      <h1>Settings</h1>
      {settings.isPending ? <Loading /> : null}
      <ErrorMessage error={settings.error} title="Settings could not be loaded" />
      {sections.length ? (
        <nav className="settings-nav" aria-label="Settings sections">
          {sections.map((s) => (
            <a key={s.id} href={`#settings-${s.id}`}>
              {s.title}
            </a>
          ))}
        </nav>
      ) : null}
      {settings.data ? sections.map((s) => <SectionForm key={s.id} section={s} view={settings.data} />) : null}
    </div>
  );
}
