import { infiniteQueryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ChannelSummary, Page } from '@/types/api';

const MAX_IDS = 500; // the API's page maximum; more favourites than that is a second list, not favourites

/** The ids of your favourites (for the star in the drawer): one request, shared by every channel. */
export const useFavoriteIds = () =>
  useQuery({
    queryKey: ['favorites', 'ids'],
    queryFn: async () => new Set((await api.get<Page<ChannelSummary>>('/api/favorites', { query: { limit: MAX_IDS } })).items.map((c) => c.id)),
    staleTime: 60_000,
  });

export const getFavoritesQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: ['favorites', 'list'],
    queryFn: ({ pageParam, signal }) => api.get<Page<ChannelSummary>>('/api/favorites', { query: { limit: 500, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 30_000,
  });

export const useFavorites = (enabled: boolean) => useInfiniteQuery({ ...getFavoritesQueryOptions(), enabled });

export function useToggleFavorite() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, on }: { id: number; on: boolean }) => (on ? api.put<void>(`/api/favorites/${id}`) : api.delete<void>(`/api/favorites/${id}`)),
    onMutate: ({ id, on }) => {
      // The star turns at once; a failure puts it back (onError) and says why.
      const before = qc.getQueryData<Set<number>>(['favorites', 'ids']);
      const next = new Set(before ?? []);
      if (on) next.add(id);
      else next.delete(id);
      qc.setQueryData(['favorites', 'ids'], next);
      return { before };
    },
    onError: (_e, _v, ctx) => qc.setQueryData(['favorites', 'ids'], ctx?.before),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['favorites'] }),
  });
}
