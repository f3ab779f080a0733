import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { NowNext } from '@/types/api';

export type OnNow = { now: string | null; next: string | null };

/**
 * What is on now and next for the channels on screen (one request per settled view, not per
 * row). Keyed under ['guide'] so a finished guide import refreshes it; refetched every minute.
 */
export function useNowNext(ids: number[]) {
  const key = ids.join(',');
  return useQuery({
    queryKey: ['guide', 'now', key],
    queryFn: async ({ signal }) => {
      const r = await api.get<NowNext>('/api/epg/now', { query: { channels: key }, signal });
      const out = new Map<number, OnNow>();
      for (const item of r.items) out.set(item.channel_id, { now: item.now?.title ?? null, next: item.next?.title ?? null });
      return out;
    },
    enabled: ids.length > 0,
    staleTime: 60_000,
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
}
