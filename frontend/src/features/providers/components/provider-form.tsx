import { useState, type FormEvent } from 'react';
import { ErrorMessage, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { formatNumber } from '@/lib/format';
import { useDeleteProvider } from '@/features/providers/api/delete-provider';
import { useSaveProvider, type ProviderInput } from '@/features/providers/api/save-provider';
import { useStreamProfiles } from '@/features/providers/api/stream-profiles';
import { useTestProvider } from '@/features/providers/api/test-provider';
import { AccountInfo } from '@/features/providers/components/account-info';
import { findProfile, PLAY_MODES, playBadges, playbackSummary, profileOptions, type PlayMode } from '@/features/providers/lib/playback';
import type { Provider, ProviderKind } from '@/types/api';

type Draft = {
  name: string;
  kind: ProviderKind;
  url: string;
  username: string;
  password: string;
  backup_urls: string;
  user_agent: string;
  priority: string;
  max_connections: string;
  refresh_minutes: string;
  output_format: 'ts' | 'm3u8';
  epg_url: string;
  enabled: boolean;
  play_mode: PlayMode;
  stream_profile: string; // '' = none
};

function toDraft(p: Provider | null): Draft {
  return {
    name: p?.name ?? '',
    kind: (p?.kind ?? 'm3u') as ProviderKind,
    url: p?.url ?? '',
    username: p?.username ?? '',
    password: '',
    backup_urls: (p?.backup_urls ?? []).join('\n'),
    user_agent: p?.user_agent ?? '',
    priority: String(p?.priority ?? 0),
    max_connections: p?.max_connections == null ? '' : String(p.max_connections),
    refresh_minutes: p?.refresh_minutes == null ? '' : String(p.refresh_minutes),
    output_format: (p?.output_format ?? 'ts') as Draft['output_format'],
    epg_url: p?.epg_url ?? '',
    enabled: p?.enabled ?? true,
    play_mode: p?.play_mode ?? 'auto',
    stream_profile: p?.stream_profile ?? '',
  };
}

/** Client-side checks, so the common mistakes are named before a round trip. */
export function validateProvider(d: Draft, editing: boolean): Record<string, string> {
  const e: Record<string, string> = {};
  if (!d.name.trim()) e.name = 'Give the provider a name.';
  if (!/^https?:\/\/\S+$/i.test(d.url.trim()) && !(d.kind === 'm3u' && d.url.trim().startsWith('/')))
    e.url = d.kind === 'm3u' ? 'Enter the playlist URL (http:// or https://) or a file path.' : 'Enter the server URL, e.g. http://host:8080.';
  if (d.kind === 'xtream') {
    if (!d.username.trim()) e.username = 'Xtream accounts need a username.';
    if (!editing && !d.password) e.password = 'Xtream accounts need a password.';
  }
  for (const line of d.backup_urls.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (!/^https?:\/\/\S+$/i.test(line)) e.backup_urls = `Not a URL: ${line}`;
  }
  if (!/^-?\d+$/.test(d.priority.trim())) e.priority = 'A whole number (higher is preferred).';
  if (d.max_connections && !(Number(d.max_connections) >= 1)) e.max_connections = 'At least 1, or leave empty.';
  if (d.refresh_minutes && !(Number(d.refresh_minutes) >= 5)) e.refresh_minutes = 'At least 5 minutes, or leave empty.';
  return e;
}

function toInput(d: Draft, before: Provider | null): ProviderInput {
  const editing = before != null;
  const body: ProviderInput = {
    name: d.name.trim(),
    kind: d.kind,
    url: d.url.trim(),
    username: d.kind === 'xtream' || d.username.trim() ? d.username.trim() || null : null,
    backup_urls: d.backup_urls.split('\n').map((l) => l.trim()).filter(Boolean),
    user_agent: d.user_agent.trim() || null,
    priority: Number(d.priority),
    max_connections: d.max_connections ? Number(d.max_connections) : null,
    refresh_minutes: d.refresh_minutes ? Number(d.refresh_minutes) : null,
    output_format: d.output_format,
    epg_url: d.epg_url.trim() || null,
    enabled: d.enabled,
    play_mode: d.play_mode,
  };
  if (d.password || !editing) body.password = d.password || null;
  // Sent only when changed: the server checks a profile it is sent, and one whose program was
  // uninstalled since would then block saving any other field.
  if ((d.stream_profile || null) !== (before?.stream_profile ?? null)) body.stream_profile = d.stream_profile || null;
  return body;
}

export function ProviderForm({ provider, onSaved }: { provider: Provider | null; onSaved: (p: Provider) => void }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(provider));
  const [saved, setSaved] = useState<Provider | null>(provider);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useSaveProvider();
  const test = useTestProvider();
  const discard = useDeleteProvider();
  // "Add and test" keeps a new provider only when the test passes: the API can only test a
  // saved provider, so a failed one is removed again and the form keeps what was typed.
  const [discarded, setDiscarded] = useState(false);
  const serverFields = fieldErrors(save.error);
  const err = (k: string) => errors[k] ?? serverFields[k];
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const submit = (e: FormEvent, andTest = false) => {
    e.preventDefault();
    const found = validateProvider(draft, saved != null);
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`pf-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    setDiscarded(false);
    test.reset();
    const isNew = saved == null;
    save.mutate(
      { id: saved?.id ?? null, body: toInput(draft, saved) },
      {
        onSuccess: (p) => {
          if (andTest && isNew) {
            const drop = () => discard.mutate(p.id, { onSettled: () => setDiscarded(true) });
            test.mutate(p.id, {
              onSuccess: (r) => {
                if (!r.ok) return drop();
                setSaved(p);
                setDraft((d) => ({ ...d, password: '' }));
              },
              onError: drop,
            });
            return;
          }
          setSaved(p);
          setDraft((d) => ({ ...d, password: '' }));
          if (andTest) test.mutate(p.id);
          else onSaved(p);
        },
      },
    );
  };

  const field = (k: keyof Draft, label: string, input: React.ReactNode, hint?: string) => (
    <div className="field">
      <label htmlFor={`pf-${k}`}>{label}</label>
      {input}
      {err(k) ? (
        <div className="field-error" id={`pf-${k}-err`}>
          {err(k)}
        </div>
      ) : hint ? (
        <div className="small muted">{hint}</div>
      ) : null}
    </div>
  );
  const text = (k: keyof Draft, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <input
      id={`pf-${k}`}
      value={draft[k] as string}
      onChange={(e) => set(k, e.target.value as never)}
      aria-invalid={!!err(k)}
      aria-describedby={err(k) ? `pf-${k}-err` : undefined}
      {...props}
    />
  );
  const xtream = draft.kind === 'xtream';
  const profiles = useStreamProfiles();
  const chosenProfile = findProfile(profiles.data, draft.stream_profile);
  const marks = playBadges({ play_mode: draft.play_mode, stream_profile: draft.stream_profile || null });

  return (
    <form className="stack" onSubmit={(e) => submit(e)} noValidate aria-label={saved ? 'Edit provider' : 'Add provider'}>
      <fieldset className="segmented">
        <legend>Type</legend>
        {(['m3u', 'xtream'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="kind" value={k} checked={draft.kind === k} onChange={() => set('kind', k)} />
            {k === 'm3u' ? 'M3U playlist' : 'Xtream Codes'}
          </label>
        ))}
      </fieldset>
      {field('name', 'Name', text('name', { required: true, placeholder: 'My provider' }))}
      {field(
        'url',
        xtream ? 'Server URL' : 'Playlist URL',
        text('url', { required: true, inputMode: 'url', placeholder: xtream ? 'http://example.com:8080' : 'http://example.com/playlist.m3u' }),
      )}
      {xtream ? (
        <div className="grid-2">
          {field('username', 'Username', text('username', { autoComplete: 'off' }))}
          {field(
            'password',
            'Password',
            text('password', { type: 'password', autoComplete: 'new-password' }),
            saved ? 'Leave empty to keep the saved password.' : undefined,
          )}
        </div>
      ) : null}
      <details>
        <summary>More options</summary>
        <div className="stack">
          {field(
            'backup_urls',
            'Backup URLs',
            <textarea
              id="pf-backup_urls"
              rows={2}
              value={draft.backup_urls}
              onChange={(e) => set('backup_urls', e.target.value)}
              aria-invalid={!!err('backup_urls')}
            />,
            'One per line; tried in order when the main URL fails.',
          )}
          <div className="grid-2">
            {field('priority', 'Priority', text('priority', { inputMode: 'numeric' }), 'Higher wins when streams are equally good.')}
            {field('max_connections', 'Max connections', text('max_connections', { inputMode: 'numeric', placeholder: 'from the account' }))}
            {field('refresh_minutes', 'Sync every (minutes)', text('refresh_minutes', { inputMode: 'numeric', placeholder: 'default' }))}
            {xtream
              ? field(
                  'output_format',
                  'Live format',
                  <select id="pf-output_format" value={draft.output_format} onChange={(e) => set('output_format', e.target.value as 'ts' | 'm3u8')}>
                    <option value="ts">MPEG-TS (.ts)</option>
                    <option value="m3u8">HLS (.m3u8, plays in the browser)</option>
                  </select>,
                )
              : null}
          </div>
          {field('user_agent', 'User agent', text('user_agent', { placeholder: 'default' }))}
          {field('epg_url', 'Guide (XMLTV) URL', text('epg_url', { inputMode: 'url', placeholder: xtream ? 'automatic' : 'optional' }))}
        </div>
      </details>
      <details>
        <summary>
          Playback
          <span className="small muted">{marks.length ? ` · ${marks.map((m) => m.text).join(' · ')}` : ' · automatic'}</span>
        </summary>
        <div className="stack">
          {field(
            'play_mode',
            'Play mode',
            <select id="pf-play_mode" value={draft.play_mode} onChange={(e) => set('play_mode', e.target.value as PlayMode)}>
              {PLAY_MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>,
            playbackSummary(draft.play_mode, chosenProfile),
          )}
          {field(
            'stream_profile',
            'Stream profile',
            <select id="pf-stream_profile" value={draft.stream_profile} onChange={(e) => set('stream_profile', e.target.value)}>
              <option value="">Default (from settings)</option>
              {profileOptions(profiles.data, draft.stream_profile).map((o) => (
                <option key={o.value} value={o.value} disabled={o.disabled}>
                  {o.label}
                </option>
              ))}
            </select>,
            profiles.isError
              ? 'The list of profiles could not be loaded.'
              : 'How strmline reads a stream it passes on: itself (proxy), or through a program such as ffmpeg whose output players get. Channels can choose their own.',
          )}
        </div>
      </details>
      <label className="check">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
      </label>

      <ErrorMessage error={Object.keys(serverFields).length ? null : save.error} />
      {test.data ? (
        <div className={`alert ${test.data.ok ? 'alert-ok' : 'alert-error'}`} role="status">
          <strong>{test.data.ok ? 'Connection works' : 'Connection failed'}:</strong> {test.data.message}
          {test.data.entries != null ? ` · ${formatNumber(test.data.entries)} entries` : ''}
          {test.data.account ? <AccountInfo account={test.data.account} /> : null}
        </div>
      ) : null}
      <ErrorMessage error={test.error} title="Test failed" />
      {discarded ? (
        <div className="alert alert-warn" role="status">
          The provider was not added. Check the details above and try again.
        </div>
      ) : null}

      <div className="row gap">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : saved ? 'Save' : 'Add provider'}
        </button>
        <button type="button" className="btn" disabled={save.isPending || test.isPending || discard.isPending} onClick={(e) => submit(e, true)}>
          {test.isPending ? 'Testing…' : saved ? 'Save and test connection' : 'Add and test connection'}
        </button>
        {saved && test.data ? (
          <button type="button" className="btn" onClick={() => onSaved(saved)}>
            Done
          </button>
        ) : null}
      </div>
      {save.isSuccess && !test.data && !test.isPending && !discarded && saved ? <Notice kind="ok">Saved.</Notice> : null}
    </form>
  );
}
