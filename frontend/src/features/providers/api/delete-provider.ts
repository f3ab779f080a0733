import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export const deleteProvider = (id: number) => api.delete<void>(`/api/providers/${id}`);

/** Its streams go with it, so channels, categories and the dashboard change too. */
export function useDeleteProvider() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteProvider,
    onSuccess: () => {
      for (const key of ['providers', 'dashboard', 'channels', 'categories']) void qc.invalidateQueries({ queryKey: [key] });
    },
  });
}
