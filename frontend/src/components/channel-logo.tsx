import { useState } from 'react';
import { hue, initials } from '@/lib/format';

/**
 * The image a channel's logo is loaded from: strmline's cached, resized copy (/logo/…, which also
 * answers a generated tile when the source is down) when the API signed one, else the source URL
 * (one strmline cannot fetch, such as a data: URL), else nothing.
 */
export function logoSource(channel: { logo?: string | null; logo_proxy?: string | null }): string | null {
  return channel.logo_proxy || channel.logo || null;
}

/**
 * A lazily loaded logo over the channel's initials: the initials show while the image loads, and
 * stay when there is no logo, it fails to load, or it is a 1×1 placeholder pixel.
 */
export function ChannelLogo({ name, src, size = 40 }: { name: string; src: string | null | undefined; size?: number }) {
  const [state, setState] = useState<{ src: string; ok: boolean } | null>(null);
  const loaded = state !== null && state.src === src && state.ok;
  const broken = state !== null && state.src === src && !state.ok;
  return (
    <span className="logo-box" style={{ width: size, height: size }} aria-hidden="true">
      {!loaded ? (
        <span className="logo logo-fallback" style={{ background: `hsl(${hue(name)} 45% 40%)`, fontSize: size * 0.38 }}>
          {initials(name)}
        </span>
      ) : null}
      {src && !broken ? (
        <img
          className={`logo${loaded ? '' : ' logo-loading'}`}
          src={src}
          alt=""
          loading="lazy"
          decoding="async"
          referrerPolicy="no-referrer"
          // A 1×1 "no image" pixel loads fine but shows nothing: initials instead. (0×0 is an SVG
          // without a size in some browsers, which does show.)
          onLoad={(e) => setState({ src, ok: !(e.currentTarget.naturalWidth === 1 && e.currentTarget.naturalHeight === 1) })}
          onError={() => setState({ src, ok: false })}
        />
      ) : null}
    </span>
  );
}
