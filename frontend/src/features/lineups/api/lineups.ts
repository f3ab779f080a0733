import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { LineupAssignment, LineupMember, LineupOutputs, LineupRule, LineupSummary, Page, User } from '@/types/api';

export type LineupInput = { name?: string; slug?: string | null; position?: number; rules?: LineupRule[] };

const refresh = (qc: QueryClient) => void qc.invalidateQueries({ queryKey: ['lineups'] });

export const getLineupsQueryOptions = () =>
  queryOptions({ queryKey: ['lineups', 'list'], queryFn: () => api.get<LineupSummary[]>('/api/lineups'), staleTime: 30_000 });

export const useLineups = () => useQuery(getLineupsQueryOptions());

/** Every lineup's output URLs for the logged-in user (M3U, XMLTV, HDHomeRun). */
export const useMyLineups = () =>
  useQuery({ queryKey: ['lineups', 'mine'], queryFn: () => api.get<LineupOutputs[]>('/api/lineups/mine'), staleTime: 60_000 });

export function useSaveLineup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: LineupInput }) =>
      id == null ? api.post<LineupSummary>('/api/lineups', body) : api.patch<LineupSummary>(`/api/lineups/${id}`, body),
    onSuccess: () => refresh(qc),
  });
}

export function useDeleteLineup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`/api/lineups/${id}`),
    onSuccess: () => refresh(qc),
  });
}

export const MEMBER_PAGE = 500;

export const getMembersQueryOptions = (id: number) =>
  infiniteQueryOptions({
    queryKey: ['lineups', 'members', id],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<LineupMember>>(`/api/lineups/${id}/channels`, { query: { limit: MEMBER_PAGE, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 30_000,
  });

export const useMembers = (id: number) => useInfiniteQuery(getMembersQueryOptions(id));

export function useRemoveMembers(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (channelIds: number[]) => api.post<{ changed: number; channels: number }>(`/api/lineups/${id}/channels/remove`, { channel_ids: channelIds }),
    onSuccess: () => refresh(qc),
  });
}

export function useRenumberLineup(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { start: number; order: 'lineup' | 'channel' | 'name' }) => api.post<{ changed: number }>(`/api/lineups/${id}/renumber`, body),
    onSuccess: () => refresh(qc),
  });
}

export function useApplyRules(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ added: number; removed: number }>(`/api/lineups/${id}/apply-rules`),
    onSuccess: () => refresh(qc),
  });
}

const MAX_USERS = 100; // one assignment request per user: a household, not a hosting business

/** Users, and the lineups each is given (none: every channel). */
export function useAssignments() {
  const users = useQuery({
    queryKey: ['users'],
    queryFn: async () => {
      const r = await api.get<Page<User> | User[]>('/api/users', { query: { limit: 500 } });
      return Array.isArray(r) ? r : r.items;
    },
    staleTime: 60_000,
  });
  const list = (users.data ?? []).slice(0, MAX_USERS);
  const assignments = useQueries({
    queries: list.map((u) => ({
      queryKey: ['lineups', 'assignment', u.id],
      queryFn: () => api.get<LineupAssignment>(`/api/lineups/users/${u.id}`),
      staleTime: 30_000,
    })),
  });
  return { users, list, assignments: assignments.map((a) => a.data) };
}

export function useAssign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, lineupIds, xtream }: { userId: number; lineupIds: number[]; xtream: number | null }) =>
      api.put<LineupAssignment>(`/api/lineups/users/${userId}`, { lineup_ids: lineupIds, xtream_lineup_id: xtream }),
    onSuccess: (r) => {
      qc.setQueryData(['lineups', 'assignment', r.user_id], r);
    },
  });
}
