import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ChannelPage } from '@/types/api';

export type ChannelFilters = {
  q?: string;
  category?: string;
  quality?: string;
  provider_id?: string;
  region?: string;
  has_active?: '' | 'true' | 'false';
  enabled?: '' | 'true' | 'false';
  sort?: 'name' | 'number' | 'stream_count';
  order?: 'asc' | 'desc';
};

export const CHANNEL_PAGE_SIZE = 500; // the API maximum: fewest round trips while scrolling

export const getChannels = (filters: ChannelFilters, cursor: string | null, limit = CHANNEL_PAGE_SIZE, signal?: AbortSignal) =>
  api.get<ChannelPage>('/api/channels', { query: { ...filters, limit, cursor }, signal });

export const getChannelsQueryOptions = (filters: ChannelFilters) =>
  infiniteQueryOptions({
    queryKey: ['channels', 'list', filters],
    queryFn: ({ pageParam, signal }) => getChannels(filters, pageParam, CHANNEL_PAGE_SIZE, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 60_000,
  });

export const useChannels = (filters: ChannelFilters) => useInfiniteQuery(getChannelsQueryOptions(filters));
