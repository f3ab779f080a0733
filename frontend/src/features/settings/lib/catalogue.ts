import type { SettingInfo } from '@/features/settings/api/settings';

/**
 * How the settings read for people: sections by task, labels in plain words, help text, units,
 * and the input each needs. Keyed by the API's `group.key`; a setting the server adds later and
 * this file does not know yet still shows, under "Other", with a label made from its key.
 */
export type FieldKind = 'cron' | 'list' | 'json' | 'secret';

export type FieldSpec = {
  label: string;
  help?: string;
  unit?: string;
  /** Stored as a share (0–1), shown as a percentage. */
  percent?: boolean;
  advanced?: boolean;
  kind?: FieldKind;
  /** Words for the values of a choice. */
  options?: Record<string, string>;
  /** Shown when the value is empty (nullable settings). */
  emptyMeans?: string;
};

export type Section = { id: string; title: string; intro: string; fields: string[] };

export const FIELDS: Record<string, FieldSpec> = {
  'server.base_url': { label: 'Public address of this server', help: 'The address players and media servers use to reach strmline; it goes into playlists, tuner answers and .strm files. Example: http://192.168.1.10:8000' },
  'outputs.tuner_count': { label: 'Tuners announced to media servers', help: 'How many channels Plex or Jellyfin may record or watch at once.', emptyMeans: "your providers' connection limits, else 4" },
  'outputs.page_size': { label: 'Channels read per database query by playlists', advanced: true },
  'outputs.proxy_logos': { label: 'Give players channel logos through strmline', help: 'Playlists, the guide and Xtream apps get each logo from strmline, which fetches it once, shrinks it and keeps it: quicker for players and lighter on the providers. Off: players fetch every logo from the provider themselves.' },
  'logos.max_mb': { label: 'Disk space for kept logos', unit: 'MB', help: 'When it is full, the logos shown least recently are removed first.', advanced: true },
  'logos.max_age_days': { label: 'Fetch a kept logo again after', unit: 'days', help: 'So a logo the provider changed shows up.', advanced: true },
  'discovery.http_port': { label: 'Port in announced addresses', help: 'Used only when the public address above is not set.', emptyMeans: "the public address's port", advanced: true },
  'discovery.user': { label: 'User whose tuner is announced on the network', emptyMeans: 'the first admin', advanced: true },

  'sync.default_interval_minutes': { label: 'Sync providers every', unit: 'minutes', help: 'For providers without their own schedule.' },
  'sync.auto_number_start': { label: 'First number for new channels', help: 'Channels without a provider number get the next free number from here. Raise it (e.g. to 10000) to keep them clear of the providers\u2019 numbers.' },
  'sync.removed_retention_days': { label: 'Keep channels a provider dropped for', unit: 'days', help: 'A stream gone from its provider is kept this long in case it comes back.' },
  'sync.shrink_guard': { label: 'Refuse a list that shrank below', unit: '% of the last good one', percent: true, help: 'Protects your channels from a provider that briefly serves a half-empty list.' },
  'sync.growth_guard': { label: 'Refuse a list that grew more than', unit: 'times the last good one', advanced: true },
  'sync.growth_min_entries': { label: 'A list may always grow by', unit: 'entries', advanced: true },
  'sync.duplicate_guard': { label: 'Refuse a list with at least', unit: '% repeated entries', percent: true, advanced: true },
  'sync.max_download_mb': { label: 'Largest playlist to download', unit: 'MB', advanced: true },
  'sync.max_entries': { label: 'Most entries in one playlist', advanced: true },
  'http.timeout': { label: 'Wait for a provider\u2019s answer up to', unit: 'seconds' },
  'http.connect_timeout': { label: 'Wait to connect to a provider up to', unit: 'seconds', advanced: true },
  'http.user_agent': { label: 'User agent sent to providers', help: 'Some providers only answer known players; a provider\u2019s own setting wins.', advanced: true },
  'http.max_seconds': { label: 'Longest one download may take', unit: 'seconds', advanced: true },
  'http.max_compression_ratio': { label: 'Refuse compressed files that inflate more than', unit: 'times', advanced: true },

  'match.threshold': { label: 'How alike names must be to merge channels', unit: '% similar', help: 'Lower merges more (and more wrongly); higher merges only near-identical names.' },
  'match.catalogue': { label: 'Use the built-in channel catalogue', help: 'Known aliases, logos, categories and guide ids for well-known channels. Your own edits always win.' },

  'epg.refresh_cron': { label: 'Refresh guides on this schedule', kind: 'cron', help: 'Cron, in UTC: minute hour day month weekday.', emptyMeans: 'use the interval below' },
  'epg.refresh_minutes': { label: 'Or refresh guides every', unit: 'minutes', help: 'Used when the schedule above is empty.' },
  'epg.future_days': { label: 'Keep programmes up to', unit: 'days ahead' },
  'epg.past_days': { label: 'Keep programmes that ended up to', unit: 'days ago' },
  'epg.output_days': { label: 'Days of guide in the XMLTV output', unit: 'days' },
  'epg.auto_sources': { label: 'Add the guide each provider offers', help: 'A guide source is created for every provider that has one.' },
  'epg.fuzzy_threshold': { label: 'How alike names must be to match a guide', unit: '% similar', advanced: true },
  'epg.batch_size': { label: 'Programmes written per database query', advanced: true },
  'epg.max_download_mb': { label: 'Largest guide to download', unit: 'MB', advanced: true },
  'epg.max_xml_mb': { label: 'Largest guide once unpacked', unit: 'MB', advanced: true },
  'epg.max_programmes': { label: 'Most programmes in one guide', advanced: true },
  'epg.shrink_guard': { label: 'Refuse a guide that shrank below', unit: '% of the last good one', percent: true, advanced: true },

  'health.cron': { label: 'Check streams on this schedule', kind: 'cron', help: 'Cron, in UTC.', emptyMeans: 'no scheduled checks' },
  'health.failures_to_deactivate': { label: 'Failed checks before a stream is set aside', help: 'An inactive stream is tried last and rechecked later.' },
  'health.backoff_hours': { label: 'Recheck an inactive stream after', unit: 'hours, comma-separated', kind: 'list', help: 'The last delay repeats.' },
  'health.slow_ms': { label: 'Call a stream slow above', unit: 'ms to answer' },
  'health.timeout': { label: 'Wait for a stream\u2019s first bytes up to', unit: 'seconds' },
  'health.concurrency': { label: 'Streams checked at once', help: 'Mind your providers\u2019 connection limits.' },
  'health.connect_timeout': { label: 'Wait to connect to a stream up to', unit: 'seconds', advanced: true },
  'health.probe': { label: 'Measure resolution and codec (ffprobe)', help: 'Better ranking of streams; needs ffmpeg installed.' },
  'health.probe_concurrency': { label: 'Streams measured at once', advanced: true },
  'health.probe_timeout': { label: 'Longest one measurement may take', unit: 'seconds', advanced: true },
  'health.probe_budget_per_stream': { label: 'Measuring time per checked stream', unit: 'seconds', advanced: true },
  'health.probe_budget_seconds': { label: 'Measuring time per check run, in all', unit: 'seconds (0: never)', advanced: true },
  'health.probe_max_age_days': { label: 'Measure a stream again after', unit: 'days', advanced: true },
  'health.batch_size': { label: 'Results written per database query', advanced: true },

  'playback.mode': { label: 'How players get a stream', options: { redirect: 'Send players to the provider (light on this server)', proxy: 'Stream through strmline (failover, shared connections)' } },
  'playback.max_streams_per_user': { label: 'Channels one user may watch at once', help: 'When streaming through strmline.', emptyMeans: 'no limit', unit: '(0: no limit)' },
  'playback.stall_seconds': { label: 'Switch to the next stream after silence of', unit: 'seconds' },
  'playback.max_switches': { label: 'Stream switches per viewing', help: 'Stops endless switching when every stream fails.' },
  'playback.grace_seconds': { label: 'Keep the provider connection open after the last viewer for', unit: 'seconds', help: 'Zapping back is instant.' },
  'playback.connect_timeout': { label: 'Wait for a stream\u2019s first bytes up to', unit: 'seconds', advanced: true },
  'playback.client_buffer_chunks': { label: 'Chunks buffered per slow player', advanced: true },
  'playback.check_seconds': { label: 'Check a stream before redirecting for up to', unit: 'seconds', advanced: true },
  'playback.check_streams': { label: 'Streams tried before giving up', advanced: true },
  'playback.check_cache_seconds': { label: 'Trust a passed check for', unit: 'seconds', advanced: true },
  'playback.hls_quality': { label: 'HLS quality to read', help: 'best, worst, or a height cap such as 720p.', advanced: true },
  'playback.hls_prefetch': { label: 'HLS segments fetched ahead', advanced: true },
  'playback.redirect_credentials': { label: 'Also redirect to URLs that carry the provider\u2019s password', help: 'Players then see your provider login.', advanced: true },
  'playback.stream_profiles': { label: 'Your own stream profiles', kind: 'json', help: 'A JSON list of {"name", "command"}; chosen per provider or channel.', advanced: true },

  'strm.flavour': { label: 'Media server', help: 'Folder and file names follow its rules.', options: { jellyfin: 'Jellyfin', emby: 'Emby', kodi: 'Kodi', plex: 'Plex' } },
  'strm.group_by': { label: 'Folder layout', options: { none: 'Movies/Title (Year)', genre: 'Movies/Genre/Title (Year)', category: 'Movies/Category/Title (Year)' } },
  'strm.nfo': { label: 'Write .nfo files', help: 'Title, year, plot and ids next to each file, for media servers that read them.' },
  'strm.url_mode': { label: 'Links inside .strm files', options: { play: 'strmline links (with your token; failover works)', direct: 'Provider links (the provider login is written to disk)' } },
  'strm.play_mode': { label: 'Movies and episodes', options: { redirect: 'Send players to the provider', proxy: 'Stream through strmline (seeking supported)' } },
  'strm.live': { label: 'Also write live channels', help: 'Under "Live TV/".' },
  'strm.live_by_category': { label: 'Live channels in category folders' },
  'strm.token_user': { label: 'User whose token goes into the links', emptyMeans: 'the first admin', advanced: true },
  'strm.media_server_url': { label: 'Jellyfin or Emby address to rescan after writing', emptyMeans: 'no rescan', help: 'e.g. http://192.168.1.10:8096' },
  'strm.media_server_api_key': { label: 'Its API key', kind: 'secret' },
  'strm.kodi_headers': { label: 'Add provider headers to links the Kodi way', help: 'Only with provider links.', advanced: true },
  'vod.strm_after_sync': { label: 'Write the library after each movie and series sync' },
  'vod.fetch_movie_info': { label: 'Fetch each new movie\u2019s details', help: 'Plot and ids; one request per movie.' },
  'vod.series_info_concurrency': { label: 'Series details fetched at once per provider', advanced: true },
};

