import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ChannelLogo, logoSource } from '@/components/channel-logo';
import { hourMarks, isOnAt, placeRow, timeRange, timeToX, windowWidth, type Window } from '@/features/guide/lib/timeline';
import type { GuideChannel, Programme } from '@/types/api';

const ROW = 64;
const HEADER = 36;
const CHANNEL_W = 200;
const CHANNEL_W_NARROW = 76; // phones: logo and number only, the name is in the row's label
const NARROW_BELOW = 560;
// Re-place programmes only when the view has moved this far sideways (a quarter of an hour).
const X_STEP = 60;

type Props = {
  window: Window;
  channels: GuideChannel[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  now: number;
  /** Where the view is scrolled to sideways (px into the day); a new object scrolls there again. */
  focus: { x: number };
  onOpen: (channel: GuideChannel, programme: Programme) => void;
};

const Row = memo(function Row({
  channel,
  window: w,
  from,
  to,
  now,
  onOpen,
}: {
  channel: GuideChannel;
  window: Window;
  from: number;
  to: number;
  now: number;
  onOpen: Props['onOpen'];
}) {
  const placed = placeRow(channel.programmes, w, from, to);
  return (
    <>
      <div className="guide-channel" role="rowheader" aria-label={channel.channel}>
        <ChannelLogo name={channel.channel} src={logoSource(channel)} size={36} />
        <span className="guide-channel-name">
          {channel.number != null ? <span className="chno">{channel.number}</span> : null}
          <span className="guide-channel-label">{channel.channel}</span>
        </span>
      </div>
      <div className="guide-programmes">
        {channel.programmes.length === 0 ? <span className="guide-empty small muted">No programmes in this window</span> : null}
        {placed.map(({ item, left, width, clippedStart }) => {
          const when = timeRange(item.start, item.stop);
          return (
            <button
              key={item.id}
              type="button"
              className={`guide-prog${isOnAt(item, now) ? ' on-now' : ''}${clippedStart ? ' clipped' : ''}`}
              style={{ left, width: Math.max(2, width - 2) }}
              onClick={() => onOpen(channel, item)}
              aria-label={`${item.title}, ${when}, ${channel.channel}`}
              title={`${when} ${item.title}`}
            >
              <span className="guide-prog-title">{item.title}</span>
              <span className="guide-prog-time">{when}</span>
            </button>
          );
        })}
      </div>
    </>
  );
});

/**
 * Channels down, one day across. Rows are virtualised (only those on screen, plus a few, are in
 * the DOM) and each row renders only the programmes in the scrolled-into-view stretch of the day,
 * so a thousand channels over a day cost what twenty rows do. The channel column and the hour
 * bar stay put (CSS sticky) while the rest scrolls.
 */
export function GuideGrid({ window: w, channels, hasMore, loadingMore, loadMore, now, focus, onOpen }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ from: 0, to: 2000 });
  const [narrow, setNarrow] = useState(false);
  const channelW = narrow ? CHANNEL_W_NARROW : CHANNEL_W;
  const width = windowWidth(w);
  const rowCount = channels.length + (hasMore ? 1 : 0);

  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => ref.current,
    estimateSize: () => ROW,
    overscan: 4,
    scrollMargin: HEADER,
  });
  const rows = virtualizer.getVirtualItems();
  const last = rows[rows.length - 1];

  useEffect(() => {
    if (last && hasMore && !loadingMore && last.index >= rowCount - 1 - 10) loadMore();
  }, [last, hasMore, loadingMore, rowCount, loadMore]);

  // The visible stretch of the day, in steps, plus half a screen either side.
  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const left = Math.floor(el.scrollLeft / X_STEP) * X_STEP;
    const span = Math.max(400, el.clientWidth - CHANNEL_W_NARROW);
    const next = { from: left - span / 2, to: left + span * 1.5 + X_STEP };
    setView((v) => (v.from === next.from && v.to === next.to ? v : next));
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.scrollLeft = Math.max(0, focus.x);
    measure();
  }, [focus, measure]);

  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const check = () => setNarrow(el.clientWidth < NARROW_BELOW);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const nowX = now >= w.start && now < w.end ? timeToX(now, w) : null;
  const marks = useMemo(() => hourMarks(w), [w]);

  return (
    <div
      ref={ref}
      className={`guide-scroll${narrow ? ' guide-narrow' : ''}`}
      onScroll={measure}
      role="grid"
      aria-label="TV guide"
      aria-rowcount={rowCount}
      data-testid="guide-scroll"
    >
      <div className="guide-canvas" style={{ width: channelW + width, height: HEADER + virtualizer.getTotalSize() }}>
        <div className="guide-timebar" style={{ width: channelW + width, height: HEADER }} role="row">
          <div className="guide-corner" role="columnheader">
            Channel
          </div>
          <div className="guide-hours" style={{ width }}>
            {marks.map((m) => (
              <span key={m.t} className="guide-hour" style={{ left: m.x }} role="columnheader">
                {m.label}
              </span>
            ))}
            {nowX != null ? <span className="guide-now-mark" style={{ left: nowX }} aria-hidden="true" /> : null}
          </div>
        </div>
        {nowX != null ? (
          <div className="guide-now-line" style={{ left: channelW + nowX, top: HEADER, height: virtualizer.getTotalSize() }} aria-hidden="true" />
        ) : null}
        {rows.map((vr) => {
          const channel = channels[vr.index];
          return (
            <div
              key={vr.key}
              className="guide-row"
              role="row"
              aria-rowindex={vr.index + 1}
              data-row
              style={{ height: vr.size, transform: `translateY(${vr.start}px)`, width: channelW + width }}
            >
              {channel ? (
                <Row channel={channel} window={w} from={view.from} to={view.to} now={now} onOpen={onOpen} />
              ) : (
                <div className="guide-channel muted small">{loadingMore ? 'Loading more channels…' : ''}</div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
