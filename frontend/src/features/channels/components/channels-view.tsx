import { useCallback, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Tabs } from '@/components/tabs';
import { useSearchParamsPatch } from '@/hooks/use-search-params-patch';
import { EmptyState, ErrorMessage, Loading, Notice } from '@/components/feedback';
import { paths } from '@/config/paths';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { useIsAdmin } from '@/hooks/use-role';
import { bulkFilter } from '@/features/channels/api/bulk';
import { useFavorites } from '@/features/channels/api/favorites';
import { useChannels, type ChannelFilters } from '@/features/channels/api/get-channels';
import { channelCountLabel } from '@/features/channels/api/get-total';
import { BulkBar } from '@/features/channels/components/bulk-bar';
import { CategoryManager } from '@/features/channels/components/category-manager';
import { ChannelDrawer } from '@/features/channels/components/channel-drawer';
import { ChannelFiltersBar } from '@/features/channels/components/channel-filters';
import { ChannelBrowser } from '@/features/channels/components/channel-list';
import { EMPTY, isSelected, selectAllMatching, selectedCount, selectionBody, toggle, type Selection } from '@/features/channels/lib/selection';

const FILTER_KEYS = ['category', 'quality', 'provider_id', 'region', 'has_active', 'enabled', 'sort', 'order'] as const;

/** The channel browser; filters, view and the open channel live in the URL (shareable, survive reload). */
export function ChannelsView() {
  const [params, update] = useSearchParamsPatch();
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


  const onSearch = (value: string) => {
    setSearch(value);
    update({ q: value.trim() || null });
  };

  // Favourites are their own list (yours, by name); the other filters do not apply to it.
  const favoritesOnly = params.get('fav') === '1';
  const all = useChannels(filters);
  const favorites = useFavorites(favoritesOnly);
  const channels = favoritesOnly ? favorites : all;
  const items = useMemo(() => channels.data?.pages.flatMap((p) => p.items) ?? [], [channels.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = channels;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const filtered = favoritesOnly || Object.keys(filters).some((k) => k !== 'sort' && k !== 'order');
  const total = favoritesOnly ? (hasNextPage ? null : items.length) : (all.data?.pages[0]?.total ?? null);
  const isAdmin = useIsAdmin();
  const tab = isAdmin && params.get('tab') === 'categories' ? 'categories' : 'channels';

  // The selection belongs to the filter it was made under: a new filter starts a new one.
  const filterKey = JSON.stringify(filters);
  const [picked, setPicked] = useState<{ key: string; sel: Selection }>({ key: filterKey, sel: EMPTY });
  const sel = picked.key === filterKey ? picked.sel : EMPTY;
  const setSel = (next: Selection) => {
    setPicked({ key: filterKey, sel: next });
    if (next.all || next.ids.size) setBulkDone(null);
  };
  const [bulkDone, setBulkDone] = useState<string | null>(null);
  const ids = useMemo(() => items.map((c) => c.id), [items]);
  const count = selectedCount(sel, total);
  const chosen = useMemo(() => (sel.all ? [] : items.filter((c) => sel.ids.has(c.id))), [items, sel]);

  return (
    <div className="channels-page">
      <div className="page-header">
        <h1>Channels</h1>
        <span className="muted small" aria-live="polite" data-testid="channel-total">
          {channels.isSuccess ? channelCountLabel(total, items.length) : ''}
        </span>
      </div>
      {isAdmin ? (
        <Tabs
          label="Channel pages"
          tabs={[
            ['channels', 'Channels'],
            ['categories', 'Categories'],
          ]}
          value={tab}
          onChange={(k) => update({ tab: k === 'categories' ? k : null })}
        />
      ) : null}
      {tab === 'categories' ? (
        <CategoryManager onShow={(name) => update({ tab: null, category: name })} />
      ) : (
        <>
          <div className="row gap wrap">
            <label className="switch">
              <input type="checkbox" role="switch" checked={favoritesOnly} onChange={(e) => update({ fav: e.target.checked ? '1' : null })} />
              Only my favourites
            </label>
          </div>
          {favoritesOnly ? null : (
            <ChannelFiltersBar
              search={search}
              onSearch={onSearch}
              filters={filters}
              onChange={(patch) => update(patch as Record<string, string>)}
              view={view}
              onView={(v) => update({ view: v === 'grid' ? 'grid' : null })}
            />
          )}
          <ErrorMessage error={channels.error} title="Channels could not be loaded" />
          {channels.isPending ? <Loading label="Loading channels…" /> : null}
          {channels.isSuccess && items.length === 0 ? (
            filtered ? (
              favoritesOnly ? (
                <EmptyState title="No favourites yet">Open a channel and press “Add to favourites”: it then shows here.</EmptyState>
              ) : (
                <EmptyState title="No channel matches">Try fewer words or clear the filters.</EmptyState>
              )
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
          {isAdmin && !favoritesOnly ? (
            <div role="region" aria-label="Bulk actions" className="stack">
              {bulkDone ? <Notice kind="ok">{bulkDone}</Notice> : null}
              {count > 0 ? (
                <BulkBar
                  count={count}
                  all={sel.all}
                  total={total}
                  selection={selectionBody(sel, bulkFilter(filters as Record<string, string | undefined>))}
                  chosen={chosen}
                  onSelectAll={() => setSel(selectAllMatching())}
                  onClear={() => setSel(EMPTY)}
                  onDone={setBulkDone}
                />
              ) : null}
            </div>
          ) : null}
          {isAdmin && !favoritesOnly && count === 0 && items.length > 0 && view === 'list' ? (
            <p className="small muted">Tick channels to change many at once: Shift-click selects a range; from the keyboard, x ticks the focused channel.</p>
          ) : null}
          {items.length ? (
            <ChannelBrowser
              items={items}
              hasMore={!!hasNextPage}
              loadingMore={isFetchingNextPage}
              loadMore={loadMore}
              onOpen={(id) => update({ channel: String(id) })}
              view={view}
              selection={
                isAdmin && view === 'list' && !favoritesOnly
                  ? { has: (id) => isSelected(sel, id), onToggle: (index, shift) => setSel(toggle(sel, ids, index, shift)) }
                  : undefined
              }
            />
          ) : null}
        </>
      )}
      <ChannelDrawer id={openId} onClose={() => update({ channel: null })} onOpen={(id) => update({ channel: String(id) })} />
    </div>
  );
}