export const SECTIONS: Section[] = [
  { id: 'server', title: 'Server and tuner', intro: 'How players and media servers reach strmline, and the channel logos they get.', fields: ['server.base_url', 'outputs.tuner_count', 'outputs.proxy_logos', 'outputs.page_size', 'discovery.http_port', 'discovery.user', 'logos.max_mb', 'logos.max_age_days'] },
  {
    id: 'providers',
    title: 'Providers and syncing',
    intro: 'When playlists are fetched, and the guards that keep a bad download from wiping your channels.',
    fields: ['sync.default_interval_minutes', 'sync.auto_number_start', 'sync.removed_retention_days', 'sync.shrink_guard', 'http.timeout', 'http.user_agent', 'sync.growth_guard', 'sync.growth_min_entries', 'sync.duplicate_guard', 'sync.max_download_mb', 'sync.max_entries', 'http.connect_timeout', 'http.max_seconds', 'http.max_compression_ratio'],
  },
  { id: 'matching', title: 'Channel matching', intro: 'How the same channel from different providers becomes one.', fields: ['match.threshold', 'match.catalogue'] },
  {
    id: 'guide',
    title: 'TV guide',
    intro: 'When guides are refreshed and how much of them is kept.',
    fields: ['epg.refresh_cron', 'epg.refresh_minutes', 'epg.future_days', 'epg.past_days', 'epg.output_days', 'epg.auto_sources', 'epg.fuzzy_threshold', 'epg.batch_size', 'epg.max_download_mb', 'epg.max_xml_mb', 'epg.max_programmes', 'epg.shrink_guard'],
  },
  {
    id: 'health',
    title: 'Stream checks',
    intro: 'How often streams are tested, and when a failing one is set aside.',
    fields: ['health.cron', 'health.failures_to_deactivate', 'health.backoff_hours', 'health.slow_ms', 'health.timeout', 'health.concurrency', 'health.probe', 'health.connect_timeout', 'health.probe_concurrency', 'health.probe_timeout', 'health.probe_budget_per_stream', 'health.probe_budget_seconds', 'health.probe_max_age_days', 'health.batch_size'],
  },
  {
    id: 'playback',
    title: 'Playback',
    intro: 'What happens when someone presses play.',
    fields: ['playback.mode', 'playback.max_streams_per_user', 'playback.stall_seconds', 'playback.max_switches', 'playback.grace_seconds', 'playback.connect_timeout', 'playback.client_buffer_chunks', 'playback.check_seconds', 'playback.check_streams', 'playback.check_cache_seconds', 'playback.hls_quality', 'playback.hls_prefetch', 'playback.redirect_credentials', 'playback.stream_profiles'],
  },
  {
    id: 'library',
    title: 'Movies and series library',
    intro: 'The .strm library your media server reads: its layout, .nfo files and links. The links start with the public address set under “Server and tuner”.',
    fields: ['strm.flavour', 'strm.group_by', 'strm.nfo', 'strm.url_mode', 'strm.play_mode', 'strm.live', 'strm.live_by_category', 'strm.media_server_url', 'strm.media_server_api_key', 'vod.strm_after_sync', 'vod.fetch_movie_info', 'strm.token_user', 'strm.kodi_headers', 'vod.series_info_concurrency'],
  },
];

