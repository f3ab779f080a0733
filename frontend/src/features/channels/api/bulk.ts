import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ChannelDetail, LineupSummary } from '@/types/api';

/** A bulk request's selection: explicit ids, or the channel list's filters ("all matching"). */
export type BulkSelection = { ids: number[] } | { filter: Record<string, unknown> };

export type BulkChanges = { enabled?: boolean; category?: string | null };

export type RenumberRequest = { start: number; order: 'name' | 'category' | 'number'; keep_provider: boolean };

export type RenumberResult = { changed: number; first: number | null; last: number | null; kept: number };

const LINEUP_CHUNK = 10_000; // the lineup members endpoint's maximum per request

function refresh(qc: QueryClient) {
  void qc.invalidateQueries({ queryKey: ['channels'] });
  void qc.invalidateQueries({ queryKey: ['categories'] });
  void qc.invalidateQueries({ queryKey: ['dashboard'] });
}

/** The filter of a list, as the bulk endpoints take it (strings from the URL to typed values). */
export function bulkFilter(filters: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filters)) {
    if (v === undefined || v === '' || k === 'sort' || k === 'order') continue;
    if (k === 'enabled' || k === 'has_active') out[k] = v === 'true';
    else if (k === 'provider_id') out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

export function useBulkEdit() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: BulkSelection & { changes: BulkChanges }) => api.patch<{ changed: number }>('/api/channels', body),
    onSuccess: () => refresh(qc),
  });
}

export function useRenumber() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: BulkSelection & RenumberRequest) => api.post<RenumberResult>('/api/channels/renumber', body),
    onSuccess: () => refresh(qc),
  });
}

/** The ids a selection stands for: "all matching" is resolved by the server (name order). */
async function resolveIds(sel: BulkSelection): Promise<number[]> {
  if ('ids' in sel) return sel.ids;
  const r = await api.post<{ ids: number[]; truncated: boolean }>('/api/channels/select', sel.filter);
  if (r.truncated) throw new Error(`More than ${r.ids.length.toLocaleString()} channels match: narrow the filter first.`);
  return r.ids;
}

export function useLineupMembership() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ sel, lineupId, add }: { sel: BulkSelection; lineupId: number; add: boolean }) => {
      const ids = await resolveIds(sel);
      let changed = 0;
      // Chunks in order, so the lineup numbers follow the list's order.
      for (let i = 0; i < ids.length; i += LINEUP_CHUNK) {
        const part = ids.slice(i, i + LINEUP_CHUNK);
        const path = `/api/lineups/${lineupId}/channels${add ? '' : '/remove'}`;
        changed += (await api.post<{ changed: number }>(path, { channel_ids: part })).changed;
      }
      return { changed, asked: ids.length };
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['lineups'] }),
  });
}

/** Fold every other selected channel into `target`, one merge at a time (confirmed first). */
export function useMergeMany() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ target, others }: { target: number; others: number[] }) => {
      let last: ChannelDetail | null = null;
      for (const other of others) {
        last = await api.post<ChannelDetail>(`/api/channels/${target}/merge`, { other_id: other });
        qc.removeQueries({ queryKey: ['channels', 'detail', other], exact: true });
      }
      return last;
    },
    onSettled: () => refresh(qc),
  });
}

export function useMergeCategories() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { names: string[]; into: string }) => api.post<{ changed: number }>('/api/categories/merge', body),
    onSuccess: () => refresh(qc),
  });
}

/** Lineup names for the bulk bar (admin); shares the Lineups page's list cache. */
export const getLineupOptionsQueryOptions = () =>
  queryOptions({ queryKey: ['lineups', 'list'], queryFn: () => api.get<LineupSummary[]>('/api/lineups'), staleTime: 30_000 });

export const useLineupOptions = (enabled: boolean) => useQuery({ ...getLineupOptionsQueryOptions(), enabled });
