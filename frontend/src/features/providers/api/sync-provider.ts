import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '@/lib/api-client';

/** Start a sync; when one is already running, follow that job instead. */
export async function syncProvider(id: number): Promise<number> {
  try {
    return (await api.post<{ job_id: number }>(`/api/providers/${id}/sync`)).job_id;
  } catch (e) {
    const running = e instanceof ApiError && e.status === 409 ? (e.details as { job_id?: number } | null)?.job_id : undefined;
    if (running != null) return running;
    throw e;
  }
}

// Nothing to invalidate yet: the job's finish event refreshes providers and channels.
export const useSyncProvider = () => useMutation({ mutationFn: syncProvider });
