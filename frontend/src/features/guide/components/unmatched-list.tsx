import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { useIsAdmin } from '@/hooks/use-role';
import { plural } from '@/lib/format';
import { useAssignGuide, useUnmatched } from '@/features/guide/api/guide';
import type { UnmatchedChannel } from '@/types/api';

const ESTIMATE = 104;

/** Best first; a score is how alike the names are, 0–100. */
export function rankSuggestions(c: UnmatchedChannel, max = 3): UnmatchedChannel['suggestions'] {
  const seen = new Set<string>();
  return [...c.suggestions]
    .sort((a, b) => b.score - a.score)
    .filter((s) => {
      // Two sources carrying the same guide channel would be the same choice twice.
      const key = `${s.xmltv_id}\u0000${s.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, max);
}

function scoreTone(score: number): string {
  return score >= 80 ? 'ok' : score >= 50 ? 'warn' : 'neutral';
}

function UnmatchedRow({ c, isAdmin, assigned, onAssign, busy }: { c: UnmatchedChannel; isAdmin: boolean; assigned: string | undefined; onAssign: (epgId: number, name: string) => void; busy: boolean }) {
  const best = rankSuggestions(c);
  return (
    <div className="unmatched-row">
      <div className="row-between wrap">
        <strong>{c.channel}</strong>
        <span className="small muted">{c.tvg_id ? `guide id in the playlist: ${c.tvg_id}` : 'no guide id in the playlist'}</span>
      </div>
      {assigned ? (
        <div className="small ok-text" role="status">
          Guide set to {assigned}.
        </div>
      ) : best.length === 0 ? (
        <div className="small muted">No guide channel looks like it.</div>
      ) : (
        <ul className="suggestions" aria-label={`Best guide matches for ${c.channel}`}>
          {best.map((s) => (
            <li key={s.epg_channel_id}>
              <span className={`badge badge-${scoreTone(s.score)}`} title="How alike the names are">
                {s.score}%
              </span>{' '}
              <span>{s.name}</span> <span className="small muted">{s.xmltv_id}</span>
              {isAdmin ? (
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={busy}
                  onClick={() => onAssign(s.epg_channel_id, s.name)}
                  aria-label={`Use ${s.name} for ${c.channel}`}
                >
                  Use
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Channels with no guide, each with its best candidates; an admin assigns one with a click. */
export function UnmatchedList() {
  const list = useUnmatched();
  const assign = useAssignGuide();
  const isAdmin = useIsAdmin();
  const [assigned, setAssigned] = useState<Map<number, string>>(new Map());
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const ref = useRef<HTMLDivElement>(null);
  const rowCount = items.length + (hasNextPage ? 1 : 0);
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => ref.current,
    estimateSize: () => ESTIMATE,
    overscan: 4,
  });
  const rows = virtualizer.getVirtualItems();
  const last = rows[rows.length - 1];
  useEffect(() => {
    if (last && hasNextPage && !isFetchingNextPage && last.index >= rowCount - 1 - 5) void fetchNextPage();
  }, [last, hasNextPage, isFetchingNextPage, rowCount, fetchNextPage]);

  const onAssign = useCallback(
    (channelId: number, epgChannelId: number, name: string) =>
      assign.mutate(
        { channelId, epgChannelId },
        { onSuccess: () => setAssigned((m) => new Map(m).set(channelId, name)) },
      ),
    [assign],
  );

  if (list.isPending) return <Loading label="Looking for channels without a guide…" />;
  if (list.isError) return <ErrorMessage error={list.error} title="Unmatched channels could not be loaded" />;
  if (items.length === 0) {
    return <EmptyState title="Every channel has a guide">Channels whose names match no guide channel show up here.</EmptyState>;
  }
  return (
    <div className="stack guide-fill">
      <p className="small muted" aria-live="polite">
        {hasNextPage ? 'Channels' : plural(items.length, 'channel')} without a guide, each with the guide channels whose names
        come closest. The percentage says how alike the names are.
      </p>
      <ErrorMessage error={assign.error} title="The guide could not be set" />
      <div ref={ref} className="virtual-scroll" data-testid="unmatched-scroll" role="region" aria-label="Channels without a guide">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {rows.map((vr) => {
            const c = items[vr.index];
            return (
              <div
                key={vr.key}
                data-index={vr.index}
                ref={virtualizer.measureElement}
                data-row
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${vr.start}px)` }}
              >
                {c ? (
                  <UnmatchedRow
                    c={c}
                    isAdmin={isAdmin}
                    assigned={assigned.get(c.channel_id)}
                    busy={assign.isPending}
                    onAssign={(epgId, name) => onAssign(c.channel_id, epgId, name)}
                  />
                ) : (
                  <div className="muted small loader-row">{isFetchingNextPage ? 'Loading more…' : ''}</div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
