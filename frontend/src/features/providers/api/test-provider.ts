import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ProviderTest } from '@/types/api';

export const testProvider = (id: number) => api.post<ProviderTest>(`/api/providers/${id}/test`);

export function useTestProvider() {
  const qc = useQueryClient();
  // The test stores the account status on the provider.
  return useMutation({ mutationFn: testProvider, onSuccess: () => qc.invalidateQueries({ queryKey: ['providers', 'list'] }) });
}
