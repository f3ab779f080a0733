import { useCallback, useEffect, useMemo, useState } from 'react';
import { Tabs } from '@/components/tabs';
import { useSearchParamsPatch } from '@/hooks/use-search-params-patch';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { useGuide } from '@/features/guide/api/guide';
import { GuideGrid } from '@/features/guide/components/guide-grid';
import { ProgrammeDetails } from '@/features/guide/components/programme-details';
import { SourceList } from '@/features/guide/components/source-list';
import { UnmatchedList } from '@/features/guide/components/unmatched-list';
import { dayOptions, dayWindow, MINUTE, timeToX } from '@/features/guide/lib/timeline';
import { plural } from '@/lib/format';
import type { GuideChannel, Programme } from '@/types/api';

type Tab = 'grid' | 'unmatched' | 'sources';
const TABS: Array<[Tab, string]> = [
  ['grid', 'Guide'],
  ['unmatched', 'Unmatched channels'],
  ['sources', 'Sources'],
];

/** The clock, to the minute: the now line and the "on now" highlight move with it. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);
  return Math.floor(now / MINUTE) * MINUTE;
}

function startX(offset: number, now: number): number {
  const w = dayWindow(now, offset);
  return offset === 0 ? Math.max(0, timeToX(now - 30 * MINUTE, w)) : timeToX(w.start + 18 * 60 * MINUTE, w);
}

function GridTab({ offset, onDay }: { offset: number; onDay: (offset: number) => void }) {
  const now = useMinuteClock();
  // The window is fixed per day (not per minute) so its query stays cached while the clock ticks.
  const today = dayWindow(now, 0).start;
  const w = useMemo(() => dayWindow(today, offset), [today, offset]);
  const guide = useGuide(w.start, w.end);
  const channels = useMemo(() => guide.data?.pages.flatMap((p) => p.items) ?? [], [guide.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = guide;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const [open, setOpen] = useState<{ channel: GuideChannel; programme: Programme } | null>(null);
  const onOpen = useCallback((channel: GuideChannel, programme: Programme) => setOpen({ channel, programme }), []);
  // Where the grid scrolls to: today half an hour before now, another day 18:00. A new object
  // (the "Now" button) scrolls there again; the clock ticking does not move the view.
  const [focus, setFocus] = useState(() => ({ x: startX(offset, Date.now()) }));
  const days = dayOptions(today);

  return (
    <div className="stack guide-fill">
      <div className="filters">
        <div className="field">
          <label htmlFor="guide-day">Day</label>
          <select id="guide-day" value={offset} onChange={(e) => onDay(Number(e.target.value))}>
            {days.map((d) => (
              <option key={d.offset} value={d.offset}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="btn"
          onClick={() => (offset !== 0 ? onDay(0) : setFocus({ x: startX(0, Date.now()) }))}
        >
          Now
        </button>
        <span className="small muted" aria-live="polite">
          {guide.isSuccess && !hasNextPage ? plural(channels.length, 'channel') : ''}
        </span>
      </div>
      <ErrorMessage error={guide.error} title="The guide could not be loaded" />
      {guide.isPending ? <Loading label="Loading the guide…" /> : null}
      {guide.isSuccess && channels.length === 0 ? (
        <EmptyState title="No guide yet">
          No channel has programmes for this day. Import a guide under Sources, or match channels under Unmatched channels.
        </EmptyState>
      ) : null}
      {channels.length ? (
        <GuideGrid
          window={w}
          channels={channels}
          hasMore={!!hasNextPage}
          loadingMore={isFetchingNextPage}
          loadMore={loadMore}
          now={now}
          focus={focus}
          onOpen={onOpen}
        />
      ) : null}
      <ProgrammeDetails open={open} onClose={() => setOpen(null)} />
    </div>
  );
}

/** The TV guide: the grid, channels still without a guide, and the guide sources. */
export function GuideView() {
  const [params, set] = useSearchParamsPatch();
  const raw = params.get('tab');
  const tab: Tab = raw === 'unmatched' || raw === 'sources' ? raw : 'grid';
  const day = Math.max(-1, Math.min(6, Number(params.get('day') ?? 0) || 0));

  return (
    <div className="channels-page">
      <div className="page-header">
        <h1>TV guide</h1>
      </div>
      <Tabs label="Guide sections" tabs={TABS} value={tab} onChange={(k) => set({ tab: k === 'grid' ? null : k })} />
      <div className="guide-body">
        {tab === 'grid' ? <GridTab key={day} offset={day} onDay={(d) => set({ day: d === 0 ? null : String(d) })} /> : null}
        {tab === 'unmatched' ? <UnmatchedList /> : null}
        {tab === 'sources' ? <SourceList /> : null}
      </div>
    </div>
  );
}
