import { useEffect, useRef, useState } from 'react';
import { CopyField } from '@/components/copy-field';

/**
 * Plays HLS in the browser (natively on Safari, else with hls.js, loaded only here). MPEG-TS cannot
 * play in a browser: then the URL is offered for VLC or another player instead.
 */
export function Player({ url, hls }: { url: string; hls: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(hls ? null : 'This channel is MPEG-TS, which browsers cannot play.');

  useEffect(() => {
    const el = video.current;
    if (!el || !hls) return;
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
            setError(`The stream did not play (${data.details}). It may be offline, or not allow playback from a browser.`);
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
  }, [url, hls]);

  return (
    <div className="player stack">
      {hls && !error ? <video ref={video} controls playsInline className="video" aria-label="Live video" /> : null}
      {error ? (
        <div className="alert alert-info" role="status">
          {error} Open this URL in VLC (Media → Open Network Stream), mpv or another IPTV player:
        </div>
      ) : null}
      <CopyField label="Stream URL" value={url} />
    </div>
  );
}
