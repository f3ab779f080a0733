import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '@/lib/api-client';

type Started = { provider_id: number; job_id: number | null; error?: string };

/** Start a sync of each enabled provider; one already running is reported, not an error. */
export async function syncAll(providerIds: number[]): Promise<Started[]> {
  return Promise.all(
    providerIds.map(async (id) => {
      try {
        const r = await api.post<{ job_id: number }>(`/api/providers/${id}/sync`);
        return { provider_id: id, job_id: r.job_id };
      } catch (e) {
        const running = e instanceof ApiError && e.status === 409 ? (e.details as { job_id?: number } | null)?.job_id : undefined;
        return { provider_id: id, job_id: running ?? null, error: running ? undefined : (e as Error).message };
      }
    }),
  );
}

export function useSyncAll() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: syncAll,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['dashboard'] }),
  });
}
