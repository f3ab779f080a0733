import { useCallback, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { paths } from '@/config/paths';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { useChannels, type ChannelFilters } from '@/features/channels/api/get-channels';
import { ChannelDrawer } from '@/features/channels/components/channel-drawer';
import { ChannelFiltersBar } from '@/features/channels/components/channel-filters';
import { ChannelBrowser } from '@/features/channels/components/channel-list';

const FILTER_KEYS = ['category', 'quality', 'provider_id', 'region', 'has_active', 'enabled', 'sort', 'order'] as const;

/** The channel browser; filters, view and the open channel live in the URL (shareable, survive reload). */
export function ChannelsView() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebouncedValue(search.trim(), 250);
  const view = params.get('view') === 'grid' ? 'grid' : 'list';
  const openId = params.get('channel') ? Number(params.get('channel')) : null;

  const filters: ChannelFilters = useMemo(() => {
    const f: ChannelFilters = {};
    for (const k of FILTER_KEYS) {
      const v = params.get(k);
      if (v) (f as Record<string, string>)[k] = v;
    }
    if (q) f.q = q;
    return f;
  }, [params, q]);

  const update = useCallback(
    (patch: Record<string, string | null>) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const onSearch = (value: string) => {
    setSearch(value);
    update({ q: value.trim() || null });
  };

  const channels = useChannels(filters);
  const items = useMemo(() => channels.data?.pages.flatMap((p) => p.items) ?? [], [channels.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = channels;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const filtered = Object.keys(filters).some((k) => k !== 'sort' && k !== 'order');

  return (
    <div className="channels-page">
      <div className="page-header">
        <h1>Channels</h1>
        <span className="muted small" aria-live="polite">
          {channels.isSuccess ? `${items.length.toLocaleString()}${hasNextPage ? '+' : ''} channel${items.length === 1 ? '' : 's'}` : ''}
        </span>
      </div>
      <ChannelFiltersBar
        search={search}
        onSearch={onSearch}
        filters={filters}
        onChange={(patch) => update(patch as Record<string, string>)}
        view={view}
        onView={(v) => update({ view: v === 'grid' ? 'grid' : null })}
      />
      <ErrorMessage error={channels.error} title="Channels could not be loaded" />
      {channels.isPending ? <Loading label="Loading channels…" /> : null}
      {channels.isSuccess && items.length === 0 ? (
        filtered ? (
          <EmptyState title="No channel matches">Try fewer words or clear the filters.</EmptyState>
        ) : (
          <EmptyState
            title="No channels yet"
            action={
              <Link className="btn btn-primary" to={paths.providers}>
                Go to providers
              </Link>
            }
          >
            Channels appear after a provider has been synced. Add a provider and press “Sync now”.
          </EmptyState>
        )
      ) : null}
      {items.length ? (
        <ChannelBrowser
          items={items}
          hasMore={!!hasNextPage}
          loadingMore={isFetchingNextPage}
          loadMore={loadMore}
          onOpen={(id) => update({ channel: String(id) })}
          view={view}
        />
      ) : null}
      <ChannelDrawer id={openId} onClose={() => update({ channel: null })} onOpen={(id) => update({ channel: String(id) })} />
    </div>
  );
}
