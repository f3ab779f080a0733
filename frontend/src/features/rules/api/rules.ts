import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { MergeRule, Page } from '@/types/api';

export type RuleInput = Omit<MergeRule, 'id' | 'created_at' | 'updated_at'>;

export const getRules = async () => {
  const r = await api.get<Page<MergeRule> | MergeRule[]>('/api/rules', { query: { limit: 500 } });
  return Array.isArray(r) ? r : r.items;
};

export const getRulesQueryOptions = () => queryOptions({ queryKey: ['rules'], queryFn: getRules, staleTime: 60_000 });

export const useRules = () => useQuery(getRulesQueryOptions());

// Rules apply at the next sync; the channel lists do not change now.
export function useSaveRule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: RuleInput }) =>
      id == null ? api.post<MergeRule>('/api/rules', body) : api.patch<MergeRule>(`/api/rules/${id}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['rules'] }),
  });
}

export function useDeleteRule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`/api/rules/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['rules'] }),
  });
}
