import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Job } from '@/types/api';

export const cancelJob = (id: number) => api.post<Job>(`/api/jobs/${id}/cancel`);

export function useCancelJob() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: cancelJob,
    onSuccess: (job) => {
      qc.setQueryData(['jobs', 'detail', job.id], job);
      void qc.invalidateQueries({ queryKey: ['jobs', 'list'] });
    },
  });
}
