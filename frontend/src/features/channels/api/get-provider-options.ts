import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Page, Provider } from '@/types/api';

/** Provider names for the filter; shares the providers list cache, fetched only once wanted. */
export const useProviderOptions = (enabled: boolean) =>
  useQuery({
    queryKey: ['providers', 'list'],
    queryFn: async () => {
      const r = await api.get<Page<Provider> | Provider[]>('/api/providers', { query: { limit: 500 } });
      return Array.isArray(r) ? r : r.items;
    },
    enabled,
    staleTime: 30_000,
  });
