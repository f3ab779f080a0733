import { useState } from 'react';
import { CopyField } from '@/components/copy-field';
import { Dialog } from '@/components/dialog';
import { ErrorMessage, Loading } from '@/components/feedback';
import { useApiToken } from '@/lib/api-token';
import { plural } from '@/lib/format';
import { playUrl, useSeriesDetail, type VodKind } from '@/features/vod/api/vod';
import { Poster } from '@/features/vod/components/poster';
import type { VodEpisode, VodTitle } from '@/types/api';

/**
 * Plays a file in the browser's own player; many provider files (MKV, HEVC) will not decode in a
 * browser, so the URL for VLC or another player is always offered beside it.
 */
function PlayBox({ url, title }: { url: string; title: string }) {
  const [failed, setFailed] = useState(false);
  return (
    <div className="stack">
      {!failed ? (
        <video className="video" src={url} controls autoPlay playsInline aria-label={`Playing ${title}`} onError={() => setFailed(true)} />
      ) : (
        <div className="alert alert-info" role="status">
          This browser cannot play it (the file may be in a format only a media player decodes, or no source answered). Open the
          URL in VLC, mpv or Kodi:
        </div>
      )}
      <CopyField label="Play URL" value={url} />
    </div>
  );
}

function Facts({ t }: { t: Pick<VodTitle, 'year' | 'category' | 'genre' | 'rating' | 'imdb_id' | 'tmdb_id'> & { sources?: number } }) {
  const rows: Array<[string, string]> = [];
  if (t.year) rows.push(['Year', String(t.year)]);
  if (t.genre) rows.push(['Genre', t.genre]);
  if (t.category) rows.push(['Category', t.category]);
  if (t.rating != null) rows.push(['Rating', `${t.rating.toFixed(1)} / 10`]);
  if (t.sources != null) rows.push(['Sources', `${plural(t.sources, 'provider source')}, the best one that answers plays`]);
  if (t.imdb_id) rows.push(['IMDb', t.imdb_id]);
  if (t.tmdb_id) rows.push(['TMDB', t.tmdb_id]);
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function MovieBody({ t }: { t: VodTitle }) {
  const [playing, setPlaying] = useState(false);
  const token = useApiToken(playing);
  return (
    <div className="stack">
      <div className="vod-detail">
        <Poster title={t.title} src={t.poster_proxy || t.poster} />
        <div className="stack">
          <Facts t={t} />
          <div>
            <button type="button" className="btn btn-primary" disabled={t.sources === 0} onClick={() => setPlaying((p) => !p)} aria-expanded={playing}>
              {playing ? 'Stop' : 'Play'}
            </button>
          </div>
        </div>
      </div>
      {playing ? (
        token.isPending ? <Loading /> : token.error ? <ErrorMessage error={token.error} /> : token.data ? <PlayBox url={playUrl('movie', t.id, token.data.api_token)} title={t.title} /> : null
      ) : null}
    </div>
  );
}

function SeriesBody({ t }: { t: VodTitle }) {
  const detail = useSeriesDetail(t.id);
  const [episode, setEpisode] = useState<VodEpisode | null>(null);
  const [season, setSeason] = useState<number | null>(null);
  const token = useApiToken(episode != null);
  const d = detail.data;
  const seasons = d?.seasons ?? [];
  const shown = seasons.find((s) => s.season === season) ?? seasons[0];
  return (
    <div className="stack">
      <div className="vod-detail">
        <Poster title={t.title} src={t.poster_proxy || t.poster} />
        <div className="stack">
          <Facts t={{ ...t, ...(d ?? {}) }} />
          {d?.plot ? <p>{d.plot}</p> : null}
        </div>
      </div>
      {detail.isPending ? <Loading label="Loading episodes…" /> : null}
      <ErrorMessage error={detail.error} title="The episodes could not be loaded" />
      {episode && token.data ? (
        <div className="card inset stack">
          <strong>
            S{shown?.season ?? ''}E{episode.episode} {episode.title ?? ''}
          </strong>
          <PlayBox key={episode.id} url={playUrl('episode', episode.id, token.data.api_token)} title={episode.title ?? `Episode ${episode.episode}`} />
        </div>
      ) : null}
      {seasons.length === 0 && d ? <p className="muted">No episodes listed for this series.</p> : null}
      {seasons.length > 1 ? (
        <div className="field narrow">
          <label htmlFor="vod-season">Season</label>
          <select id="vod-season" value={shown?.season} onChange={(e) => setSeason(Number(e.target.value))}>
            {seasons.map((s) => (
              <option key={s.season} value={s.season}>
                Season {s.season} ({plural(s.episodes.length, 'episode')})
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {shown ? (
        <ol className="episodes" aria-label={`Season ${shown.season}`}>
          {shown.episodes.map((e) => (
            <li key={e.id}>
              <span className="rank">{e.episode}</span>
              <span className="grow">
                <strong>{e.title ?? `Episode ${e.episode}`}</strong>
                {e.air_date ? <span className="small muted"> · {e.air_date}</span> : null}
                {e.plot ? <div className="small muted">{e.plot}</div> : null}
              </span>
              <button
                type="button"
                className="btn btn-small"
                disabled={e.sources === 0}
                onClick={() => setEpisode(e)}
                aria-label={`Play episode ${e.episode}${e.title ? ` ${e.title}` : ''}`}
              >
                Play
              </button>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

export function VodDetails({ kind, title, onClose }: { kind: VodKind; title: VodTitle | null; onClose: () => void }) {
  return (
    <Dialog open={title != null} onClose={onClose} title={title ? `${title.title}${title.year ? ` (${title.year})` : ''}` : ''} variant="drawer">
      {title ? kind === 'movie' ? <MovieBody key={title.id} t={title} /> : <SeriesBody key={title.id} t={title} /> : null}
    </Dialog>
  );
}
