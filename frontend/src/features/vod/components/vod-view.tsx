import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParamsPatch } from '@/hooks/use-search-params-patch';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { useIsAdmin } from '@/hooks/use-role';
import { plural } from '@/lib/format';
import { useTitles, useVodSync, useWriteVodLibrary, type VodKind } from '@/features/vod/api/vod';
import { PosterGrid } from '@/features/vod/components/poster-grid';
import { VodDetails } from '@/features/vod/components/vod-details';
import type { LibraryJobStarted, VodTitle } from '@/types/api';

const WORDS: Record<VodKind, { title: string; one: string; many: string }> = {
  movie: { title: 'Movies', one: 'movie', many: 'movies' },
  series: { title: 'Series', one: 'series', many: 'series' },
};

function LibraryJob({ started, label }: { started: LibraryJobStarted; label: string }) {
  const qc = useQueryClient();
  return (
    <div className="stack">
      {started.warning ? (
        <div className="alert alert-warn" role="status">
          {started.warning}
        </div>
      ) : null}
      {/* Also without the live event stream (it refreshes the lists too), the finished job does. */}
      <JobProgress jobId={started.job_id} label={label} onDone={() => void qc.invalidateQueries({ queryKey: ['vod'] })} />
    </div>
  );
}

/** Admin actions: sync movies and series from the providers, write the .strm library. */
function LibraryActions() {
  const sync = useVodSync();
  const write = useWriteVodLibrary();
  return (
    <section className="card stack" aria-label="Library">
      <div className="row-between wrap">
        <p className="small muted grow">
          Sync reads every provider's movies and series, then writes the .strm library for Jellyfin, Emby, Kodi and Plex.
        </p>
        <div className="row gap-sm">
          <button type="button" className="btn btn-primary" disabled={sync.isPending} onClick={() => sync.mutate()}>
            Sync movies and series
          </button>
          <button type="button" className="btn" disabled={write.isPending} onClick={() => write.mutate()}>
            Write library
          </button>
        </div>
      </div>
      <ErrorMessage error={sync.error} title="The sync could not start" />
      <ErrorMessage error={write.error} title="The library could not be written" />
      {sync.data ? <LibraryJob key={`s${sync.data.job_id}`} started={sync.data} label="Syncing movies and series" /> : null}
      {write.data ? <LibraryJob key={`w${write.data.job_id}`} started={write.data} label="Writing the library" /> : null}
    </section>
  );
}

/** Movies or series: a searchable, virtualised poster grid; details and play in a drawer. */
export function VodView({ kind }: { kind: VodKind }) {
  const words = WORDS[kind];
  const [params, patch] = useSearchParamsPatch();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebouncedValue(search.trim(), 250);
  const isAdmin = useIsAdmin();
  const titles = useTitles(kind, q);
  const items = useMemo(() => titles.data?.pages.flatMap((p) => p.items) ?? [], [titles.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = titles;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const [open, setOpen] = useState<VodTitle | null>(null);

  const onSearch = (value: string) => {
    setSearch(value);
    patch({ q: value.trim() || null });
  };

  return (
    <div className="channels-page">
      <div className="page-header">
        <h1>{words.title}</h1>
        <span className="muted small" aria-live="polite">
          {titles.isSuccess && !hasNextPage ? plural(items.length, words.one, words.many) : ''}
        </span>
      </div>
      {isAdmin ? <LibraryActions /> : null}
      <div className="filters" style={{ marginTop: '0.75rem' }}>
        <div className="field grow">
          <label htmlFor={`vod-q-${kind}`}>Search {words.many}</label>
          <input id={`vod-q-${kind}`} type="search" value={search} onChange={(e) => onSearch(e.target.value)} placeholder="Title" />
        </div>
      </div>
      <ErrorMessage error={titles.error} title={`${words.title} could not be loaded`} />
      {titles.isPending ? <Loading /> : null}
      {titles.isSuccess && items.length === 0 ? (
        q ? (
          <EmptyState title={`No ${words.one} matches`}>Try fewer words.</EmptyState>
        ) : (
          <EmptyState title={`No ${words.many} yet`}>
            {isAdmin
              ? 'Press “Sync movies and series” to read them from your Xtream providers.'
              : 'They appear once an administrator has synced movies and series from the providers.'}
          </EmptyState>
        )
      ) : null}
      {items.length ? (
        <PosterGrid items={items} hasMore={!!hasNextPage} loadingMore={isFetchingNextPage} loadMore={loadMore} onOpen={setOpen} label={words.title} />
      ) : null}
      <VodDetails kind={kind} title={open} onClose={() => setOpen(null)} />
    </div>
  );
}
