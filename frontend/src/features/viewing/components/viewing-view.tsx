import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading } from '@/components/feedback';
import { paths } from '@/config/paths';
import { useIsAdmin } from '@/hooks/use-role';
import { formatDate, plural, timeAgo } from '@/lib/format';
import { ConfirmButton } from '@/components/confirm-button';
import { useActiveSessions, useChannelNames, useHistory, useHistoryStats, useProviderNames, useStopViewer, useUserNames } from '@/features/viewing/api/viewing';
import { playerName } from '@/features/viewing/lib/player';
import { barWidths, bitrate, formatBytes, watchTime } from '@/features/viewing/lib/units';

const channelLink = (id: number | null, name: string | null) =>
  id != null ? <Link to={`${paths.channels}?channel=${id}`}>{name ?? `channel ${id}`}</Link> : <span className="muted">{name ?? 'a deleted channel'}</span>;

/** Who is watching now (admins), what was watched, and what it adds up to. */
export function ViewingView() {
  const isAdmin = useIsAdmin();
  const names = useUserNames(isAdmin);
  const [userId, setUserId] = useState<number | null>(null);
  const [days, setDays] = useState(30);
  return (
    <div className="stack-lg">
      <h1>Viewing</h1>
      {isAdmin ? <ActiveViewers names={names.data} /> : null}
      <section className="card stack" aria-label="Viewing statistics">
        <div className="row-between wrap">
          <h2>{isAdmin && userId == null ? 'What everyone watched' : 'What you watched'}</h2>
          <div className="row gap wrap">
            {isAdmin ? (
              <div className="field">
                <label htmlFor="v-user">Whose</label>
                <select id="v-user" value={userId ?? ''} onChange={(e) => setUserId(e.target.value ? Number(e.target.value) : null)}>
                  <option value="">Everyone</option>
                  {[...(names.data ?? new Map<number, string>())].map(([id, name]) => (
                    <option key={id} value={id}>
                      {name}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            <div className="field">
              <label htmlFor="v-days">Period</label>
              <select id="v-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
                <option value={1}>Last day</option>
                <option value={7}>Last 7 days</option>
                <option value={30}>Last 30 days</option>
                <option value={365}>Last year</option>
              </select>
            </div>
          </div>
        </div>
        <Stats days={days} userId={userId} />
      </section>
      <History userId={userId} showUser={isAdmin} />
    </div>
  );
}

function ActiveViewers({ names }: { names: Map<number, string> | undefined }) {
  const active = useActiveSessions(true);
  const items = active.data?.items ?? [];
  const channelNames = useChannelNames(items.map((s) => s.channel_id));
  const stop = useStopViewer();
  const providerNames = useProviderNames(true);
  return (
    <section className="card stack" aria-label="Watching now">
      <h2>Watching now</h2>
      <p className="small muted">Viewers streaming through strmline (proxy mode and the web player), on every strmline process. Players sent straight to a provider are not seen here. Stop ends one viewer's stream; the others on the channel go on.</p>
      <ErrorMessage error={active.error} />
      <ErrorMessage error={stop.error} />
      {active.isPending ? <Loading /> : null}
      {active.isSuccess && items.length === 0 ? <p className="muted">Nobody is watching through strmline right now.</p> : null}
      {items.length ? (
        <table className="table" data-testid="active-viewers">
          <thead>
            <tr>
              <th>Channel</th>
              <th>User</th>
              <th>Player</th>
              <th>Provider</th>
              <th>Since</th>
              <th>Sent</th>
              <th>Bit rate</th>
              <th>Failovers</th>
              <th>
                <span className="sr-only">Stop</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td>
                  {channelLink(s.channel_id, channelNames.get(s.channel_id) ?? null)}
                  {s.viewers_on_channel > 1 ? <span className="small muted"> · {s.viewers_on_channel} viewers share it</span> : null}
                </td>
                <td>{s.user_id != null ? (names?.get(s.user_id) ?? `user ${s.user_id}`) : 'a media server token'}</td>
                <td className="small" title={s.user_agent ?? undefined}>
                  {playerName(s.user_agent)}
                  {s.address ? <span className="muted"> · {s.address}</span> : null}
                </td>
                <td className="small">{s.stream_id != null ? `${(s.provider_id != null ? providerNames.data?.get(s.provider_id) : null) ?? `provider ${s.provider_id ?? '?'}`} · stream ${s.stream_id}` : 'connecting'}</td>
                <td>{timeAgo(s.started_at)}</td>
                <td>{formatBytes(s.bytes_sent)}</td>
                <td>{bitrate(s.bytes_sent, s.started_at)}</td>
                <td>{s.switches}</td>
                <td>
                  <ConfirmButton
                    question={`Stop ${channelNames.get(s.channel_id) ?? `channel ${s.channel_id}`} for this viewer?`}
                    confirmLabel="Stop it"
                    disabled={stop.isPending && stop.variables === s.id}
                    onConfirm={() => stop.mutate(s.id)}
                  >
                    Stop
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Bars({ label, rows }: { label: string; rows: Array<{ key: string; name: React.ReactNode; value: number; note?: string }> }) {
  const widths = barWidths(rows.map((r) => r.value));
  return (
    <table className="table" aria-label={label}>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r.key}>
            <th scope="row" style={{ width: '30%', fontWeight: 'normal' }}>
              {r.name}
            </th>
            <td>
              <div className="progress" aria-hidden="true">
                <div className="progress-fill" style={{ width: `${widths[i]}%` }} />
              </div>
            </td>
            <td className="small" style={{ width: '8rem' }}>
              {r.value.toLocaleString()}
              {r.note ? <span className="muted"> {r.note}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Stats({ days, userId }: { days: number; userId: number | null }) {
  const stats = useHistoryStats(days, userId);
  const s = stats.data;
  const hours = useMemo(
    () => (s ? s.by_hour.map((n, h) => ({ key: String(h), name: `${String(h).padStart(2, '0')}:00`, value: n })) : []),
    [s],
  );
  if (stats.isPending) return <Loading />;
  if (!s) return <ErrorMessage error={stats.error} />;
  if (s.sessions === 0) return <p className="muted">Nothing watched through strmline in this period.</p>;
  return (
    <div className="stack">
      <p data-testid="viewing-summary">
        {plural(s.sessions, 'viewing')} · {plural(s.failovers, 'failover')} (a stream failed and the next took over) in {plural(s.sessions_with_failover, 'viewing')}
      </p>
      <div className="grid-2">
        <div className="stack">
          <h3>Most watched</h3>
          <Bars
            label="Most watched channels"
            rows={s.top_channels.map((t) => ({
              key: String(t.channel_id),
              name: channelLink(t.channel_id, t.channel),
              value: t.sessions,
              note: t.switches ? `· ${plural(t.switches, 'failover')}` : undefined,
            }))}
          />
        </div>
        <div className="stack">
          <h3>By hour of day (UTC)</h3>
          <Bars label="Viewings by hour" rows={hours.filter((h) => h.value > 0)} />
        </div>
      </div>
    </div>
  );
}

function History({ userId, showUser }: { userId: number | null; showUser: boolean }) {
  const history = useHistory(userId);
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card stack" aria-label="Viewing history">
      <h2>History</h2>
      <ErrorMessage error={history.error} />
      {history.isPending ? <Loading /> : null}
      {history.isSuccess && items.length === 0 ? <EmptyState title="No viewing yet">Viewings through strmline's proxy are listed here.</EmptyState> : null}
      {items.length ? (
        <table className="table" data-testid="history">
          <thead>
            <tr>
              <th>Started</th>
              <th>Channel</th>
              {showUser ? <th>User</th> : null}
              <th>Watched</th>
              <th>Sent</th>
              <th>Failovers</th>
              <th>
                <span className="sr-only">Stop</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((h) => (
              <tr key={h.id}>
                <td>{formatDate(h.started_at)}</td>
                <td>{channelLink(h.channel_id, h.channel)}</td>
                {showUser ? <td>{h.username ?? '—'}</td> : null}
                <td>{h.ended_at ? watchTime(h.started_at, h.ended_at) : <span className="badge badge-ok">watching</span>}</td>
                <td>{formatBytes(h.bytes_sent)}</td>
                <td>{h.switches}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {history.hasNextPage ? (
        <div>
          <button type="button" className="btn" disabled={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
            Show older
          </button>
        </div>
      ) : null}
    </section>
  );
}
