import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Dashboard } from '@/types/api';

export const getDashboard = () => api.get<Dashboard>('/api/dashboard');

export const getDashboardQueryOptions = () =>
  queryOptions({ queryKey: ['dashboard'], queryFn: getDashboard, staleTime: 15_000 });

/** While jobs run and no live event stream is connected, poll every few seconds. */
export const useDashboard = (poll: boolean) =>
  useQuery({
    ...getDashboardQueryOptions(),
    refetchInterval: (q) => (poll && (q.state.data?.jobs.running.length ?? 0) > 0 ? 3000 : false),
  });
