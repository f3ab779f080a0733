import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export const rotateApiToken = () => api.post<{ api_token: string }>('/api/auth/api-token');

export function useRotateApiToken() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: rotateApiToken, onSuccess: (r) => qc.setQueryData(['api-token'], r) });
}
