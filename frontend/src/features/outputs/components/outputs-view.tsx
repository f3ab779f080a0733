import { ConfirmButton } from '@/components/confirm-button';
import { CopyField } from '@/components/copy-field';
import { ErrorMessage, Loading } from '@/components/feedback';
import { JobProgress } from '@/components/job-progress';
import { useApiToken } from '@/lib/api-token';
import { useRotateApiToken } from '@/features/outputs/api/rotate-token';
import { useWriteLibrary } from '@/features/outputs/api/write-library';

/** Admins write the .strm library from here; the server says where the files will point. */
function LibrarySection() {
  const write = useWriteLibrary();
  const started = write.data;
  return (
    <section className="card stack">
      <h2>Movie and series library</h2>
      <p className="small muted">
        Writes the .strm files for Jellyfin, Emby, Kodi and Plex. They point at the address you opened strmline on,
        unless a public URL is set in Settings.
      </p>
      <ErrorMessage error={write.error} />
      {started?.warning ? (
        <div className="alert alert-warn" role="status">
          {started.warning}
        </div>
      ) : null}
      {started ? <p className="small muted">Files point at {started.base_url}.</p> : null}
      {started ? <JobProgress jobId={started.job_id} label="Writing the library" /> : null}
      <div>
        <button type="button" className="btn" disabled={write.isPending} onClick={() => write.mutate()}>
          Write library
        </button>
      </div>
    </section>
  );
}

export function OutputsView({ isAdmin }: { isAdmin: boolean }) {
  const token = useApiToken();
  const rotate = useRotateApiToken();
  const origin = window.location.origin;
  if (token.isPending) return <Loading />;
  if (token.isError) return <ErrorMessage error={token.error} title="Your token could not be loaded" />;
  const t = encodeURIComponent(token.data.api_token);
  const m3u = `${origin}/output/m3u?token=${t}`;
  const xmltv = `${origin}/output/xmltv?token=${t}`;
  const hdhr = `${origin}/hdhr/${t}/`;
  const local = /^(https?:\/\/)(localhost|127\.)/.test(origin);

  return (
    <div className="stack-lg">
      <h1>Outputs</h1>
      <p className="muted">
        Give these URLs to your media server or IPTV player. They carry your personal token, so treat them like a password.
      </p>
      {local ? (
        <div className="alert alert-warn" role="status">
          You opened strmline as {origin}. Other devices cannot reach that address: open strmline by its LAN address (for
          example http://192.168.1.10:8000) to get URLs that work for them.
        </div>
      ) : null}
      <section className="card stack">
        <CopyField label="M3U playlist" value={m3u} hint="Merged channels, best working stream first. Add &quality=all for every stream." />
        <CopyField label="XMLTV guide" value={xmltv} hint="Programme guide matching the playlist's tvg-id." />
        <CopyField label="HDHomeRun tuner" value={hdhr} hint="For Plex, Jellyfin and Emby Live TV as a network tuner." />
      </section>

      {isAdmin ? <LibrarySection /> : null}

      <section className="card">
        <h2>Set up your player</h2>
        <div className="setup-grid">
          <div>
            <h3>Jellyfin</h3>
            <ol className="small">
              <li>Dashboard → Live TV → Tuner devices → add <strong>M3U Tuner</strong>, paste the M3U playlist URL.</li>
              <li>Or add <strong>HDHomeRun</strong> and paste the HDHomeRun URL.</li>
              <li>TV guide data providers → add <strong>XMLTV</strong>, paste the guide URL.</li>
            </ol>
          </div>
          <div>
            <h3>Emby</h3>
            <ol className="small">
              <li>Settings → Live TV → add a TV source: <strong>M3U</strong> with the playlist URL (or HDHomeRun with the tuner URL).</li>
              <li>Add guide data: <strong>XMLTV</strong> with the guide URL, then map channels if asked.</li>
            </ol>
          </div>
          <div>
            <h3>Plex</h3>
            <ol className="small">
              <li>Settings → Live TV &amp; DVR → Set up Plex DVR.</li>
              <li>If the tuner is not found, choose “enter its network address” and paste the HDHomeRun URL.</li>
              <li>For the guide choose “Use XMLTV” and paste the guide URL.</li>
            </ol>
          </div>
          <div>
            <h3>Kodi</h3>
            <ol className="small">
              <li>Add-ons → install <strong>PVR IPTV Simple Client</strong>.</li>
              <li>Configure → General: M3U playlist URL; EPG: XMLTV URL.</li>
              <li>Restart Kodi; channels appear under TV.</li>
            </ol>
          </div>
        </div>
      </section>

      <section className="card stack">
        <h2>Your token</h2>
        <p className="small muted">Making a new token stops every URL above from working until you update your players.</p>
        <ErrorMessage error={rotate.error} />
        <div>
          <ConfirmButton question="Replace the token? Existing URLs stop working." confirmLabel="Make a new token" disabled={rotate.isPending} onConfirm={() => rotate.mutate()}>
            Make a new token
          </ConfirmButton>
        </div>
      </section>
    </div>
  );
}
