import { useState, type FormEvent } from 'react';
import { ErrorMessage, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useUpdateChannel, type ChannelPatch } from '@/features/channels/api/curate';
import type { ChannelDetail } from '@/types/api';

export function ChannelEditForm({ channel }: { channel: ChannelDetail }) {
  const [name, setName] = useState(channel.name);
  const [number, setNumber] = useState(channel.number == null ? '' : String(channel.number));
  const [category, setCategory] = useState(channel.category ?? '');
  const [logo, setLogo] = useState(channel.logo ?? '');
  const [local, setLocal] = useState<Record<string, string>>({});
  const update = useUpdateChannel(channel.id);
  const server = fieldErrors(update.error);
  const err = (k: string) => local[k] ?? server[k];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = 'A channel needs a name.';
    if (number.trim() && !(Number(number) >= 0)) found.number = 'A number of 0 or more, or empty.';
    if (logo.trim() && !/^(https?:\/\/|\/)/.test(logo.trim())) found.logo = 'A http(s) URL, or empty.';
    setLocal(found);
    if (Object.keys(found).length) return;
    const patch: ChannelPatch = {};
    if (name.trim() !== channel.name) patch.name = name.trim();
    const n = number.trim() ? Number(number) : null;
    if (n !== channel.number) patch.number = n;
    if ((category.trim() || null) !== channel.category) patch.category = category.trim() || null;
    if ((logo.trim() || null) !== channel.logo) patch.logo = logo.trim() || null;
    if (Object.keys(patch).length) update.mutate(patch);
  };

  const input = (id: string, label: string, value: string, set: (v: string) => void, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <div className="field">
      <label htmlFor={`ce-${id}`}>{label}</label>
      <input id={`ce-${id}`} value={value} onChange={(e) => set(e.target.value)} aria-invalid={!!err(id)} {...props} />
      {err(id) ? <div className="field-error">{err(id)}</div> : null}
    </div>
  );

  return (
    <form className="stack" onSubmit={submit} aria-label="Edit channel">
      <div className="grid-2">
        {input('name', 'Name', name, setName)}
        {input('number', 'Number', number, setNumber, { inputMode: 'decimal' })}
        {input('category', 'Category', category, setCategory)}
        {input('logo', 'Logo URL', logo, setLogo, { inputMode: 'url' })}
      </div>
      <ErrorMessage error={Object.keys(server).length ? null : update.error} />
      {update.isSuccess ? <Notice kind="ok">Saved. Manual edits survive later syncs.</Notice> : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={update.isPending}>
          Save details
        </button>
      </div>
    </form>
  );
}
