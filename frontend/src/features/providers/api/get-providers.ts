import { useQuery } from '@tanstack/react-query';
import { getProvidersQueryOptions } from '@/lib/providers';

export { getProviders, getProvidersQueryOptions } from '@/lib/providers';

export const useProviders = () => useQuery(getProvidersQueryOptions());
