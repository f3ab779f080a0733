import { useQuery } from '@tanstack/react-query';
import { getProvidersQueryOptions } from '@/lib/providers';

/** Provider names for the filter; shares the providers list cache, fetched only once wanted. */
export const useProviderOptions = (enabled: boolean) => useQuery({ ...getProvidersQueryOptions(), enabled });