/** "slow_ms" → "Slow ms": the fallback for a setting this file does not know. */
export const autoLabel = (key: string) => key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function specOf(field: string): FieldSpec {
  return FIELDS[field] ?? { label: autoLabel(field.split('.').slice(1).join('.') || field) };
}

/** The sections with the settings the server has, plus "Other" for any it has that no section lists. */
export function arrange(view: Record<string, Record<string, SettingInfo>>): Array<Section & { present: string[] }> {
  const all = Object.entries(view).flatMap(([g, entries]) => Object.keys(entries).map((k) => `${g}.${k}`));
  const listed = new Set(SECTIONS.flatMap((s) => s.fields));
  const out = SECTIONS.map((s) => ({ ...s, present: s.fields.filter((f) => all.includes(f)) })).filter((s) => s.present.length);
  const rest = all.filter((f) => !listed.has(f));
  if (rest.length) out.push({ id: 'other', title: 'Other', intro: 'Settings without a section yet.', fields: rest, present: rest });
  return out;
}

export function infoOf(view: Record<string, Record<string, SettingInfo>>, field: string): SettingInfo | undefined {
  const [group, ...rest] = field.split('.');
  return view[group ?? '']?.[rest.join('.')];
}

/** A value as its input shows it. */
export function toText(value: unknown, info: SettingInfo, spec: FieldSpec): string {
  if (value === null || value === undefined) return '';
  if (spec.percent && typeof value === 'number') return String(Math.round(value * 10_000) / 100);
  if (spec.kind === 'list' && Array.isArray(value)) return value.join(', ');
  if (info.type === 'array' || info.type === 'object') return JSON.stringify(value);
  return String(value);
}

