import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export type SettingInfo = {
  value: unknown;
  default: unknown;
  description: string | null;
  type: 'integer' | 'number' | 'boolean' | 'string' | 'array' | 'object' | string;
  nullable?: boolean;
  constraints?: { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; enum?: unknown[]; minLength?: number; maxLength?: number; pattern?: string };
  overridden?: boolean;
};
export type SettingsView = Record<string, Record<string, SettingInfo>>;

export const getSettings = () => api.get<SettingsView>('/api/settings');

export const getSettingsQueryOptions = () => queryOptions({ queryKey: ['settings'], queryFn: getSettings, staleTime: 5 * 60_000 });

export const useSettings = () => useQuery(getSettingsQueryOptions());

export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (changes: Record<string, Record<string, unknown>>) => api.patch<SettingsView>('/api/settings', changes),
    // The answer is the new view; catalog aggregates may change with matching settings.
    onSuccess: (view) => {
      qc.setQueryData(['settings'], view);
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
}
