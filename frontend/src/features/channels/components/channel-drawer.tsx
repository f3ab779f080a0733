import { useState, type DragEvent } from 'react';
import { Tabs } from '@/components/tabs';
import { ChannelLogo, logoSource } from '@/components/channel-logo';
import { Dialog } from '@/components/dialog';
import { ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { useApiToken } from '@/lib/api-token';
import { useIsAdmin } from '@/hooks/use-role';
import { plural, timeAgo } from '@/lib/format';
import {
  useMergeChannel,
  useMoveStream,
  useOrderStreams,
  usePinStream,
  useSplitChannel,
  useUpdateChannel,
} from '@/features/channels/api/curate';
import { useFavoriteIds, useToggleFavorite } from '@/features/channels/api/favorites';
import { useChannel } from '@/features/channels/api/get-channel';
import { ChannelEditForm } from '@/features/channels/components/channel-edit-form';
import { ChannelPicker } from '@/features/channels/components/channel-picker';
import { Player } from '@/features/channels/components/player';
import { moveItem } from '@/features/channels/lib/selection';
import type { ChannelDetail, ChannelStream } from '@/types/api';


// Only a passed last check counts as working; never-checked streams are said to be so.
function streamHealth(c: ChannelDetail): string {
  const parts = [`${c.working_stream_count ?? 0} of ${plural(c.stream_count, 'stream')} working`];
  if (c.failed_stream_count) parts.push(`${c.failed_stream_count} failed`);
  if (c.unchecked_stream_count) parts.push(`${c.unchecked_stream_count} not checked yet`);
  return parts.join(' · ');
}

function StreamActions({
  channel,
  s,
  index,
  onMove,
}: {
  channel: ChannelDetail;
  s: ChannelStream;
  index: number;
  onMove: () => void;
}) {
  const order = useOrderStreams(channel.id);
  const pin = usePinStream();
  const ids = channel.streams.map((x) => x.id);
  const swap = (to: number) => {
    const next = [...ids];
    [next[index], next[to]] = [next[to] as number, next[index] as number];
    order.mutate(next);
  };
  const busy = order.isPending || pin.isPending;
  return (
    <div className="row gap-sm wrap">
      <button type="button" className="btn btn-small" disabled={busy || index === 0} onClick={() => swap(index - 1)} aria-label={`Move ${s.name} up`}>
        ↑
      </button>
      <button
        type="button"
        className="btn btn-small"
        disabled={busy || index === ids.length - 1}
        onClick={() => swap(index + 1)}
        aria-label={`Move ${s.name} down`}
      >
        ↓
      </button>
      <button
        type="button"
        className="btn btn-small"
        disabled={busy}
        onClick={() => pin.mutate({ streamId: s.id, rank: s.pinned ? null : index + 1 })}
        aria-pressed={s.pinned}
      >
        {s.pinned ? 'Unpin' : 'Pin'}
      </button>
      <button type="button" className="btn btn-small" onClick={onMove} aria-label={`Move ${s.name} to another channel`}>
        Move…
      </button>
      <ErrorMessage error={order.error ?? pin.error} />
    </div>
  );
}

function StreamTable({
  channel,
  selected,
  toggle,
  onMove,
  canEdit,
}: {
  channel: ChannelDetail;
  selected: Set<number>;
  toggle: (id: number) => void;
  onMove: (s: ChannelStream) => void;
  canEdit: boolean;
}) {
  // Drag a stream onto another to put it there; the order is pinned (the ↑ ↓ buttons do the same
  // from the keyboard).
  const order = useOrderStreams(channel.id);
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [dragOver, setDragOver] = useState<number | null>(null);
  const drop = (e: DragEvent, to: number) => {
    e.preventDefault();
    const from = dragFrom ?? Number(e.dataTransfer.getData('text/plain'));
    setDragFrom(null);
    setDragOver(null);
    if (Number.isInteger(from) && from !== to) order.mutate(moveItem(channel.streams.map((x) => x.id), from, to));
  };
  const dnd = (i: number) =>
    canEdit && !order.isPending
      ? {
          draggable: true,
          onDragStart: (e: DragEvent) => {
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/plain', String(i));
            setDragFrom(i);
          },
          onDragOver: (e: DragEvent) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'move';
            if (dragOver !== i) setDragOver(i);
          },
          onDragLeave: () => setDragOver((cur) => (cur === i ? null : cur)),
          onDragEnd: () => {
            setDragFrom(null);
            setDragOver(null);
          },
          onDrop: (e: DragEvent) => drop(e, i),
        }
      : {};
  return (
    <>
      {canEdit && channel.streams.length > 1 ? <p className="small muted">Drag a stream to change the order players try them in.</p> : null}
      <ErrorMessage error={order.error} title="The order was not saved" />
      <ol className="streams" aria-label="Streams, best first">
        {channel.streams.map((s, i) => (
          <li
            key={s.id}
            className={`stream${s.active ? '' : ' inactive'}${dragOver === i && dragFrom !== i ? ' drag-over' : ''}${dragFrom === i ? ' dragging' : ''}`}
            data-testid="stream"
            {...dnd(i)}
          >
            <div className="stream-head">
              {canEdit ? (
                <span className="drag-handle" aria-hidden="true" title="Drag to reorder">
                  ⠿
                </span>
              ) : null}
              {canEdit ? (
                <label className="check">
                  <input type="checkbox" checked={selected.has(s.id)} onChange={() => toggle(s.id)} aria-label={`Select ${s.name} from ${s.provider}`} />
                  <span className="rank">#{i + 1}</span>
                </label>
              ) : (
                <span className="rank">#{i + 1}</span>
              )}
              <strong className="grow break">{s.name}</strong>
              {s.quality ? <span className="badge badge-neutral">{s.quality}</span> : null}
              <StatusBadge status={!s.active ? 'inactive' : s.status === 'unknown' ? 'not checked yet' : s.status} />
              {s.pinned ? <span className="badge badge-warn">pinned</span> : null}
            </div>
            <div className="small muted">
              {s.provider} · {s.response_ms != null ? `${s.response_ms} ms` : 'latency unknown'} · checked {timeAgo(s.checked_at)}
              {s.failure_reason ? <span className="bad-text"> · {s.failure_reason}</span> : null}
            </div>
            <div className="small muted">
              Merged by <strong>{s.merge_method}</strong> ({s.merge_confidence}% confidence){s.merge_reason ? `: ${s.merge_reason}` : ''}
              {s.manual_override ? ' · moved by hand' : ''}
            </div>
            {canEdit ? <StreamActions channel={channel} s={s} index={i} onMove={() => onMove(s)} /> : null}
          </li>
        ))}
      </ol>
    </>
  );
}

