import { describe, expect, it } from 'vitest';
import type { StreamProfile } from '@/features/providers/api/stream-profiles';
import { findProfile, playBadges, playbackSummary, profileOptions, programOf } from '@/features/providers/lib/playback';

const profiles: StreamProfile[] = [
  { name: 'proxy', kind: 'proxy', command: null, builtin: true, available: true },
  { name: 'redirect', kind: 'redirect', command: null, builtin: true, available: true },
  { name: 'ffmpeg-remux', kind: 'command', command: 'ffmpeg -hide_banner -i {url} -c copy -f mpegts pipe:1', builtin: true, available: true },
  { name: 'streamlink', kind: 'command', command: 'streamlink --stdout {url} best', builtin: true, available: false },
  { name: 'mine', kind: 'command', command: '"/opt/my tools/grab" {url}', builtin: false, available: true },
];

describe('stream profile options', () => {
  it('names the program a command runs, quoted or not', () => {
    expect(programOf('ffmpeg -i {url}')).toBe('ffmpeg');
    expect(programOf('"/opt/my tools/grab" {url}')).toBe('/opt/my tools/grab');
    expect(programOf(null)).toBeNull();
  });

  it('shows a profile that cannot run here, but not as a choice', () => {
    const options = profileOptions(profiles, null);
    expect(options.map((o) => o.value)).toEqual(['proxy', 'redirect', 'ffmpeg-remux', 'streamlink', 'mine']);
    expect(options.find((o) => o.value === 'streamlink')).toEqual({ value: 'streamlink', label: 'streamlink (streamlink not installed)', disabled: true });
    expect(options.find((o) => o.value === 'ffmpeg-remux')).toMatchObject({ label: 'ffmpeg-remux: through ffmpeg', disabled: false });
    expect(options.find((o) => o.value === 'mine')?.label).toBe('mine: through /opt/my tools/grab (your own)');
  });

  it('keeps a saved profile the server no longer lists visible', () => {
    const options = profileOptions(profiles, 'gone');
    expect(options.at(-1)).toEqual({ value: 'gone', label: 'gone (no longer defined)', disabled: true });
    // Before the list has loaded, the saved name is still the selected option.
    expect(profileOptions(undefined, 'ffmpeg-remux')).toEqual([{ value: 'ffmpeg-remux', label: 'ffmpeg-remux', disabled: false }]);
  });
});

describe('what players get', () => {
  const summary = (mode: 'auto' | 'proxy' | 'redirect', name: string | null) => playbackSummary(mode, findProfile(profiles, name));

  it('automatic without a profile follows the settings, login URLs proxied', () => {
    expect(summary('auto', null)).toMatch(/^As Settings › Playback says/);
    expect(summary('auto', null)).toMatch(/every Xtream stream\) go through strmline unless/);
  });

  it('automatic with a profile: redirect sends players on, any other streams through strmline', () => {
    expect(summary('auto', 'redirect')).toMatch(/^Players are sent straight to the provider, except/);
    expect(summary('auto', 'proxy')).toBe('Every stream goes through strmline, which reads it itself.');
    expect(summary('auto', 'ffmpeg-remux')).toBe('Every stream goes through strmline, read by the ffmpeg-remux profile (ffmpeg).');
  });

  it('the play mode comes before the profile', () => {
    expect(summary('proxy', 'redirect')).toMatch(/redirect profile changes nothing/);
    expect(summary('proxy', null)).toBe('Every stream goes through strmline, which reads it itself.');
    expect(summary('redirect', 'ffmpeg-remux')).toMatch(/username and password.*The stream profile is not used/);
    expect(summary('redirect', 'redirect')).not.toMatch(/not used/);
  });

  it('guesses the kind of a profile the list does not have yet', () => {
    expect(findProfile(undefined, 'redirect')?.kind).toBe('redirect');
    expect(findProfile(undefined, 'ffmpeg-transcode')?.kind).toBe('command');
    expect(findProfile(profiles, '')).toBeNull();
  });
});

describe('provider card marks', () => {
  it('marks only a provider that does not play the default way', () => {
    expect(playBadges({ play_mode: 'auto', stream_profile: null })).toEqual([]);
    expect(playBadges({ play_mode: 'redirect', stream_profile: 'ffmpeg-remux' }).map((b) => b.text)).toEqual(['Straight to provider', 'Profile: ffmpeg-remux']);
    expect(playBadges({ play_mode: 'proxy', stream_profile: null }).map((b) => b.text)).toEqual(['Through strmline']);
  });
});
