import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ChannelLogo, logoSource } from '@/components/channel-logo';
import { ErrorMessage } from '@/components/feedback';
import { getChannels } from '@/features/channels/api/get-channels';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { plural } from '@/lib/format';
import type { ChannelSummary } from '@/types/api';

/** Find another channel by name (server-side search, debounced) and pick it. */
export function ChannelPicker({
  label,
  excludeId,
  onPick,
  actionLabel,
  busy,
}: {
  label: string;
  excludeId: number;
  onPick: (c: ChannelSummary) => void;
  actionLabel: string;
  busy?: boolean;
}) {
  const id = useId();
  const [q, setQ] = useState('');
  const debounced = useDebouncedValue(q.trim(), 250);
  const results = useQuery({
    queryKey: ['channels', 'picker', debounced],
    queryFn: ({ signal }) => getChannels({ q: debounced }, null, 8, signal),
    enabled: debounced.length > 0,
    staleTime: 30_000,
  });
  const items = (results.data?.items ?? []).filter((c) => c.id !== excludeId);
  return (
    <div className="picker">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Type a channel name" autoComplete="off" />
      <ErrorMessage error={results.error} />
      {debounced && results.data && items.length === 0 ? <p className="small muted">No other channel matches “{debounced}”.</p> : null}
      {items.length ? (
        <ul className="picker-results" aria-label="Matching channels">
          {items.map((c) => (
            <li key={c.id}>
              <ChannelLogo name={c.name} src={logoSource(c)} size={24} />
              <span className="grow">
                {c.name} <span className="small muted">{[c.category, c.country].filter(Boolean).join(' · ')} · {plural(c.stream_count, 'stream')}</span>
              </span>
              <button type="button" className="btn btn-small" disabled={busy} onClick={() => onPick(c)} aria-label={`${actionLabel} ${c.name}`}>
                {actionLabel}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