function FavoriteButton({ id, name }: { id: number; name: string }) {
  const favorites = useFavoriteIds();
  const toggle = useToggleFavorite();
  const on = favorites.data?.has(id) ?? false;
  return (
    <>
      <button
        type="button"
        className="btn"
        aria-pressed={on}
        disabled={!favorites.data}
        onClick={() => toggle.mutate({ id, on: !on })}
        aria-label={on ? `Remove ${name} from favourites` : `Add ${name} to favourites`}
      >
        {on ? '★ Favourite' : '☆ Add to favourites'}
      </button>
      <ErrorMessage error={toggle.error} />
    </>
  );
}

export function ChannelDrawer({ id, onClose, onOpen }: { id: number | null; onClose: () => void; onOpen: (id: number) => void }) {
  const channel = useChannel(id);
  const c = channel.data;
  return (
    <Dialog open={id != null} onClose={onClose} title={c?.name ?? 'Channel'} variant="drawer">
      {channel.isPending ? <Loading /> : null}
      <ErrorMessage error={channel.error} title="The channel could not be loaded" />
      {c ? <ChannelPanel key={c.id} c={c} onOpen={onOpen} /> : null}
    </Dialog>
  );
}

function ChannelPanel({ c, onOpen }: { c: ChannelDetail; onOpen: (id: number) => void }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [moving, setMoving] = useState<ChannelStream | null>(null);
  const [splitName, setSplitName] = useState('');
  const [playing, setPlaying] = useState(false);
  const [tab, setTab] = useState<'streams' | 'edit' | 'merge'>('streams');
  const [mergeFrom, setMergeFrom] = useState<{ id: number; name: string; streams: number } | null>(null);
  const isAdmin = useIsAdmin();
  const token = useApiToken(playing);
  const update = useUpdateChannel(c.id);
  const move = useMoveStream(c.id);
  const split = useSplitChannel(c.id);
  const merge = useMergeChannel(c.id);
  const toggle = (sid: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(sid)) n.delete(sid);
      else n.add(sid);
      return n;
    });
  const best = c.streams.find((s) => s.active) ?? c.streams[0];
  const query = token.data ? `?token=${encodeURIComponent(token.data.api_token)}` : null;
  const playUrl = query ? `${window.location.origin}/play/${c.id}${query}` : null;
  // The browser plays strmline's own live HLS of the channel, whatever the provider serves.
  const browserUrl = query ? `${window.location.origin}/play/${c.id}/hls/index.m3u8${query}` : null;

  return (
    <div className="stack">
      <div className="row gap">
        <ChannelLogo name={c.name} src={logoSource(c)} size={56} />
        <div className="grow">
          <div className="small muted">
            {[c.number != null ? `#${c.number}` : null, c.category, c.country, c.region, c.variant].filter(Boolean).join(' · ') || 'no category'}
          </div>
          <div className="small muted">
            {streamHealth(c)}
            {c.tvg_id ? ` · guide id ${c.tvg_id}` : ''}
          </div>
        </div>
      </div>
      <div className="row gap wrap">
        <button type="button" className="btn btn-primary" disabled={!best} onClick={() => setPlaying((p) => !p)} aria-expanded={playing}>
          {playing ? 'Stop' : 'Play'}
        </button>
        <FavoriteButton id={c.id} name={c.name} />
        {isAdmin ? (
          <label className="check">
            <input type="checkbox" checked={c.enabled} disabled={update.isPending} onChange={(e) => update.mutate({ enabled: e.target.checked })} />
            Enabled (in playlists and the tuner)
          </label>
        ) : null}
      </div>
      <ErrorMessage error={update.error} />
      {playing ? (
        token.isPending ? <Loading /> : token.error ? <ErrorMessage error={token.error} /> : playUrl && browserUrl && best ? <Player url={browserUrl} playerUrl={playUrl} /> : null
      ) : null}

      <Tabs
        label="Channel sections"
        tabs={(
          [
            ['streams', `Streams (${c.streams.length})`],
            ['edit', 'Edit details'],
            ['merge', 'Merge'],
          ] as const
        ).filter(([k]) => isAdmin || k === 'streams')}
        value={tab}
        onChange={setTab}
      />

      {tab === 'streams' ? (
        <div className="stack">
          {c.streams.length === 0 ? <p className="muted">This channel has no streams left. Merge it into another or disable it.</p> : null}
          <StreamTable channel={c} selected={selected} toggle={toggle} onMove={setMoving} canEdit={isAdmin} />
          {moving ? (
            <div className="card inset stack">
              <div className="row-between">
                <strong>Move “{moving.name}” ({moving.provider}) to…</strong>
                <button type="button" className="btn btn-ghost btn-small" onClick={() => setMoving(null)}>
                  Cancel
                </button>
              </div>
              <ChannelPicker
                label="Target channel"
                excludeId={c.id}
                actionLabel="Move here"
                busy={move.isPending}
                onPick={(target) =>
                  move.mutate(
                    { streamId: moving.id, toId: target.id },
                    {
                      onSuccess: (r) => {
                        setMoving(null);
                        if (!r.from) onOpen(r.to.id);
                      },
                    },
                  )
                }
              />
              <ErrorMessage error={move.error} title="Move failed" />
            </div>
          ) : null}
          {move.isSuccess && !moving ? (
            <div className="alert alert-ok" role="status">
              Moved to {move.data.to.name}.{' '}
              <button type="button" className="btn-link" onClick={() => onOpen(move.data.to.id)}>
                Open {move.data.to.name}
              </button>
            </div>
          ) : null}
          {selected.size > 0 && isAdmin ? (
            <form
              className="card inset row gap wrap"
              onSubmit={(e) => {
                e.preventDefault();
                split.mutate(
                  { stream_ids: [...selected], name: splitName.trim() || undefined },
                  {
                    onSuccess: () => {
                      setSelected(new Set());
                      setSplitName('');
                    },
                  },
                );
              }}
            >
              <div className="field grow">
                <label htmlFor="split-name">Split {plural(selected.size, 'selected stream')} into a new channel named</label>
                <input id="split-name" value={splitName} onChange={(e) => setSplitName(e.target.value)} placeholder={c.name} />
              </div>
              <button type="submit" className="btn" disabled={split.isPending || selected.size === c.streams.length}>
                Split
              </button>
              {selected.size === c.streams.length ? <span className="small muted">Leave at least one stream here.</span> : null}
            </form>
          ) : null}
          <ErrorMessage error={split.error} title="Split failed" />
          {split.isSuccess ? (
            <div className="alert alert-ok" role="status">
              Created {split.data.name}.{' '}
              <button type="button" className="btn-link" onClick={() => onOpen(split.data.id)}>
                Open it
              </button>
            </div>
          ) : null}
        </div>
      ) : null}

      {tab === 'edit' && isAdmin ? <ChannelEditForm channel={c} /> : null}

      {tab === 'merge' && isAdmin ? (
        <div className="stack">
          <p className="small muted">Moves every stream of the other channel into {c.name}; the other channel is removed.</p>
          <ChannelPicker
            label="Channel to merge into this one"
            excludeId={c.id}
            actionLabel="Merge"
            busy={merge.isPending}
            onPick={(o) => {
              merge.reset();
              setMergeFrom({ id: o.id, name: o.name, streams: o.stream_count });
            }}
          />
          {mergeFrom ? (
            <div className="card inset stack" role="group" aria-label="Confirm merge">
              <p>
                Merge <strong>{mergeFrom.name}</strong> into <strong>{c.name}</strong>? Its {plural(mergeFrom.streams, 'stream')} move here and{' '}
                {mergeFrom.name} is deleted. This cannot be undone.
              </p>
              <div className="row gap">
                <button
                  type="button"
                  className="btn btn-danger"
                  disabled={merge.isPending}
                  onClick={() => merge.mutate(mergeFrom.id, { onSuccess: () => setMergeFrom(null) })}
                >
                  Merge and delete {mergeFrom.name}
                </button>
                <button type="button" className="btn" onClick={() => setMergeFrom(null)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : null}
          <ErrorMessage error={merge.error} title="Merge failed" />
          {merge.isSuccess ? <div className="alert alert-ok" role="status">Merged: {c.name} now has {plural(c.stream_count, 'stream')}.</div> : null}
        </div>
      ) : null}
    </div>
  );
}
