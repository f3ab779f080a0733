import { useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { paths } from '@/config/paths';
import { useDashboard } from '@/features/dashboard/api/get-dashboard';
import { useSyncAll } from '@/features/dashboard/api/sync-all';
import { useIsAdmin } from '@/hooks/use-role';
import { duration, formatNumber, plural, summarizeResult, timeAgo } from '@/lib/format';
import { useJobEvents } from '@/lib/job-events';
import type { Dashboard, Job } from '@/types/api';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The jobs still running: a job leaves "Running now" as soon as it ends (the live event or its
 * progress box saying so), before the dashboard itself is fetched again; it then shows under
 * "Recent jobs".
 */
export function stillRunning<T extends { id: number }>(jobs: T[], ended: ReadonlySet<number>, live: ReadonlyMap<number, { state: string }>): T[] {
  return jobs.filter((j) => !ended.has(j.id) && !TERMINAL.has(live.get(j.id)?.state ?? ''));
}

function Counts({ counts, vod }: { counts: Dashboard['counts']; vod: Dashboard['vod'] }) {
  const items: Array<[string, number]> = [
    ['Providers', counts.providers],
    ['Channels', counts.channels],
    ['Streams', counts.streams],
    // Working means the last check passed; streams never checked are counted on their own.
    ['Working streams', counts.working_streams],
    ['Not checked yet', counts.unchecked_streams],
    ['Failed streams', counts.failed_streams],
    ['Categories', counts.categories],
  ];
  if (vod && vod.movies + vod.series > 0) items.push(['Movies', vod.movies], ['Series', vod.series]);
  return (
    <dl className="stats">
      {items.map(([label, n]) => (
        <div key={label} className="stat">
          <dt>{label}</dt>
          <dd>{formatNumber(n)}</dd>
        </div>
      ))}
    </dl>
  );
}

function HealthBar({ health }: { health: Dashboard['health'] }) {
  // [css class, label, count]: "unknown" streams are the ones never checked.
  const parts = [
    ['ok', 'ok', health.ok],
    ['slow', 'slow', health.slow],
    ['failed', 'failed', health.failed],
    ['unknown', 'not checked yet', health.unknown],
  ] as const;
  const checked = health.ok + health.slow + health.failed;
  return (
    <section className="card" aria-labelledby="health-h">
      <h2 id="health-h">Stream health</h2>
      {checked === 0 ? (
        <p className="muted">
          {health.unknown > 1 ? `None of the ${formatNumber(health.unknown)} streams has been checked yet. ` : 'No stream has been checked yet. '}
          Health checks run on a schedule, or start one from Jobs.
        </p>
      ) : (
        <>
          <div className="stacked-bar" aria-hidden="true">
            {parts.map(([k, , n]) => (n ? <span key={k} className={`seg seg-${k}`} style={{ flexGrow: n }} /> : null))}
          </div>
          <ul className="legend">
            {parts.map(([k, label, n]) => (
              <li key={k}>
                <span className={`dot seg-${k}`} aria-hidden="true" /> {label}: {formatNumber(n)}
              </li>
            ))}
            <li>inactive: {formatNumber(health.inactive)}</li>
          </ul>
        </>
      )}
    </section>
  );
}

export function DashboardView() {
  const events = useJobEvents();
  const dash = useDashboard(!events.connected);
  const syncAll = useSyncAll();
  const isAdmin = useIsAdmin();
  const [ended, setEnded] = useState<ReadonlySet<number>>(new Set());
  const markEnded = (job: Job) => setEnded((s) => (s.has(job.id) ? s : new Set(s).add(job.id)));

  if (dash.isPending) return <Loading />;
  if (dash.isError) return <ErrorMessage error={dash.error} title="The dashboard could not be loaded" />;
  const d = dash.data;
  const enabled = d.providers.filter((p) => p.enabled);
  const started = (syncAll.data ?? []).filter((s) => s.job_id != null).map((s) => ({ ...s, id: s.job_id as number }));
  const notStarted = (syncAll.data ?? []).filter((s) => s.job_id == null);
  const startedJobs = new Set(started.map((s) => s.id));
  const startedRunning = stillRunning(started, ended, events.jobs);
  const running = stillRunning(d.jobs.running, ended, events.jobs).filter((j) => !startedJobs.has(j.id));

  return (
    <div className="stack-lg">
      <div className="page-header">
        <h1>Dashboard</h1>
        {isAdmin ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={enabled.length === 0 || syncAll.isPending}
            onClick={() => syncAll.mutate(enabled.map((p) => p.id))}
          >
            {syncAll.isPending ? 'Starting…' : 'Sync all providers'}
          </button>
        ) : null}
      </div>

      {notStarted.map((s) => (
        <div key={s.provider_id} className="alert alert-error" role="alert">
          Sync of {d.providers.find((p) => p.id === s.provider_id)?.name ?? `provider ${s.provider_id}`} could not start: {s.error}
        </div>
      ))}

      {d.providers.length === 0 && isAdmin ? (
        <EmptyState
          title="Add your first provider"
          action={
            <Link className="btn btn-primary" to={paths.providers}>
              Add a provider
            </Link>
          }
        >
          strmline merges the channels of your IPTV providers (M3U playlists or Xtream Codes accounts). Add one,
          sync it, then hand the playlist, guide or HDHomeRun tuner from <Link to={paths.outputs}>Outputs</Link> to
          Jellyfin, Emby, Plex or Kodi.
        </EmptyState>
      ) : null}

      <Counts counts={d.counts} vod={d.vod} />

      {startedRunning.length || running.length ? (
        <section className="card" aria-labelledby="running-h">
          <h2 id="running-h">Running now</h2>
          <ul className="plain-list">
            {startedRunning.map((s) => {
              const name = d.providers.find((p) => p.id === s.provider_id)?.name ?? `provider ${s.provider_id}`;
              return (
                <li key={`s${s.provider_id}`}>
                  <div className="row-between">
                    <strong>Sync {name}</strong>
                  </div>
                  <JobProgress jobId={s.id} label={`Sync ${name}`} onDone={markEnded} />
                </li>
              );
            })}
            {running.map((j) => (
              <li key={j.id}>
                <strong>
                  {j.kind} #{j.id}
                </strong>
                <JobProgress jobId={j.id} label={`${j.kind} job ${j.id}`} onDone={markEnded} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {d.providers.length ? (
        <section aria-labelledby="prov-h">
          <h2 id="prov-h">Providers</h2>
          <div className="card-grid">
            {d.providers.map((p) => (
              <article key={p.id} className={`card provider-card${p.enabled ? '' : ' disabled'}`}>
                <header className="row-between">
                  <h3>{p.name}</h3>
                  <StatusBadge status={p.enabled ? (p.last_sync_status ?? 'never synced') : 'disabled'} />
                </header>
                <p className="small muted">
                  {p.kind === 'xtream' ? 'Xtream Codes' : 'M3U'} · last sync {timeAgo(p.last_sync_at)}
                </p>
                <p>
                  {plural(p.stream_count, 'stream')}{p.entries != null ? ` · ${formatNumber(p.entries)} entries` : ''}
                </p>
                {p.last_sync_message ? (
                  <p className={`small ${p.last_sync_status === 'failed' ? 'bad-text' : 'muted'}`}>{p.last_sync_message}</p>
                ) : null}
              </article>
            ))}
          </div>
        </section>
      ) : null}

      <HealthBar health={d.health} />

      <section className="card" aria-labelledby="recent-h">
        <div className="row-between">
          <h2 id="recent-h">Recent jobs</h2>
          <Link to={paths.jobs}>All jobs</Link>
        </div>
        {d.jobs.recent.length === 0 ? (
          <p className="muted">No job has run yet.</p>
        ) : (
          <ul className="plain-list">
            {d.jobs.recent.map((j) => (
              <li key={j.id} className="job-line">
                <StatusBadge status={j.state} /> <strong>{j.kind}</strong>{' '}
                <span className="muted small">
                  {timeAgo(j.finished_at ?? j.created_at)} {duration(j.started_at, j.finished_at)}
                </span>
                <div className={`small ${j.state === 'failed' ? 'bad-text' : 'muted'}`}>
                  {j.error ?? j.message ?? summarizeResult(j.result)}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
