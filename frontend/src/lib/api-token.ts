import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

/** The user's token for playlist, guide, tuner and /play URLs (shared by outputs and the player). */
export const getApiToken = () => api.get<{ api_token: string }>('/api/auth/api-token');

export const getApiTokenQueryOptions = () =>
  queryOptions({ queryKey: ['api-token'], queryFn: getApiToken, staleTime: Infinity });

export const useApiToken = (enabled = true) => useQuery({ ...getApiTokenQueryOptions(), enabled });
