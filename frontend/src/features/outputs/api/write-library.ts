import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

/** What POST /api/strm/generate answers: the job, where the files will point, and a warning
 * when that address only works on the server itself. */
export type WriteLibraryResponse = { job_id: number; base_url: string; warning: string | null };

export const writeLibrary = () => api.post<WriteLibraryResponse>('/api/strm/generate', {});

export function useWriteLibrary() {
  return useMutation({ mutationFn: writeLibrary });
}
