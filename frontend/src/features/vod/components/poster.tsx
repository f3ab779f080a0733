import { useState } from 'react';
import { hue } from '@/lib/format';

/** A poster, lazily loaded, over a coloured tile with the title: the tile stays when it fails. */
export function Poster({ title, src }: { title: string; src: string | null }) {
  const [state, setState] = useState<{ src: string; ok: boolean } | null>(null);
  const loaded = state !== null && state.src === src && state.ok;
  const broken = state !== null && state.src === src && !state.ok;
  return (
    <span className="poster" aria-hidden="true">
      {!loaded ? (
        <span className="poster-fallback" style={{ background: `hsl(${hue(title)} 40% 32%)` }}>
          {title}
        </span>
      ) : null}
      {src && !broken ? (
        <img
          src={src}
          alt=""
          loading="lazy"
          decoding="async"
          referrerPolicy="no-referrer"
          style={loaded ? undefined : { opacity: 0 }}
          onLoad={(e) => setState({ src, ok: !(e.currentTarget.naturalWidth === 1 && e.currentTarget.naturalHeight === 1) })}
          onError={() => setState({ src, ok: false })}
        />
      ) : null}
    </span>
  );
}
