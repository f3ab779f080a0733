import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Provider, ProviderKind } from '@/types/api';

type PlayMode = Provider['play_mode'];

export type ProviderInput = {
  name: string;
  kind: ProviderKind;
  url: string;
  username?: string | null;
  password?: string | null;
  backup_urls: string[];
  user_agent?: string | null;
  priority: number;
  max_connections?: number | null;
  refresh_minutes?: number | null;
  output_format: 'ts' | 'm3u8';
  epg_url?: string | null;
  enabled: boolean;
  play_mode?: PlayMode;
  /** A profile name (GET /api/stream-profiles); null: none, the play mode and settings decide. */
  stream_profile?: string | null;
};

export const createProvider = (body: ProviderInput) => api.post<Provider>('/api/providers', body);
export const updateProvider = (id: number, body: Partial<ProviderInput>) => api.patch<Provider>(`/api/providers/${id}`, body);

export function useSaveProvider() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: ProviderInput }) =>
      id == null ? createProvider(body) : updateProvider(id, body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['providers', 'list'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
}
