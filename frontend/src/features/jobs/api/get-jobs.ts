import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Job, Page } from '@/types/api';

export type JobFilters = { kind?: string; state?: string };

export const getJobs = (filters: JobFilters, cursor: string | null) =>
  api.get<Page<Job>>('/api/jobs', { query: { ...filters, cursor, limit: 50 } });

export const getJobsQueryOptions = (filters: JobFilters) =>
  infiniteQueryOptions({
    queryKey: ['jobs', 'list', filters],
    queryFn: ({ pageParam }) => getJobs(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 10_000,
  });

export const useJobs = (filters: JobFilters, poll: boolean) =>
  useInfiniteQuery({
    ...getJobsQueryOptions(filters),
    refetchInterval: (q) =>
      poll && q.state.data?.pages[0]?.items.some((j) => j.state === 'running' || j.state === 'queued') ? 3000 : false,
  });
