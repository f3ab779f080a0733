import { useState } from 'react';
import { EmptyState, ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { duration, formatDate, summarizeResult, timeAgo } from '@/lib/format';
import { useIsAdmin } from '@/hooks/use-role';
import { useJobEvents } from '@/lib/job-events';
import { useCancelJob } from '@/features/jobs/api/cancel-job';
import { useJobs, type JobFilters } from '@/features/jobs/api/get-jobs';
import { useStartHealthCheck } from '@/features/jobs/api/start-health-check';
import type { Job } from '@/types/api';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const KINDS = ['sync', 'health', 'epg', 'vod', 'strm', 'playlists'];

function JobRow({ job }: { job: Job }) {
  const cancel = useCancelJob();
  const isAdmin = useIsAdmin();
  const [open, setOpen] = useState(false);
  const live = job.state === 'running' || job.state === 'queued';
  return (
    <li className="card job">
      <div className="row-between wrap">
        <div className="row gap-sm wrap">
          <StatusBadge status={job.state} />
          <strong>{job.kind}</strong>
          <span className="small muted">
            #{job.id} · {job.trigger ?? 'manual'} · {timeAgo(job.created_at)}
            {job.finished_at ? ` · took ${duration(job.started_at, job.finished_at)}` : ''}
          </span>
        </div>
        <div className="row gap-sm">
          {live && isAdmin ? (
            <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
              Cancel
            </button>
          ) : null}
          <button type="button" className="btn btn-small btn-ghost" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            Details
          </button>
        </div>
      </div>
      {live ? <JobProgress jobId={job.id} label={`${job.kind} job ${job.id}`} /> : null}
      {!live && job.error ? <div className="small bad-text">{job.error}</div> : null}
      {!live && !job.error ? <div className="small muted">{job.message ?? summarizeResult(job.result)}</div> : null}
      <ErrorMessage error={cancel.error} />
      {open ? (
        <dl className="kv small">
          <dt>Created</dt>
          <dd>{formatDate(job.created_at)}</dd>
          <dt>Started</dt>
          <dd>{formatDate(job.started_at)}</dd>
          <dt>Finished</dt>
          <dd>{formatDate(job.finished_at)}</dd>
          <dt>Arguments</dt>
          <dd>
            <code>{JSON.stringify(job.args ?? {})}</code>
          </dd>
          <dt>Result</dt>
          <dd>
            <pre className="pre">{job.result ? JSON.stringify(job.result, null, 2) : '–'}</pre>
          </dd>
        </dl>
      ) : null}
    </li>
  );
}

export function JobList() {
  const [filters, setFilters] = useState<JobFilters>({});
  const events = useJobEvents();
  const jobs = useJobs(filters, !events.connected);
  const health = useStartHealthCheck();
  const isAdmin = useIsAdmin();
  const items = jobs.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="stack-lg">
      <div className="page-header">
        <h1>Jobs</h1>
        {isAdmin ? (
          <button type="button" className="btn" disabled={health.isPending} onClick={() => health.mutate()}>
            Check stream health now
          </button>
        ) : null}
      </div>
      <ErrorMessage error={health.error} title="Health check could not start" />
      {health.data ? <JobProgress jobId={health.data.job_id} label="Health check" /> : null}
      <div className="filters">
        <div className="field">
          <label htmlFor="j-kind">Kind</label>
          <select id="j-kind" value={filters.kind ?? ''} onChange={(e) => setFilters((f) => ({ ...f, kind: e.target.value || undefined }))}>
            <option value="">All</option>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="j-state">State</label>
          <select id="j-state" value={filters.state ?? ''} onChange={(e) => setFilters((f) => ({ ...f, state: e.target.value || undefined }))}>
            <option value="">All</option>
            {STATES.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </div>
      </div>
      {jobs.isPending ? <Loading /> : null}
      <ErrorMessage error={jobs.error} title="Jobs could not be loaded" />
      {jobs.isSuccess && items.length === 0 ? (
        <EmptyState title="No jobs yet">Syncs, health checks and guide updates show up here with their results and errors.</EmptyState>
      ) : null}
      <ul className="plain-list stack">
        {items.map((j) => (
          <JobRow key={j.id} job={j} />
        ))}
      </ul>
      {jobs.hasNextPage ? (
        <button type="button" className="btn" disabled={jobs.isFetchingNextPage} onClick={() => void jobs.fetchNextPage()}>
          {jobs.isFetchingNextPage ? 'Loading…' : 'Older jobs'}
        </button>
      ) : null}
    </div>
  );
}
