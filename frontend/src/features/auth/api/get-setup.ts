import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';

export const getSetup = () => api.get<{ needs_setup: boolean }>('/api/setup', { auth: false });

export const getSetupQueryOptions = () =>
  queryOptions({ queryKey: ['setup'], queryFn: getSetup, staleTime: 60_000 });

export const useSetupState = () => useQuery(getSetupQueryOptions());
