// Response shapes of the strmline API (see /api/docs). Hand-written until the OpenAPI client is generated.

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type Job = {
  id: number;
  kind: string;
  args: Record<string, unknown> | null;
  state: JobState;
  progress: number;
  total: number | null;
  message: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  trigger: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
};

export type Page<T> = { items: T[]; next_cursor: string | null };

export type User = { id: number; username: string; role: 'admin' | 'user' | string; is_active: boolean };

export type Account = {
  status: string | null;
  expires_at: string | null;
  max_connections: number | null;
  active_connections: number | null;
  allowed_formats: string[] | null;
};

export type ProviderKind = 'm3u' | 'xtream';

export type Provider = {
  id: number;
  name: string;
  kind: ProviderKind;
  url: string;
  username: string | null;
  backup_urls: string[];
  user_agent: string | null;
  enabled: boolean;
  priority: number;
  max_connections: number | null;
  refresh_minutes: number | null;
  refresh_cron: string | null;
  output_format: 'ts' | 'm3u8';
  epg_url: string | null;
  stream_count: number;
  last_sync_at: string | null;
  last_sync_status: string | null;
  last_sync_message: string | null;
  last_sync_counts: Record<string, number> | null;
  account: Account | null;
};

export type ProviderTest = { ok: boolean; message: string; account: Account | null; entries: number | null };

export type DashboardProvider = {
  id: number;
  name: string;
  kind: ProviderKind;
  enabled: boolean;
  last_sync_at: string | null;
  last_sync_status: string | null;
  last_sync_message: string | null;
  stream_count: number;
  entries: number | null;
};

export type Health = { ok: number; slow: number; failed: number; unknown: number; inactive: number };

export type Dashboard = {
  counts: {
    providers: number;
    channels: number;
    streams: number;
    active_streams: number;
    working_streams: number;
    unchecked_streams: number;
    failed_streams: number;
    categories: number;
  };
  providers: DashboardProvider[];
  jobs: { running: Job[]; recent: Job[] };
  health: Health;
  vod?: { movies: number; series: number; episodes: number };
};

export type ChannelSummary = {
  id: number;
  name: string;
  number: number | null;
  category: string | null;
  country: string | null;
  region: string | null;
  variant: string | null;
  logo: string | null;
  tvg_id: string | null;
  enabled: boolean;
  stream_count: number;
  /** Not deactivated by failed checks: playable, not necessarily known to work. */
  active_stream_count: number;
  best_quality: string | null;
  /** Health fields: absent on lists that do not compute them (e.g. favourites). */
  working_stream_count?: number;
  failed_stream_count?: number;
  unchecked_stream_count?: number;
  health?: ChannelHealth;
};

export type ChannelHealth = 'working' | 'partial' | 'failing' | 'not_checked' | 'no_streams';

export type ChannelStream = {
  id: number;
  provider_id: number;
  provider: string;
  name: string;
  url: string;
  quality: string | null;
  score: number | null;
  rank: number;
  pinned: boolean;
  pinned_rank: number | null;
  active: boolean;
  status: string;
  response_ms: number | null;
  failure_reason: string | null;
  checked_at: string | null;
  merge_method: string;
  merge_confidence: number;
  merge_reason: string | null;
  manual_override: boolean;
};

export type ChannelDetail = ChannelSummary & {
  epg_channel_id: number | null;
  manual: boolean;
  play_mode: string | null;
  streams: ChannelStream[];
};

export type Category = { name: string; count: number };

export type MergeRule = { id: number; kind: 'never' | 'always'; pattern_a: string; pattern_b: string; note: string | null };

export type JobAccepted = { job_id: number };

export type EpgSource = {
  id: number;
  name: string;
  kind: string;
  url: string;
  provider_id: number | null;
  offset_minutes: number;
  enabled: boolean;
  auto: boolean;
  priority: number;
  last_import_at: string | null;
  last_status: string | null;
  last_message: string | null;
  channel_count: number;
  programme_count: number;
  refresh_minutes?: number | null;
  refresh_cron?: string | null;
  import_requested_at?: string | null;
};

export type Programme = {
  id: number;
  start: string;
  stop: string;
  title: string;
  sub_title: string | null;
  description: string | null;
  categories: string[];
  episode_num: string | null;
  episode_onscreen: string | null;
  icon: string | null;
  rating: string | null;
};

export type GuideChannel = { channel_id: number; channel: string; logo: string | null; number: number | null; programmes: Programme[] };

export type GuidePage = { start: string; end: string; items: GuideChannel[]; next_cursor: string | null };

export type GuideSlot = { title: string; start: string; stop: string };

export type NowNext = { at?: string | null; items: Array<{ channel_id: number; channel: string; now: GuideSlot | null; next: GuideSlot | null }> };

export type GuideSuggestion = { epg_channel_id: number; xmltv_id: string; name: string; score: number };

export type UnmatchedChannel = { channel_id: number; channel: string; tvg_id: string | null; suggestions: GuideSuggestion[] };

export type VodTitle = {
  id: number;
  title: string;
  year: number | null;
  tmdb_id: string | null;
  imdb_id: string | null;
  category: string | null;
  genre: string | null;
  rating: number | null;
  poster: string | null;
  /** How many provider sources offer it. */
  sources: number;
};

export type VodTitlePage = { items: VodTitle[]; next_cursor: number | null };

export type VodEpisode = { id: number; episode: number; title: string | null; plot: string | null; air_date: string | null; rating: number | null; sources: number };

export type VodSeriesDetail = Omit<VodTitle, 'sources'> & { plot: string | null; seasons: Array<{ season: number; episodes: VodEpisode[] }> };

export type LibraryJobStarted = { job_id: number; base_url: string; warning: string | null };

export type ChannelPage = Page<ChannelSummary> & { total: number };

export type LineupRule = { category?: string | null; country?: string | null; quality?: string | null; name?: string | null };

export type LineupSummary = {
  id: number | null;
  name: string;
  slug: string;
  position: number;
  rules: LineupRule[];
  channels: number;
  rules_applied_at: string | null;
  builtin: boolean;
};

export type LineupMember = { channel_id: number; name: string; number: number; source: string; category: string | null };

export type LineupOutputs = { id: number | null; name: string; slug: string; m3u: string; xmltv: string; hdhomerun: string };

export type LineupAssignment = { user_id: number; lineups: Array<{ id: number | null; slug: string; name: string }>; xtream_lineup_id: number | null };

export type ProviderGroup = { name: string; entries: number; taken: boolean; effective: boolean; seen_at: string | null };

export type ProviderGroups = {
  provider_id: number;
  take_new_groups: boolean;
  group_include: string | null;
  group_exclude: string | null;
  name_include: string | null;
  name_exclude: string | null;
  entries: number;
  taken_entries: number;
  groups: ProviderGroup[];
};
