import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { Poster } from '@/features/vod/components/poster';
import type { VodTitle } from '@/types/api';

const TILE_W = 168;
const TILE_H = 300; // a 240 px poster, plus two lines of text

/** How many tiles fit across, at least one. */
export function columnsFor(width: number, tile = TILE_W): number {
  return Math.max(1, Math.floor(width / tile));
}

/**
 * Posters in virtualised rows: only the rows on screen (plus a few) are in the DOM, and the next
 * page is fetched as the end comes into view.
 */
export function PosterGrid({
  items,
  hasMore,
  loadingMore,
  loadMore,
  onOpen,
  label,
}: {
  items: VodTitle[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  onOpen: (t: VodTitle) => void;
  label: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const columns = columnsFor(width || 800);
  const tileW = Math.floor((width || 800) / columns);
  const rowCount = Math.ceil(items.length / columns) + (hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({ count: rowCount, getScrollElement: () => ref.current, estimateSize: () => TILE_H, overscan: 3 });
  const rows = virtualizer.getVirtualItems();
  const last = rows[rows.length - 1];

  useEffect(() => {
    if (last && hasMore && !loadingMore && last.index >= rowCount - 1 - 4) loadMore();
  }, [last, hasMore, loadingMore, rowCount, loadMore]);

  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth((w) => (Math.abs(el.clientWidth - w) > 8 ? el.clientWidth : w)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  return (
    <div ref={ref} className="virtual-scroll" role="region" aria-label={label} data-testid="poster-scroll">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {rows.map((vr) => {
          const start = vr.index * columns;
          return (
            <div
              key={vr.key}
              className="poster-row"
              data-row
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: vr.size, transform: `translateY(${vr.start}px)` }}
            >
              {start >= items.length ? (
                <div className="muted small loader-row">{loadingMore ? 'Loading more…' : ''}</div>
              ) : (
                items.slice(start, start + columns).map((t) => (
                  <button
                    key={t.id}
                    type="button"
                    className="poster-tile"
                    style={{ width: tileW, height: TILE_H }}
                    onClick={() => onOpen(t)}
                    aria-label={`${t.title}${t.year ? ` (${t.year})` : ''}`}
                    data-testid="poster"
                  >
                    <Poster title={t.title} src={t.poster_proxy || t.poster} />
                    <span className="poster-title">{t.title}</span>
                    <span className="poster-meta">{[t.year, t.genre ?? t.category].filter(Boolean).join(' · ') || '\u00a0'}</span>
                  </button>
                ))
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
