import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '@/lib/api-client';
import type { LibraryJobStarted, VodSeriesDetail, VodTitlePage } from '@/types/api';

export type VodKind = 'movie' | 'series';

export const VOD_PAGE_SIZE = 500; // the API maximum: fewest round trips while scrolling

const LIST_PATH: Record<VodKind, string> = { movie: '/api/vod/movies', series: '/api/vod/series' };

export const getTitles = (kind: VodKind, q: string, cursor: number | null, signal?: AbortSignal) =>
  api.get<VodTitlePage>(LIST_PATH[kind], { query: { q: q || undefined, cursor, limit: VOD_PAGE_SIZE }, signal });

export const getTitlesQueryOptions = (kind: VodKind, q: string) =>
  infiniteQueryOptions({
    queryKey: ['vod', kind, 'list', q],
    queryFn: ({ pageParam, signal }) => getTitles(kind, q, pageParam, signal),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 5 * 60_000,
  });

export const useTitles = (kind: VodKind, q: string) => useInfiniteQuery(getTitlesQueryOptions(kind, q));

export const getSeriesQueryOptions = (id: number) =>
  queryOptions({ queryKey: ['vod', 'series', 'detail', id], queryFn: () => api.get<VodSeriesDetail>(`/api/vod/series/${id}`), staleTime: 5 * 60_000 });

export const useSeriesDetail = (id: number | null) => useQuery({ ...getSeriesQueryOptions(id ?? 0), enabled: id != null });

/** A library job (VOD sync or .strm writing); when one is already running, follow that job. */
async function startLibraryJob(path: string): Promise<LibraryJobStarted> {
  try {
    return await api.post<LibraryJobStarted>(path, {});
  } catch (e) {
    const running = e instanceof ApiError && e.status === 409 ? (e.details as { job_id?: number } | null)?.job_id : undefined;
    if (running != null) return { job_id: running, base_url: '', warning: null };
    throw e;
  }
}

// The finish event of either job refreshes the ['vod'] queries (layout.tsx).
export function useVodSync() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: () => startLibraryJob('/api/vod/sync'), onSuccess: () => qc.invalidateQueries({ queryKey: ['dashboard'] }) });
}

export const useWriteVodLibrary = () => useMutation({ mutationFn: () => startLibraryJob('/api/strm/generate') });

/** strmline's URL that plays a movie or an episode from its best source (the user's token in it). */
export function playUrl(kind: 'movie' | 'episode', id: number, token: string, origin = window.location.origin): string {
  return `${origin}/play/${kind}/${id}?token=${encodeURIComponent(token)}`;
}
