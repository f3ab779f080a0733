import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export const startHealthCheck = () => api.post<{ job_id: number }>('/api/health/check', {});

export function useStartHealthCheck() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: startHealthCheck, onSuccess: () => qc.invalidateQueries({ queryKey: ['jobs', 'list'] }) });
}
