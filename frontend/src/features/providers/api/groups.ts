import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ProviderGroups } from '@/types/api';

export type GroupsUpdate = {
  groups?: Array<{ name: string; taken: boolean }>;
  take_new_groups?: boolean;
  group_include?: string | null;
  group_exclude?: string | null;
  name_include?: string | null;
  name_exclude?: string | null;
};

export const useProviderGroups = (id: number) =>
  useQuery({ queryKey: ['providers', 'groups', id], queryFn: () => api.get<ProviderGroups>(`/api/providers/${id}/groups`), staleTime: 30_000 });

export function useSaveGroups(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: GroupsUpdate) => api.put<ProviderGroups>(`/api/providers/${id}/groups`, body),
    onSuccess: (r) => qc.setQueryData(['providers', 'groups', id], r),
  });
}

/** Only the categories whose choice changed (a provider may list thousands). */
export function changedGroups(before: ReadonlyArray<{ name: string; taken: boolean }>, draft: ReadonlyMap<string, boolean>) {
  return before.filter((g) => draft.has(g.name) && draft.get(g.name) !== g.taken).map((g) => ({ name: g.name, taken: draft.get(g.name) as boolean }));
}

/** Entries in the ticked categories (before the regular expressions narrow them further). */
export function takenEntries(groups: ReadonlyArray<{ name: string; entries: number; taken: boolean }>, draft: ReadonlyMap<string, boolean>): number {
  return groups.reduce((n, g) => n + ((draft.get(g.name) ?? g.taken) ? g.entries : 0), 0);
}

/** A pattern the server will compile: checked here first so the error shows at the field. */
export function patternError(value: string): string | null {
  if (!value.trim()) return null;
  try {
    new RegExp(value);
    return null;
  } catch {
    return 'Not a valid regular expression.';
  }
}
