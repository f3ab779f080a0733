export { getStreamProfiles, getStreamProfilesQueryOptions, useStreamProfiles } from '@/lib/stream-profiles';
export type { StreamProfile } from '@/types/api';
