import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '@/lib/api-client';
import type { EpgSource, GuidePage, JobAccepted, Page, UnmatchedChannel } from '@/types/api';

export const GUIDE_PAGE_SIZE = 50; // channels per request: a screenful several times over, ~1,200 programmes a day

export const getGuidePage = (start: number, end: number, cursor: string | null, signal?: AbortSignal) =>
  api.get<GuidePage>('/api/epg/guide', {
    query: { start: new Date(start).toISOString(), end: new Date(end).toISOString(), cursor, limit: GUIDE_PAGE_SIZE },
    signal,
  });

export const getGuideQueryOptions = (start: number, end: number) =>
  infiniteQueryOptions({
    queryKey: ['guide', 'grid', start, end],
    queryFn: ({ pageParam, signal }) => getGuidePage(start, end, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 5 * 60_000,
  });

export const useGuide = (start: number, end: number) => useInfiniteQuery(getGuideQueryOptions(start, end));

export const getSourcesQueryOptions = () =>
  queryOptions({ queryKey: ['guide', 'sources'], queryFn: () => api.get<EpgSource[]>('/api/epg/sources'), staleTime: 30_000 });

export const useGuideSources = () => useQuery(getSourcesQueryOptions());

export const UNMATCHED_PAGE_SIZE = 100;

export const getUnmatchedQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: ['guide', 'unmatched'],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<UnmatchedChannel>>('/api/epg/unmatched', { query: { cursor: pageParam, limit: UNMATCHED_PAGE_SIZE }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 60_000,
  });

export const useUnmatched = () => useInfiniteQuery(getUnmatchedQueryOptions());

/** Import a source now; when an import is already running, follow that job instead. */
export async function importSource(id: number): Promise<number> {
  try {
    return (await api.post<JobAccepted>(`/api/epg/sources/${id}/refresh`)).job_id;
  } catch (e) {
    const running = e instanceof ApiError && e.status === 409 ? (e.details as { job_id?: number } | null)?.job_id : undefined;
    if (running != null) return running;
    throw e;
  }
}

// The job's finish event refreshes the guide queries (layout.tsx); the source shows "requested" now.
export function useImportSource() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: importSource, onSuccess: () => qc.invalidateQueries({ queryKey: ['guide', 'sources'] }) });
}

export const assignGuide = (channelId: number, epgChannelId: number | null) =>
  api.put<{ channel_id: number; epg_channel_id: number | null }>(`/api/channels/${channelId}/epg`, { epg_channel_id: epgChannelId });

/** Pin a channel's guide: it leaves the unmatched list and its programmes appear in the grid. */
export function useAssignGuide() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ channelId, epgChannelId }: { channelId: number; epgChannelId: number }) => assignGuide(channelId, epgChannelId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['guide'] }),
  });
}
