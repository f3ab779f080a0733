import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { StreamProfile } from '@/types/api';

// Shared: the providers feature (a provider's profile) and the channels feature (a channel's
// override) both offer these, and features never import each other.
export const getStreamProfiles = () => api.get<StreamProfile[]>('/api/stream-profiles');

// Changes only with the settings (own profiles) or a program installed on the server.
export const getStreamProfilesQueryOptions = () =>
  queryOptions({ queryKey: ['stream-profiles'], queryFn: getStreamProfiles, staleTime: 60_000 });

export const useStreamProfiles = () => useQuery(getStreamProfilesQueryOptions());
