import { Link } from 'react-router';
import { Dialog } from '@/components/dialog';
import { paths } from '@/config/paths';
import { timeRange } from '@/features/guide/lib/timeline';
import type { GuideChannel, Programme } from '@/types/api';

function day(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
}

function minutes(p: Programme): number {
  return Math.round((Date.parse(p.stop) - Date.parse(p.start)) / 60_000);
}

export function ProgrammeDetails({ open, onClose }: { open: { channel: GuideChannel; programme: Programme } | null; onClose: () => void }) {
  const p = open?.programme;
  return (
    <Dialog open={open != null} onClose={onClose} title={p?.title ?? 'Programme'}>
      {open && p ? (
        <div className="stack">
          {p.sub_title || p.episode_onscreen ? (
            <p className="muted">{[p.episode_onscreen, p.sub_title].filter(Boolean).join(' · ')}</p>
          ) : null}
          <dl className="kv">
            <dt>Channel</dt>
            <dd>{open.channel.channel}</dd>
            <dt>When</dt>
            <dd>
              {day(p.start)}, {timeRange(p.start, p.stop)} ({minutes(p)} min)
            </dd>
            {p.categories.length ? (
              <>
                <dt>Category</dt>
                <dd>{p.categories.join(', ')}</dd>
              </>
            ) : null}
            {p.rating ? (
              <>
                <dt>Rating</dt>
                <dd>{p.rating}</dd>
              </>
            ) : null}
          </dl>
          {p.icon ? <img className="guide-icon" src={p.icon} alt="" loading="lazy" referrerPolicy="no-referrer" /> : null}
          <p>{p.description ?? <span className="muted">No description in the guide.</span>}</p>
          <div>
            <Link className="btn btn-primary" to={`${paths.channels}?channel=${open.channel.channel_id}`}>
              Open the channel
            </Link>
          </div>
        </div>
      ) : null}
    </Dialog>
  );
}
