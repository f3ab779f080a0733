import { useState, type FormEvent } from 'react';
import { ErrorMessage, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useUpdateChannel, type ChannelPatch } from '@/features/channels/api/curate';
import { useProviderOptions } from '@/features/channels/api/get-provider-options';
import { useStreamProfiles } from '@/lib/stream-profiles';
import type { ChannelDetail, Provider, StreamProfile } from '@/types/api';


const MODE_WORDS: Record<string, string> = {
  auto: 'automatic (as Settings › Playback says)',
  proxy: 'stream through strmline (proxy)',
  redirect: 'send players straight to the provider (redirect)',
};

/** This channel's providers (those of its streams), with what each says, in stream order. */
function channelProviders(channel: ChannelDetail, providers: readonly Provider[] | undefined) {
  const seen = new Map<number, { name: string; profile: string | null; mode: string }>();
  for (const s of channel.streams) {
    if (seen.has(s.provider_id)) continue;
    const p = providers?.find((x) => x.id === s.provider_id);
    seen.set(s.provider_id, { name: s.provider, profile: p?.stream_profile ?? null, mode: p?.play_mode ?? 'auto' });
  }
  return [...seen.values()];
}

/** "Provider's (ffmpeg-remux)", or each provider's when they differ. */
function inheritedLabel(list: ReturnType<typeof channelProviders>, loaded: boolean): string {
  if (!list.length || !loaded) return 'Provider\u2019s';
  const profiles = new Set(list.map((p) => p.profile ?? 'default'));
  if (profiles.size === 1) return `${list.length > 1 ? 'Providers\u2019' : 'Provider\u2019s'} (${[...profiles][0]})`;
  return `Each provider\u2019s (${list.map((p) => `${p.name}: ${p.profile ?? 'default'}`).join(', ')})`;
}

function playModeText(channel: ChannelDetail, list: ReturnType<typeof channelProviders>, loaded: boolean): string {
  if (channel.play_mode) return `${MODE_WORDS[channel.play_mode] ?? channel.play_mode}, set for this channel`;
  if (!list.length) return 'as its providers say (it has no streams)';
  if (!loaded) return 'as its providers say';
  const words = (mode: string) => MODE_WORDS[mode] ?? mode;
  const first = list[0]?.mode ?? 'auto';
  if (list.every((p) => p.mode === first)) return `${words(first)}, from ${list.map((p) => p.name).join(', ')}`;
  return list.map((p) => `${p.name}: ${words(p.mode)}`).join('; ');
}

function profileText(p: StreamProfile): string {
  if (p.available) return p.builtin ? p.name : `${p.name} (your own)`;
  const program = /^\s*["']?([^\s"']+)/.exec(p.command ?? '')?.[1] ?? 'its program';
  return `${p.name} (${program} not installed)`;
}

export function ChannelEditForm({ channel }: { channel: ChannelDetail }) {
  const [name, setName] = useState(channel.name);
  const [number, setNumber] = useState(channel.number == null ? '' : String(channel.number));
  const [category, setCategory] = useState(channel.category ?? '');
  const [logo, setLogo] = useState(channel.logo ?? '');
  const [profile, setProfile] = useState(channel.stream_profile ?? '');
  const profiles = useStreamProfiles();
  const providers = useProviderOptions(true);
  const mine = channelProviders(channel, providers.data);
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
    if ((profile || null) !== (channel.stream_profile ?? null)) patch.stream_profile = profile || null;
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
      <div className="field">
        <label htmlFor="ce-stream_profile">Stream profile</label>
        <select id="ce-stream_profile" value={profile} onChange={(e) => setProfile(e.target.value)} aria-describedby="ce-stream_profile-help">
          <option value="">{inheritedLabel(mine, providers.isSuccess)}</option>
          {(profiles.data ?? []).map((p) => (
            <option key={p.name} value={p.name} disabled={!p.available}>
              {profileText(p)}
            </option>
          ))}
          {profile && profiles.isSuccess && !profiles.data.some((p) => p.name === profile) ? (
            <option value={profile} disabled>
              {profile} (no longer defined)
            </option>
          ) : null}
        </select>
        <div className="small muted" id="ce-stream_profile-help">
          {profiles.isError ? 'The list of profiles could not be loaded. ' : null}
          How strmline reads this channel&rsquo;s streams when it passes them on: itself (proxy), or through a program such as ffmpeg.
          A provider set to always proxy or always redirect keeps that; the profile then only changes how proxied streams are read.
        </div>
      </div>
      <p className="small" id="ce-play-mode">
        Play mode: <strong>{playModeText(channel, mine, providers.isSuccess)}</strong>. Change it on the provider&rsquo;s page.
      </p>
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
