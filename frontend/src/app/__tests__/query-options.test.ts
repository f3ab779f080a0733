import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_PAGE_SIZE, getChannelsQueryOptions } from '@/features/channels/api/get-channels';
import { getJobsQueryOptions } from '@/features/jobs/api/get-jobs';

describe('list query options', () => {
  it('key channel lists by their filters and page by cursor', async () => {
    const filters = { q: 'espn', sort: 'name' as const };
    const options = getChannelsQueryOptions(filters);
    expect(options.queryKey).toEqual(['channels', 'list', { q: 'espn', sort: 'name' }]);
    expect(options.initialPageParam).toBeNull();
    expect(options.getNextPageParam({ items: [], next_cursor: 'c2' } as never, [], null, [])).toBe('c2');

    const calls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => {
        calls.push(url);
        return Promise.resolve(new Response('{"items":[],"next_cursor":null}', { status: 200 }));
      }),
    );
    const queryFn = options.queryFn as (ctx: { pageParam: string | null; signal: AbortSignal }) => Promise<unknown>;
    await queryFn({ pageParam: 'c2', signal: new AbortController().signal });
    expect(calls).toEqual([`/api/channels?q=espn&sort=name&limit=${CHANNEL_PAGE_SIZE}&cursor=c2`]);
  });

  it('share the invalidation prefixes the job stream uses', () => {
    // layout.tsx invalidates ['channels'] and ['jobs', 'list'] when a job finishes.
    expect(getChannelsQueryOptions({}).queryKey.slice(0, 1)).toEqual(['channels']);
    expect(getJobsQueryOptions({ state: 'running' }).queryKey.slice(0, 2)).toEqual(['jobs', 'list']);
  });
});
