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
