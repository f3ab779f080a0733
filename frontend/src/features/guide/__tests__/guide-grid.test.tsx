import { render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GuideGrid } from '@/features/guide/components/guide-grid';
import type { GuideChannel } from '@/types/api';

const HOUR = 3_600_000;
const start = Date.UTC(2025, 0, 1, 12);

const channel = (id: number, logo: string | null, logo_proxy: string | null): GuideChannel => ({
  channel_id: id,
  channel: `Channel ${id}`,
  logo,
  logo_proxy,
  number: id,
  programmes: [],
});

describe('guide grid logos', () => {
  beforeEach(() => {
    // jsdom lays nothing out: give the scroll box a size so the virtualiser renders rows.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
  });
  afterEach(() => vi.restoreAllMocks());

  it("loads logos through strmline's cache, and the source only when there is no cached one", () => {
    const { container } = render(
      <GuideGrid
        window={{ start, end: start + 3 * HOUR }}
        channels={[channel(1, 'http://logos.test/1.png', '/logo/abc?src=x'), channel(2, 'data:image/png;base64,AA==', null), channel(3, null, null)]}
        hasMore={false}
        loadingMore={false}
        loadMore={() => undefined}
        now={start}
        focus={{ x: 0 }}
        onOpen={() => undefined}
      />,
    );
    const sources = [...container.querySelectorAll('.guide-channel')].map((row) => row.querySelector('img')?.getAttribute('src') ?? null);
    expect(sources).toEqual(['/logo/abc?src=x', 'data:image/png;base64,AA==', null]);
  });
});
