import { describe, expect, it } from 'vitest';
import type { SettingInfo } from '@/features/settings/api/settings';
import { arrange, autoLabel, parseField, serverMessage, specOf, toText } from '@/features/settings/lib/catalogue';

const info = (over: Partial<SettingInfo>): SettingInfo => ({ value: null, default: null, description: null, type: 'integer', nullable: false, constraints: {}, overridden: false, ...over });

describe('settings for people', () => {
  it('labels settings in words, never the raw key', () => {
    expect(specOf('health.slow_ms').label).toBe('Call a stream slow above');
    expect(specOf('epg.refresh_cron').kind).toBe('cron');
    expect(specOf('future.new_thing').label).toBe('New thing');
    expect(autoLabel('slow_ms')).toBe('Slow ms');
  });

  it('groups by task and keeps settings no section knows under "Other"', () => {
    const view = {
      epg: { refresh_minutes: info({}) },
      health: { slow_ms: info({}) },
      strm: { nfo: info({ type: 'boolean' }), flavour: info({ type: 'string' }) },
      server: { base_url: info({ type: 'string' }) },
      brand_new: { knob: info({}) },
    };
    const sections = arrange(view);
    expect(sections.map((s) => s.title)).toEqual(['Server and tuner', 'TV guide', 'Stream checks', 'Movies and series library', 'Other']);
    expect(sections.find((s) => s.id === 'library')?.present).toEqual(['strm.flavour', 'strm.nfo']);
    expect(sections.at(-1)?.present).toEqual(['brand_new.knob']);
  });

  it('checks numbers against their limits, in the unit shown', () => {
    const slow = info({ type: 'integer', constraints: { minimum: 1 } });
    expect(parseField('3000', slow, specOf('health.slow_ms'))).toEqual([3000, null]);
    expect(parseField('0', slow, specOf('health.slow_ms'))).toEqual([undefined, 'At least 1.']);
    expect(parseField('2.5', slow, specOf('health.slow_ms'))[1]).toBe('Enter a whole number.');
    expect(parseField('', slow, specOf('health.slow_ms'))[1]).toBe('This cannot be empty.');
    const share = info({ type: 'number', value: 0.5, constraints: { minimum: 0, maximum: 1 } });
    expect(toText(0.5, share, specOf('sync.shrink_guard'))).toBe('50');
    expect(parseField('75', share, specOf('sync.shrink_guard'))).toEqual([0.75, null]);
    expect(parseField('150', share, specOf('sync.shrink_guard'))[1]).toBe('At most 100.');
  });

  it('reads lists, empty optional values and patterns', () => {
    const backoff = info({ type: 'array', value: [1, 6, 24] });
    expect(toText([1, 6, 24], backoff, specOf('health.backoff_hours'))).toBe('1, 6, 24');
    expect(parseField('1, 6 ,24', backoff, specOf('health.backoff_hours'))).toEqual([[1, 6, 24], null]);
    expect(parseField('1, soon', backoff, specOf('health.backoff_hours'))[1]).toMatch(/Numbers above 0/);
    expect(parseField('', info({ nullable: true }), specOf('outputs.tuner_count'))).toEqual([null, null]);
    const hls = info({ type: 'string', constraints: { pattern: '^(best|worst|\\d{3,4}p?)$' } });
    expect(parseField('720p', hls, specOf('playback.hls_quality'))).toEqual(['720p', null]);
    expect(parseField('high', hls, specOf('playback.hls_quality'))[1]).toMatch(/^Not valid/);
  });

  it('shows the server refusal without its field prefix', () => {
    expect(serverMessage('epg.refresh_cron: Value error, not a cron expression')).toBe('Not a cron expression');
  });
});
