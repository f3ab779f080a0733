import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState, ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { useIsAdmin } from '@/hooks/use-role';
import { plural, timeAgo } from '@/lib/format';
import { useGuideSources, useImportSource } from '@/features/guide/api/guide';
import type { EpgSource } from '@/types/api';

function SourceCard({ s, isAdmin }: { s: EpgSource; isAdmin: boolean }) {
  const [jobId, setJobId] = useState<number | null>(null);
  const run = useImportSource();
  const qc = useQueryClient();
  return (
    <article className={`card provider-card${s.enabled ? '' : ' disabled'}`} aria-labelledby={`epg-${s.id}`}>
      <header className="row-between">
        <h3 id={`epg-${s.id}`}>{s.name}</h3>
        <StatusBadge status={s.enabled ? (s.last_status ?? 'never imported') : 'disabled'} />
      </header>
      <p className="small muted break">
        {s.auto ? 'From a provider' : 'Added by hand'} · {s.url}
      </p>
      <p>
        {plural(s.channel_count, 'channel')} · {plural(s.programme_count, 'programme')} · imported {timeAgo(s.last_import_at)}
      </p>
      {/* The job box says how an import started here went; otherwise the last import's words,
          when they say more than the counts above (a failure, a warning). */}
      {jobId == null && s.last_message && s.last_status !== 'ok' ? (
        <p className={`small ${s.last_status === 'failed' ? 'bad-text' : 'muted'}`}>{s.last_message}</p>
      ) : null}
      {jobId != null ? <JobProgress jobId={jobId} label={`Import ${s.name}`} onDone={() => void qc.invalidateQueries({ queryKey: ['guide'] })} /> : null}
      <ErrorMessage error={run.error} title="The import could not start" />
      {isAdmin ? (
        <div>
          <button
            type="button"
            className="btn btn-primary"
            disabled={run.isPending || !s.enabled}
            onClick={() => run.mutate(s.id, { onSuccess: setJobId })}
            aria-label={`Import ${s.name} now`}
          >
            Import now
          </button>
        </div>
      ) : null}
    </article>
  );
}

/** Guide sources with their last import; admins import one now and watch it run. */
export function SourceList() {
  const sources = useGuideSources();
  const isAdmin = useIsAdmin();
  if (sources.isPending) return <Loading />;
  if (sources.isError) return <ErrorMessage error={sources.error} title="Guide sources could not be loaded" />;
  if (sources.data.length === 0) {
    return (
      <EmptyState title="No guide sources yet">
        Xtream providers bring their own guide, found at their next sync; an M3U playlist can name one (x-tvg-url), or set a
        guide URL on the provider.
      </EmptyState>
    );
  }
  return (
    <div className="card-grid">
      {sources.data.map((s) => (
        <SourceCard key={s.id} s={s} isAdmin={isAdmin} />
      ))}
    </div>
  );
}
