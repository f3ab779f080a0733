// Which player a viewer uses, from its User-Agent, in the words a person would use for it.
const KNOWN: Array<[RegExp, string]> = [
  [/\bVLC\/([\d.]+)/i, 'VLC'],
  [/\bLibVLC\/([\d.]+)/i, 'VLC'],
  [/\bKodi\/([\d.]+)/i, 'Kodi'],
  [/\bJellyfin(?:-Server)?\/([\d.]+)/i, 'Jellyfin'],
  [/\bEmby(?:\s?Server)?\/([\d.]+)/i, 'Emby'],
  [/\bPlex(?:\sMedia\sServer)?\/([\d.]+)/i, 'Plex'],
  [/\bTiviMate\/([\d.]+)/i, 'TiviMate'],
  [/\bIPTVSmartersPro\b|\bIPTV Smarters\b/i, 'IPTV Smarters'],
  [/\bmpv\b(?:\s([\d.]+))?/i, 'mpv'],
  [/\bLavf\/([\d.]+)/i, 'FFmpeg'],
  [/\bExoPlayer(?:Lib)?\/([\d.]+)/i, 'ExoPlayer (Android)'],
  [/\bEdg\/([\d]+)/, 'Edge'],
  [/\bFirefox\/([\d]+)/, 'Firefox'],
  [/\bChrom(?:e|ium)\/([\d]+)/, 'Chrome'],
  [/\bVersion\/([\d.]+).*Safari\//, 'Safari'],
  [/\bcurl\/([\d.]+)/i, 'curl'],
  [/\bpython-httpx\/([\d.]+)/i, 'Python httpx'],
];

/** "VLC 3.0.20", "Chrome 131", "Kodi 21.1"; the raw agent cut short when nothing matches;
 * "unknown player" without one. */
export function playerName(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (!ua) return 'unknown player';
  for (const [pattern, name] of KNOWN) {
    const m = pattern.exec(ua);
    if (m) return m[1] ? `${name} ${m[1]}` : name;
  }
  return ua.length > 40 ? `${ua.slice(0, 39)}…` : ua;
}
