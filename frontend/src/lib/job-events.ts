import { useSyncExternalStore } from 'react';
import { getTokens } from '@/lib/auth';
import { refreshTokens } from '@/lib/api-client';
import type { JobState } from '@/types/api';

/** Live job state from the server-sent events at /api/events, keyed by job id. */
export type LiveJob = {
  id: number;
  kind?: string;
  state: JobState;
  progress: number;
  total: number | null;
  message: string | null;
  result?: Record<string, unknown> | null;
  error?: string | null;
};

type Snapshot = { connected: boolean; jobs: ReadonlyMap<number, LiveJob> };

let snapshot: Snapshot = { connected: false, jobs: new Map() };
const listeners = new Set<() => void>();
const finishedListeners = new Set<(job: LiveJob) => void>();

function update(fn: (jobs: Map<number, LiveJob>) => void, connected = snapshot.connected): void {
  const jobs = new Map(snapshot.jobs);
  fn(jobs);
  snapshot = { connected, jobs };
  listeners.forEach((l) => l());
}

export function setConnected(connected: boolean): void {
  if (connected !== snapshot.connected) update(() => undefined, connected);
}

/** Apply one event; exported for tests and for seeding from REST responses. */
export function applyJobEvent(type: string, data: Record<string, unknown>): void {
  const id = Number(data.job_id ?? data.id);
  if (!Number.isFinite(id)) return;
  let finished: LiveJob | null = null;
  update((jobs) => {
    const prev = jobs.get(id);
    const base: LiveJob = prev ?? { id, state: 'queued', progress: 0, total: null, message: null };
    if (type === 'job.queued') {
      jobs.set(id, { ...base, kind: (data.kind as string) ?? base.kind, state: 'queued' });
    } else if (type === 'job.progress') {
      jobs.set(id, {
        ...base,
        kind: (data.kind as string) ?? base.kind,
        state: 'running',
        progress: Number(data.progress ?? base.progress) || 0,
        total: data.total == null ? base.total : Number(data.total),
        message: (data.message as string) ?? base.message,
      });
    } else if (type === 'job.finished') {
      finished = {
        ...base,
        state: (data.state as JobState) ?? 'succeeded',
        result: (data.result as Record<string, unknown>) ?? null,
        error: (data.error as string) ?? null,
      };
      jobs.set(id, finished);
    }
  });
  if (finished) finishedListeners.forEach((l) => l(finished as LiveJob));
}

export function onJobFinished(listener: (job: LiveJob) => void): () => void {
  finishedListeners.add(listener);
  return () => finishedListeners.delete(listener);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useJobEvents(): Snapshot {
  return useSyncExternalStore(subscribe, () => snapshot);
}

export function useLiveJob(id: number | null | undefined): LiveJob | undefined {
  const snap = useJobEvents();
  return id == null ? undefined : snap.jobs.get(id);
}

/** Open the event stream while logged in; reconnects with a fresh token after errors. */
export function connectJobEvents(): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failures = 0;

  const open = () => {
    const tokens = getTokens();
    if (stopped || !tokens) return;
    source = new EventSource(`/api/events?access_token=${encodeURIComponent(tokens.access_token)}`);
    source.onopen = () => {
      failures = 0;
      setConnected(true);
    };
    for (const type of ['job.queued', 'job.progress', 'job.finished']) {
      source.addEventListener(type, (e) => {
        try {
          applyJobEvent(type, JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>);
        } catch {
          /* a malformed event is skipped */
        }
      });
    }
    source.onerror = () => {
      source?.close();
      source = null;
      setConnected(false);
      failures += 1;
      // The access token may have expired: refresh, then reconnect with backoff.
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
      timer = setTimeout(() => {
        void refreshTokens().finally(open);
      }, delay);
    };
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
    setConnected(false);
  };
}
