import { describe, expect, it } from 'vitest';
import { channelCountLabel } from '@/features/channels/api/get-total';

describe('the channel count in the header', () => {
  it('is the server total, never a made-up "500+"', () => {
    expect(channelCountLabel(100_000, 500)).toBe(`${(100_000).toLocaleString()} channels`);
    expect(channelCountLabel(1, 1)).toBe('1 channel');
    expect(channelCountLabel(0, 0)).toBe('0 channels');
  });

  it('falls back to what is loaded while the total is unknown', () => {
    expect(channelCountLabel(undefined, 500)).toBe('500 shown');
  });
});
