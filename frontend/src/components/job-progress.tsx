import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ProgressBar } from '@/components/progress-bar';
import { api } from '@/lib/api-client';
import { formatNumber, summarizeResult } from '@/lib/format';
import { useJobEvents } from '@/lib/job-events';
import type { Job } from '@/types/api';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Live progress of one job: server-sent events when connected, else GET /api/jobs/{id} every second
 * until it ends. Shows the result or the error once it finishes.
 */
export function JobProgress({ jobId, label, onDone }: { jobId: number; label?: string; onDone?: (job: Job) => void }) {
  const events = useJobEvents();
  const live = events.jobs.get(jobId);
  const qc = useQueryClient();
  const liveDone = live ? TERMINAL.has(live.state) : false;
  const job = useQuery({
    queryKey: ['jobs', 'detail', jobId],
    queryFn: () => api.get<Job>(`/api/jobs/${jobId}`),
    refetchInterval: (q) => (TERMINAL.has(q.state.data?.state ?? '') || events.connected ? false : 1000),
    staleTime: 0,
  });
  // The finished event carries no timestamps: fetch the final record once.
  useEffect(() => {
    if (liveDone) void qc.invalidateQueries({ queryKey: ['jobs', 'detail', jobId], exact: true });
  }, [liveDone, jobId, qc]);

  const rest = job.data;
  const state = rest && TERMINAL.has(rest.state) ? rest.state : (live?.state ?? rest?.state ?? 'queued');
  const progress = live && !TERMINAL.has(rest?.state ?? '') ? live.progress : (rest?.progress ?? 0);
  const total = live && !TERMINAL.has(rest?.state ?? '') ? live.total : (rest?.total ?? null);
  const message = live?.message ?? rest?.message;
  const error = rest?.error ?? live?.error;
  const result = rest?.result ?? live?.result;
  const done = TERMINAL.has(state);

  useEffect(() => {
    if (done && rest && TERMINAL.has(rest.state)) onDone?.(rest);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [done, rest?.state]);

  return (
    <div className="job-progress" aria-live="polite">
      {!done ? (
        <>
          <ProgressBar progress={progress} total={total} label={label ?? `job ${jobId}`} />
          <div className="small muted">
            {state === 'queued' ? 'Waiting to start…' : (message ?? 'Working…')}
            {total ? ` · ${formatNumber(progress)} / ${formatNumber(total)}` : ''}
          </div>
        </>
      ) : state === 'succeeded' ? (
        <div className="small ok-text" role="status">
          Done{message ? `: ${message}` : ''}. {summarizeResult(result)}
        </div>
      ) : (
        <div className="small bad-text" role="alert">
          {state === 'cancelled' ? 'Cancelled.' : `Failed: ${error ?? message ?? 'no reason given'}`}
        </div>
      )}
    </div>
  );
}
