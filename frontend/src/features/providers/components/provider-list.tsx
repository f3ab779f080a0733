import { useState } from 'react';
import { ConfirmButton } from '@/components/confirm-button';
import { Dialog } from '@/components/dialog';
import { EmptyState, ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { plural, summarizeResult, timeAgo } from '@/lib/format';
import { useDeleteProvider } from '@/features/providers/api/delete-provider';
import { useProviders } from '@/features/providers/api/get-providers';
import { useSyncProvider } from '@/features/providers/api/sync-provider';
import { AccountInfo } from '@/features/providers/components/account-info';
import { ProviderForm } from '@/features/providers/components/provider-form';
import { ProviderGroups } from '@/features/providers/components/provider-groups';
import { playBadges } from '@/features/providers/lib/playback';
import type { Account, Provider } from '@/types/api';

function ProviderCard({ p, onEdit, onGroups }: { p: Provider; onEdit: () => void; onGroups: () => void }) {
  const [jobId, setJobId] = useState<number | null>(null);
  // The last sync's result is said once: by the job box for a sync started here, else by the card.
  const showLast = jobId == null;
  const sync = useSyncProvider();
  const del = useDeleteProvider();
  const marks = playBadges(p);
  return (
    <article className={`card provider-card${p.enabled ? '' : ' disabled'}`} aria-labelledby={`prov-${p.id}`}>
      <header className="row-between">
        <h2 id={`prov-${p.id}`} className="h3">
          {p.name}
        </h2>
        <StatusBadge status={p.enabled ? (p.last_sync_status ?? 'never synced') : 'disabled'} />
      </header>
      <p className="small muted break">
        {p.kind === 'xtream' ? 'Xtream Codes' : 'M3U'} · {p.url}
      </p>
      {marks.length ? (
        <p className="row gap-sm wrap">
          {marks.map((m) => (
            <span key={m.text} className="badge badge-neutral" title={m.title}>
              {m.text}
            </span>
          ))}
        </p>
      ) : null}
      <p>
        {plural(p.stream_count, 'stream')} · last sync {timeAgo(p.last_sync_at)}
        {showLast && p.last_sync_counts && !p.last_sync_message ? (
          <span className="small muted"> · {summarizeResult(p.last_sync_counts)}</span>
        ) : null}
      </p>
      {showLast && p.last_sync_message ? (
        <p className={`small ${p.last_sync_status === 'failed' ? 'bad-text' : 'muted'}`}>{p.last_sync_message}</p>
      ) : null}
      {p.account && (p.account as Partial<Account>).status ? <AccountInfo account={p.account as Account} /> : null}
      {jobId != null ? <JobProgress jobId={jobId} label={`Sync ${p.name}`} /> : null}
      <ErrorMessage error={sync.error} title="Sync could not start" />
      <ErrorMessage error={del.error} title="Delete failed" />
      <div className="row gap wrap">
        <button
          type="button"
          className="btn btn-primary"
          disabled={sync.isPending || !p.enabled}
          onClick={() => sync.mutate(p.id, { onSuccess: setJobId })}
          aria-label={`Sync ${p.name}`}
        >
          Sync now
        </button>
        <button type="button" className="btn" onClick={onEdit} aria-label={`Edit ${p.name}`}>
          Edit / test
        </button>
        <button type="button" className="btn" onClick={onGroups} aria-label={`Categories of ${p.name}`}>
          Categories
        </button>
        <ConfirmButton
          question={`Delete ${p.name} and its ${plural(p.stream_count, 'stream')}?`}
          confirmLabel="Delete"
          disabled={del.isPending}
          onConfirm={() => del.mutate(p.id)}
        >
          Delete
        </ConfirmButton>
      </div>
    </article>
  );
}

export function ProviderList() {
  const providers = useProviders();
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [groupsOf, setGroupsOf] = useState<Provider | null>(null);
  const close = () => setEditing(null);

  return (
    <div className="stack-lg">
      <div className="page-header">
        <h1>Providers</h1>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
          Add provider
        </button>
      </div>
      {providers.isPending ? <Loading /> : null}
      <ErrorMessage error={providers.error} title="Providers could not be loaded" />
      {providers.data?.length === 0 ? (
        <EmptyState
          title="No providers yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              Add your first provider
            </button>
          }
        >
          Add an M3U playlist URL or an Xtream Codes account (server, username, password). Test the connection, then sync
          it: strmline downloads the channels and merges the same channel from different providers.
        </EmptyState>
      ) : null}
      <div className="card-grid">
        {providers.data?.map((p) => <ProviderCard key={p.id} p={p} onEdit={() => setEditing(p)} onGroups={() => setGroupsOf(p)} />)}
      </div>
      <Dialog open={editing !== null} onClose={close} title={editing === 'new' ? 'Add provider' : 'Edit provider'}>
        {editing !== null ? (
          <ProviderForm key={editing === 'new' ? 'new' : editing.id} provider={editing === 'new' ? null : editing} onSaved={close} />
        ) : null}
      </Dialog>
      <Dialog open={groupsOf !== null} onClose={() => setGroupsOf(null)} title={groupsOf ? `Categories of ${groupsOf.name}` : 'Categories'}>
        {groupsOf ? <ProviderGroups key={groupsOf.id} providerId={groupsOf.id} /> : null}
      </Dialog>
    </div>
  );
}
