// How a provider's streams reach players, in plain words. The rules are the server's
// (services/playhints.py, effective_mode): the play mode comes first; in automatic mode a
// stream profile decides (redirect, or through strmline for any other), else the global
// setting; and a redirect that would show the account's login becomes a proxy unless the
// settings allow it or the provider is set to redirect.
import type { StreamProfile } from '@/features/providers/api/stream-profiles';
import type { Provider } from '@/types/api';

export type PlayMode = Provider['play_mode'];

export const PLAY_MODES: ReadonlyArray<{ value: PlayMode; label: string }> = [
  { value: 'auto', label: 'Automatic (as Settings › Playback says)' },
  { value: 'proxy', label: 'Stream through strmline (proxy)' },
  { value: 'redirect', label: 'Send players straight to the provider (redirect)' },
];

export const playModeLabel = (mode: PlayMode) => PLAY_MODES.find((m) => m.value === mode)?.label ?? mode;

/** The program a command runs: its first word, quoted or not (what the server looks up on PATH). */
export function programOf(command: string | null | undefined): string | null {
  const m = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(command ?? '');
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
}

type ProfileRef = Pick<StreamProfile, 'name' | 'kind'> & Partial<Pick<StreamProfile, 'command'>>;

/** A profile by name; before the list has loaded (or for a name it lacks) the kind is guessed
 * the way the server would treat it: proxy and redirect are built in, anything else runs a program. */
export function findProfile(profiles: readonly StreamProfile[] | undefined, name: string | null | undefined): ProfileRef | null {
  if (!name) return null;
  const found = profiles?.find((p) => p.name === name);
  if (found) return found;
  return { name, kind: name === 'proxy' || name === 'redirect' ? name : 'command' };
}

export function profileLabel(p: StreamProfile): string {
  if (p.kind === 'proxy') return 'proxy: strmline reads the stream itself';
  if (p.kind === 'redirect') return 'redirect: send players to the provider';
  const program = programOf(p.command) ?? 'a program';
  if (!p.available) return `${p.name} (${program} not installed)`;
  return `${p.name}: through ${program}${p.builtin ? '' : ' (your own)'}`;
}

export type ProfileOption = { value: string; label: string; disabled: boolean };

/** Every profile as a select option; one that cannot run here is shown but cannot be chosen
 * (the server refuses it), and a saved name the server no longer knows stays visible. */
export function profileOptions(profiles: readonly StreamProfile[] | undefined, current: string | null | undefined): ProfileOption[] {
  const out = (profiles ?? []).map((p) => ({ value: p.name, label: profileLabel(p), disabled: !p.available }));
  if (current && !out.some((o) => o.value === current)) {
    out.push({ value: current, label: profiles ? `${current} (no longer defined)` : current, disabled: !!profiles });
  }
  return out;
}

const LOGIN = 'streams whose URL carries the account’s username and password (every Xtream stream)';

/** What players get from a provider with this play mode and stream profile (null: none). */
export function playbackSummary(mode: PlayMode, profile: ProfileRef | null): string {
  if (mode === 'redirect') {
    const unused = profile && profile.kind !== 'redirect' ? ' The stream profile is not used: nothing goes through strmline.' : '';
    return (
      'Players are sent straight to the provider’s URL, with any username and password in it (every Xtream URL has them): ' +
      `players, their logs and anyone a URL is shared with can see them.${unused}`
    );
  }
  if (mode === 'proxy' || (profile && profile.kind !== 'redirect')) {
    if (profile?.kind === 'command') {
      const program = programOf(profile.command);
      return `Every stream goes through strmline, read by the ${profile.name} profile${program ? ` (${program})` : ''}.`;
    }
    if (profile?.kind === 'redirect') return 'Every stream goes through strmline: the play mode comes first, so the redirect profile changes nothing.';
    return 'Every stream goes through strmline, which reads it itself.';
  }
  if (profile?.kind === 'redirect') {
    return `Players are sent straight to the provider, except ${LOGIN}: those go through strmline unless Settings › Playback allows redirecting them.`;
  }
  return `As Settings › Playback says (“How players get a stream”). Even when that sends players to the provider, ${LOGIN} go through strmline unless that page allows redirecting them.`;
}

/** Short marks for a provider card: shown only when it does not play the default way. */
export function playBadges(p: Pick<Provider, 'play_mode' | 'stream_profile'>): Array<{ text: string; title: string }> {
  const out: Array<{ text: string; title: string }> = [];
  if (p.play_mode === 'proxy') out.push({ text: 'Through strmline', title: 'Play mode: stream through strmline (proxy)' });
  if (p.play_mode === 'redirect') out.push({ text: 'Straight to provider', title: 'Play mode: send players straight to the provider (redirect)' });
  if (p.stream_profile) out.push({ text: `Profile: ${p.stream_profile}`, title: 'Stream profile' });
  return out;
}
