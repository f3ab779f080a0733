import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ChannelLogo, logoSource } from '@/components/channel-logo';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { useNowNext, type OnNow } from '@/features/channels/api/get-now-next';
import { plural } from '@/lib/format';
import type { ChannelSummary } from '@/types/api';

type Props = {
  items: ChannelSummary[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  onOpen: (id: number) => void;
  view: 'list' | 'grid';
  /** Multi-select (admins, list view): whether a channel is selected, and a click on its box. */
  selection?: { has: (id: number) => boolean; onToggle: (index: number, shift: boolean) => void };
};

const ROW = 56;
const TILE_W = 148;
const TILE_H = 150;

// "Working" only for streams whose last check passed: a stream nobody has checked yet is
// playable but its health is unknown, and the label must not claim otherwise.
function health(c: ChannelSummary): { tone: string; label: string } {
  const n = c.stream_count;
  if (n === 0) return { tone: 'neutral', label: 'no streams' };
  if (c.working_stream_count === undefined) {
    // A list without health fields: only "inactive" is known.
    if (c.active_stream_count === 0) return { tone: 'bad', label: 'all streams inactive' };
    return { tone: 'neutral', label: plural(n, 'stream') };
  }
  const working = c.working_stream_count;
  const failed = c.failed_stream_count ?? 0;
  const unchecked = c.unchecked_stream_count ?? 0;
  const notChecked = unchecked ? ` · ${unchecked} not checked yet` : '';
  if (working === n) return { tone: 'ok', label: `${n} working` };
  if (working > 0) return { tone: failed ? 'warn' : 'ok', label: `${working}/${n} working${notChecked}` };
  if (failed === 0) return { tone: 'neutral', label: 'not checked yet' };
  if (unchecked) return { tone: 'warn', label: `${failed} failed${notChecked}` };
  return { tone: 'bad', label: 'no working stream' };
}

function nowLine(on: OnNow | undefined) {
  if (!on?.now) return null;
  return (
    <span className="on-now-text" title={on.next ? `Next: ${on.next}` : undefined}>
      Now: {on.now} ·{' '}
    </span>
  );
}

/**
 * Channels in a virtualised list or logo grid: only the rows on screen (plus a few) are in the DOM,
 * and the next page is fetched as the end comes into view. Arrow keys, Page Up/Down, Home and End
 * move between channels; Enter opens one.
 */
export function ChannelBrowser({ items, hasMore, loadingMore, loadMore, onOpen, view, selection }: Props) {
  const parentRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [active, setActive] = useState(0); // the one channel reachable with Tab (roving tabindex)
  const columns = view === 'grid' ? Math.max(1, Math.floor((width || 800) / TILE_W)) : 1;
  const rowCount = Math.ceil(items.length / columns) + (hasMore ? 1 : 0);

  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => parentRef.current,
    estimateSize: () => (view === 'grid' ? TILE_H : ROW),
    overscan: 6,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const last = virtualRows[virtualRows.length - 1];

  // Infinite scroll: ask for more when the last rendered row is near the loaded end.
  useEffect(() => {
    if (last && hasMore && !loadingMore && last.index >= rowCount - 1 - 10) loadMore();
  }, [last?.index, hasMore, loadingMore, rowCount, loadMore, last]);

  // Re-measure the grid's columns when the container is resized.
  useEffect(() => {
    const el = parentRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth((w) => (Math.abs(el.clientWidth - w) > 8 ? el.clientWidth : w)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    virtualizer.measure();
  }, [columns, view, virtualizer]);

  const firstShown = (virtualRows[0]?.index ?? 0) * columns;
  const lastShown = ((last?.index ?? 0) + 1) * columns - 1;
  // Now and next for the rows on screen, asked for once scrolling pauses.
  const shownIds = view === 'list' ? items.slice(firstShown, lastShown + 1).map((c) => c.id) : [];
  const settledIds = useDebouncedValue(shownIds.join(','), 300);
  const onNow = useNowNext(settledIds ? settledIds.split(',').map(Number) : []).data;
  const tabbable = active >= firstShown && active <= lastShown && active < items.length ? active : Math.min(firstShown, items.length - 1);

  const focusIndex = (index: number) => {
    const i = Math.max(0, Math.min(items.length - 1, index));
    virtualizer.scrollToIndex(Math.floor(i / columns), { align: 'auto' });
    // A row already rendered takes focus at once, so quick repeated key presses each move one
    // step; only rows scrolled in from far away wait for the next frames to be rendered.
    const rendered = parentRef.current?.querySelector<HTMLElement>(`[data-channel-index="${i}"]`);
    if (rendered) {
      rendered.focus({ preventScroll: true });
      return;
    }
    const tryFocus = (n: number) => {
      const el = parentRef.current?.querySelector<HTMLElement>(`[data-channel-index="${i}"]`);
      if (el) el.focus({ preventScroll: true });
      else if (n > 0) requestAnimationFrame(() => tryFocus(n - 1));
    };
    requestAnimationFrame(() => tryFocus(5));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    const current = Number(target.dataset.channelIndex ?? -1);
    if (current < 0) return;
    const perPage = Math.max(1, Math.floor((parentRef.current?.clientHeight ?? 600) / (view === 'grid' ? TILE_H : ROW))) * columns;
    const moves: Record<string, number> = {
      ArrowDown: current + columns,
      ArrowUp: current - columns,
      ArrowRight: view === 'grid' ? current + 1 : current,
      ArrowLeft: view === 'grid' ? current - 1 : current,
      PageDown: current + perPage,
      PageUp: current - perPage,
      Home: 0,
      End: items.length - 1,
    };
    // "x" ticks the focused channel (Shift+x: the range from the last one ticked), as in mail apps;
    // the boxes themselves stay out of the Tab order, which would otherwise hold every row twice.
    if (selection && (e.key === 'x' || e.key === 'X')) {
      e.preventDefault();
      selection.onToggle(current, e.shiftKey);
      return;
    }
    const next = moves[e.key];
    if (next === undefined) return;
    e.preventDefault();
    focusIndex(next);
  };

  return (
    <div
      ref={parentRef}
      className={`virtual-scroll channel-${view}`}
      onKeyDown={onKeyDown}
      role="region"
      aria-label={`Channels (${view === 'grid' ? 'logo grid' : 'list'}); use the arrow keys to move${selection ? ', x to select' : ''}`}
      data-testid="channel-scroll"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {virtualRows.map((vr) => {
          const start = vr.index * columns;
          const isLoader = start >= items.length;
          return (
            <div
              key={vr.key}
              className={view === 'grid' ? 'vrow grid-row' : 'vrow'}
              data-row
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: vr.size, transform: `translateY(${vr.start}px)` }}
            >
              {isLoader ? (
                <div className="muted small loader-row">{loadingMore ? 'Loading more channels…' : ''}</div>
              ) : (
                items.slice(start, start + columns).map((c, j) => {
                  const h = health(c);
                  const index = start + j;
                  return view === 'grid' ? (
                    <button
                      key={c.id}
                      type="button"
                      className={`tile${c.enabled ? '' : ' disabled'}`}
                      data-channel-index={index}
                      tabIndex={index === tabbable ? 0 : -1}
                      onFocus={() => setActive(index)}
                      onClick={() => onOpen(c.id)}
                      aria-label={`${c.name}, ${h.label}`}
                    >
                      <ChannelLogo name={c.name} src={logoSource(c)} size={64} />
                      <span className="tile-name">{c.name}</span>
                      <span className={`dot dot-${h.tone}`} aria-hidden="true" />
                    </button>
                  ) : (
                    <div key={c.id} className={`channel-line${selection?.has(c.id) ? ' selected' : ''}`}>
                      {selection ? (
                        <label className="row-check" title="Select (Shift: a range)">
                          <input
                            type="checkbox"
                            checked={selection.has(c.id)}
                            // onClick, not onChange: only the click event says whether Shift was held.
                            onClick={(e) => selection.onToggle(index, e.shiftKey)}
                            onChange={() => undefined}
                            aria-label={`Select ${c.name}`}
                            tabIndex={-1}
                            data-testid="select-channel"
                          />
                        </label>
                      ) : null}
                      <button
                        type="button"
                        className={`channel-row${c.enabled ? '' : ' disabled'}`}
                        data-channel-index={index}
                        tabIndex={index === tabbable ? 0 : -1}
                        onFocus={() => setActive(index)}
                        onClick={() => onOpen(c.id)}
                      >
                        <ChannelLogo name={c.name} src={logoSource(c)} size={36} />
                        <span className="channel-main">
                          <span className="channel-name">
                            {c.number != null ? <span className="chno">{c.number}</span> : null}
                            {c.name}
                            {c.enabled ? null : <span className="badge badge-neutral">disabled</span>}
                          </span>
                          <span className="small muted">
                            {nowLine(onNow?.get(c.id))}
                            {[c.category, c.country, c.region, c.variant].filter(Boolean).join(' · ') || 'no category'}
                          </span>
                        </span>
                        {c.best_quality ? <span className="badge badge-neutral">{c.best_quality}</span> : null}
                        <span className="channel-health small">
                          <span className={`dot dot-${h.tone}`} aria-hidden="true" /> {h.label}
                        </span>
                        <span className="small muted hide-sm">{plural(c.stream_count, 'stream')}</span>
                      </button>
                    </div>
                  );
                })
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
