import { queryOptions } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Page, Provider } from '@/types/api';

// Shared: the providers page lists them, the channel filter and the viewers list name them; one
// cache for all (features never import each other).
export const getProviders = async (): Promise<Provider[]> => {
  const r = await api.get<Page<Provider> | Provider[]>('/api/providers', { query: { limit: 500 } });
  return Array.isArray(r) ? r : r.items;
};

export const getProvidersQueryOptions = () =>
  queryOptions({ queryKey: ['providers', 'list'], queryFn: getProviders, staleTime: 30_000 });