const fmt = (n: number, percent?: boolean) => (percent ? `${Math.round(n * 10_000) / 100}` : String(n));

/** Parse and check one input against its type and limits: [value, error in words]. */
export function parseField(text: string, info: SettingInfo, spec: FieldSpec): [unknown, string | null] {
  const c = info.constraints ?? {};
  const t = text.trim();
  if (t === '') {
    if (info.nullable) return [null, null];
    if (info.type === 'string' && !c.minLength) return ['', null];
    return [undefined, 'This cannot be empty.'];
  }
  if (info.type === 'integer' || info.type === 'number') {
    let n = Number(t);
    if (!Number.isFinite(n)) return [undefined, 'Enter a number.'];
    if (spec.percent) n /= 100;
    if (info.type === 'integer' && !Number.isInteger(n)) return [undefined, 'Enter a whole number.'];
    const p = spec.percent;
    if (c.minimum !== undefined && n < c.minimum) return [undefined, `At least ${fmt(c.minimum, p)}.`];
    if (c.maximum !== undefined && n > c.maximum) return [undefined, `At most ${fmt(c.maximum, p)}.`];
    if (c.exclusiveMinimum !== undefined && n <= c.exclusiveMinimum) return [undefined, `More than ${fmt(c.exclusiveMinimum, p)}.`];
    if (c.exclusiveMaximum !== undefined && n >= c.exclusiveMaximum) return [undefined, `Less than ${fmt(c.exclusiveMaximum, p)}.`];
    return [n, null];
  }
  if (spec.kind === 'list') {
    const items = t.split(/[,\s]+/).filter(Boolean).map(Number);
    if (!items.length || items.some((n) => !Number.isFinite(n) || n <= 0)) return [undefined, 'Numbers above 0, separated by commas.'];
    return [items, null];
  }
  if (info.type === 'array' || info.type === 'object') {
    try {
      return [JSON.parse(t), null];
    } catch {
      return [undefined, 'Not valid JSON.'];
    }
  }
  if (c.minLength !== undefined && t.length < c.minLength) return [undefined, `At least ${c.minLength} characters.`];
  if (c.maxLength !== undefined && t.length > c.maxLength) return [undefined, `At most ${c.maxLength} characters.`];
  if (c.pattern && !new RegExp(c.pattern).test(t)) return [undefined, spec.help ? `Not valid: ${spec.help}` : 'Not in the expected form.'];
  if (c.enum && !c.enum.includes(t)) return [undefined, `One of: ${c.enum.join(', ')}.`];
  return [t, null];
}

/** The server's 422 message without its "group.key: Value error, " prefix. */
export function serverMessage(message: string): string {
  return message.replace(/^[\w.]+: /, '').replace(/^Value error, /i, '').replace(/^./, (ch) => ch.toUpperCase());
}
