import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { plural } from '@/lib/format';
import { useMembers, useRemoveMembers, useRenumberLineup } from '@/features/lineups/api/lineups';

const ROW = 40;

/** The lineup's channels in its order (virtualised, paged from the server), with take-out and renumber. */
export function MembersList({ lineupId, count }: { lineupId: number; count: number }) {
  const members = useMembers(lineupId);
  const items = useMemo(() => members.data?.pages.flatMap((p) => p.items) ?? [], [members.data]);
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const remove = useRemoveMembers(lineupId);
  const ref = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = members;
  const virtualizer = useVirtualizer({ count: items.length + (hasNextPage ? 1 : 0), getScrollElement: () => ref.current, estimateSize: () => ROW, overscan: 8 });
  const rows = virtualizer.getVirtualItems();
  const last = rows[rows.length - 1];
  useEffect(() => {
    if (last && last.index >= items.length - 20 && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [last, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const toggle = (id: number) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <div className="stack">
      <RenumberForm lineupId={lineupId} count={count} />
      {picked.size ? (
        <div className="bulk-bar">
          <strong>{plural(picked.size, 'channel')} selected</strong>
          <button
            type="button"
            className="btn btn-small"
            disabled={remove.isPending}
            onClick={() => remove.mutate([...picked], { onSuccess: () => setPicked(new Set()) })}
          >
            Take out of the lineup
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setPicked(new Set())}>
            Clear
          </button>
        </div>
      ) : null}
      <ErrorMessage error={members.error ?? remove.error} />
      {remove.isSuccess && !picked.size ? <Notice kind="ok">Taken out. Rules will not add them back.</Notice> : null}
      {members.isPending ? <Loading label="Loading the lineup's channels…" /> : null}
      {members.isSuccess && items.length === 0 ? <p className="muted">No channels yet: add rules, or add channels from the Channels page.</p> : null}
      {items.length ? (
        <div ref={ref} className="category-scroll" role="list" aria-label="Lineup channels">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {rows.map((vr) => {
              const m = items[vr.index];
              return (
                <div
                  key={vr.key}
                  role="listitem"
                  className="category-row"
                  data-testid="member-row"
                  style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: vr.size, transform: `translateY(${vr.start}px)` }}
                >
                  {m ? (
                    <>
                      <input type="checkbox" checked={picked.has(m.channel_id)} onChange={() => toggle(m.channel_id)} aria-label={`Select ${m.name}`} />
                      <span className="chno">{m.number}</span>
                      <span className="grow">{m.name}</span>
                      <span className="small muted">{m.category ?? ''}</span>
                      <span className={`badge badge-${m.source === 'rule' ? 'neutral' : 'ok'}`}>{m.source === 'rule' ? 'by rule' : 'added by hand'}</span>
                    </>
                  ) : (
                    <span className="muted small">Loading more…</span>
                  )}
                </div>
              );
            })}
          </div>
        </div>
      ) : null}
    </div>
  );
}

function RenumberForm({ lineupId, count }: { lineupId: number; count: number }) {
  const id = useId();
  const [start, setStart] = useState('1');
  const [order, setOrder] = useState<'lineup' | 'channel' | 'name'>('lineup');
  const renumber = useRenumberLineup(lineupId);
  const n = Number(start);
  const invalid = !Number.isInteger(n) || n < 1 || n > 1_000_000;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!invalid) renumber.mutate({ start: n, order });
  };
  return (
    <form className="bulk-panel" onSubmit={submit} aria-label="Renumber the lineup">
      <div className="field">
        <label htmlFor={`${id}-start`}>Number from</label>
        <input id={`${id}-start`} type="number" min={1} max={1000000} step={1} className="short" value={start} onChange={(e) => setStart(e.target.value)} aria-invalid={invalid} />
        {invalid ? <div className="field-error">A whole number from 1 to 1,000,000.</div> : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>In the order of</label>
        <select id={`${id}-order`} value={order} onChange={(e) => setOrder(e.target.value as typeof order)}>
          <option value="lineup">this lineup</option>
          <option value="channel">the channels' own numbers</option>
          <option value="name">names</option>
        </select>
      </div>
      <button type="submit" className="btn" disabled={invalid || renumber.isPending || count === 0}>
        Renumber {plural(count, 'channel')}
      </button>
      {renumber.isSuccess ? <span className="small ok-text">Renumbered {plural(renumber.data.changed, 'channel')}.</span> : null}
      <ErrorMessage error={renumber.error} />
    </form>
  );
}
