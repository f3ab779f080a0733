import { useEffect, useRef, useState } from 'react';
import { CopyField } from '@/components/copy-field';

/**
 * Plays strmline's live HLS of a channel in the browser (natively on Safari, else with hls.js,
 * loaded only here): the server cuts whatever the provider sends (TS or HLS) into segments from
 * its own origin, so provider CORS rules and credentials do not matter. ``playerUrl`` is the
 * channel's URL for VLC or another player, offered alongside.
 */
export function Player({ url, playerUrl }: { url: string; playerUrl: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const el = video.current;
    if (!el) return;
    setError(null);
    let destroy = () => {};
    let cancelled = false;
    if (el.canPlayType('application/vnd.apple.mpegurl')) {
      el.src = url;
      void el.play().catch(() => undefined);
    } else {
      void import('hls.js').then(({ default: Hls }) => {
        if (cancelled) return;
        if (!Hls.isSupported()) {
          setError('This browser cannot play HLS.');
          return;
        }
        const player = new Hls({ enableWorker: true, lowLatencyMode: false });
        player.on(Hls.Events.ERROR, (_e, data) => {
          if (data.fatal) {
            setError(`The channel did not play (${data.details}): no stream of it works right now, or its video is in a codec this browser cannot decode.`);
            player.destroy();
          }
        });
        player.loadSource(url);
        player.attachMedia(el);
        player.on(Hls.Events.MANIFEST_PARSED, () => void el.play().catch(() => undefined));
        destroy = () => player.destroy();
      });
    }
    return () => {
      cancelled = true;
      destroy();
      el.removeAttribute('src');
    };
  }, [url]);

  return (
    <div className="player stack">
      {!error ? <video ref={video} controls playsInline className="video" aria-label="Live video" /> : null}
      {error ? (
        <div className="alert alert-info" role="status">
          {error} Open this URL in VLC (Media → Open Network Stream), mpv or another IPTV player:
        </div>
      ) : null}
      <CopyField label="Stream URL" value={playerUrl} />
    </div>
  );
}
