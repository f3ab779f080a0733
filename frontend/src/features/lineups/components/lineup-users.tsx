import { ErrorMessage, Loading } from '@/components/feedback';
import { useAssign, useAssignments } from '@/features/lineups/api/lineups';
import type { LineupSummary } from '@/types/api';

/** Which users see this lineup; a user given no lineup sees every channel. */
export function LineupUsers({ lineup }: { lineup: LineupSummary & { id: number } }) {
  const { users, list, assignments } = useAssignments();
  const assign = useAssign();
  if (users.isPending) return <Loading />;
  const viewers = list.filter((u) => u.role !== 'admin');
  return (
    <div className="stack">
      <p className="small muted">
        A user given lineups sees only those in playlists, the guide and the tuner; a user given none sees every channel. Admins always see everything.
      </p>
      <ErrorMessage error={users.error ?? assign.error} />
      {viewers.length === 0 ? <p className="muted">No viewer accounts yet (add them on the Users page).</p> : null}
      <table className="table">
        <thead>
          <tr>
            <th>User</th>
            <th>Has this lineup</th>
            <th>Xtream login shows it</th>
            <th>Other lineups</th>
          </tr>
        </thead>
        <tbody>
          {viewers.map((u) => {
            const a = assignments[list.indexOf(u)];
            const ids = (a?.lineups ?? []).map((l) => l.id).filter((x): x is number => x != null);
            const has = ids.includes(lineup.id);
            const others = (a?.lineups ?? []).filter((l) => l.id !== lineup.id);
            const xtream = a?.xtream_lineup_id ?? null;
            return (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>
                  <input
                    type="checkbox"
                    checked={has}
                    disabled={!a || assign.isPending}
                    aria-label={`${u.username} has ${lineup.name}`}
                    onChange={(e) =>
                      assign.mutate({
                        userId: u.id,
                        lineupIds: e.target.checked ? [...ids, lineup.id] : ids.filter((x) => x !== lineup.id),
                        xtream: !e.target.checked && xtream === lineup.id ? null : xtream,
                      })
                    }
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={xtream === lineup.id}
                    disabled={!a || !has || assign.isPending}
                    aria-label={`${u.username}'s Xtream login shows ${lineup.name}`}
                    onChange={(e) => assign.mutate({ userId: u.id, lineupIds: ids, xtream: e.target.checked ? lineup.id : null })}
                  />
                </td>
                <td className="small muted">{others.length ? others.map((l) => l.name).join(', ') : ids.length ? '—' : 'none: sees every channel'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
