import { infiniteQueryOptions, useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { getProvidersQueryOptions } from '@/lib/providers';
import type { ActiveSession, ChannelDetail, HistoryItem, HistoryStats, Page, User } from '@/types/api';

export type { ActiveSession, HistoryItem, HistoryStats };

/** Who is watching now (admins); refreshed every 5 s while the page is open. */
export const useActiveSessions = (enabled: boolean) =>
  useQuery({
    queryKey: ['viewing', 'active'],
    queryFn: () => api.get<{ items: ActiveSession[] }>('/api/streams/active'),
    enabled,
    refetchInterval: 5_000,
    staleTime: 0,
  });

/** End one viewer's stream (admins), whichever strmline process serves it. */
export function useStopViewer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete<void>(`/api/streams/active/${encodeURIComponent(id)}`),
    onSettled: () => qc.invalidateQueries({ queryKey: ['viewing', 'active'] }),
  });
}

export const getHistoryQueryOptions = (userId: number | null) =>
  infiniteQueryOptions({
    queryKey: ['viewing', 'history', userId],
    queryFn: ({ pageParam, signal }) => api.get<Page<HistoryItem>>('/api/history', { query: { limit: 100, cursor: pageParam, user_id: userId }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 30_000,
  });

export const useHistory = (userId: number | null) => useInfiniteQuery(getHistoryQueryOptions(userId));

export const useHistoryStats = (days: number, userId: number | null) =>
  useQuery({
    queryKey: ['viewing', 'stats', days, userId],
    queryFn: () => api.get<HistoryStats>('/api/history/stats', { query: { days, user_id: userId } }),
    staleTime: 60_000,
  });

/** Names for user ids (admins only: the list is admin-only). */
export const useUserNames = (enabled: boolean) =>
  useQuery({
    queryKey: ['users'],
    queryFn: async () => {
      const r = await api.get<Page<User> | User[]>('/api/users', { query: { limit: 500 } });
      return Array.isArray(r) ? r : r.items;
    },
    enabled,
    staleTime: 60_000,
    select: (users: User[]) => new Map(users.map((u) => [u.id, u.username])),
  });

/** Provider names for the list of viewers (admins). */
export const useProviderNames = (enabled: boolean) =>
  useQuery({ ...getProvidersQueryOptions(), enabled, select: (providers) => new Map(providers.map((p) => [p.id, p.name])) });

/**
 * Names of the channels being watched: one request per distinct channel (a handful), cached
 * under the channel screen's own key so an open drawer costs nothing more.
 */
export function useChannelNames(ids: number[]): Map<number, string> {
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  const results = useQueries({
    queries: unique.map((id) => ({
      queryKey: ['channels', 'detail', id],
      queryFn: () => api.get<ChannelDetail>(`/api/channels/${id}`),
      staleTime: 60_000,
    })),
  });
  const out = new Map<number, string>();
  results.forEach((r, i) => {
    if (r.data) out.set(unique[i] as number, r.data.name);
  });
  return out;
}
