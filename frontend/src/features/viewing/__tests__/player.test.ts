import { describe, expect, it } from 'vitest';
import { playerName } from '@/features/viewing/lib/player';

describe('playerName', () => {
  it('names common players with their version', () => {
    expect(playerName('VLC/3.0.20 LibVLC/3.0.20')).toBe('VLC 3.0.20');
    expect(playerName('Kodi/21.1 (X11; Linux x86_64) App_Bitness/64 Version/21.1-(21.1.0)-Git:20240825')).toBe('Kodi 21.1');
    expect(playerName('Lavf/60.16.100')).toBe('FFmpeg 60.16.100');
    expect(playerName('Jellyfin-Server/10.9.11')).toBe('Jellyfin 10.9.11');
  });

  it('tells browsers apart, Edge and Chrome both saying Chrome', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(playerName(chrome)).toBe('Chrome 131');
    expect(playerName(`${chrome} Edg/131.0.2903.70`)).toBe('Edge 131');
    expect(playerName('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15')).toBe('Safari 17.6');
    expect(playerName('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133');
  });

  it('keeps an unknown agent short, and says so when there is none', () => {
    expect(playerName('SomeSetTopBox/1.0')).toBe('SomeSetTopBox/1.0');
    expect(playerName('x'.repeat(80))).toHaveLength(40);
    expect(playerName(null)).toBe('unknown player');
    expect(playerName('  ')).toBe('unknown player');
  });
});
