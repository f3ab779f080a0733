import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ChannelDetail } from '@/types/api';

export const getChannel = (id: number) => api.get<ChannelDetail>(`/api/channels/${id}`);

export const getChannelQueryOptions = (id: number) =>
  queryOptions({ queryKey: ['channels', 'detail', id], queryFn: () => getChannel(id), staleTime: 30_000 });

export const useChannel = (id: number | null) => useQuery({ ...getChannelQueryOptions(id ?? 0), enabled: id != null });
