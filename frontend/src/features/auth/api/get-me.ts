import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { User } from '@/types/api';

const KEY = 'strmline.me';
const STALE = 10 * 60_000;

// The user is remembered across reloads for a few minutes so a page load costs no extra request.
function remembered(): { user: User; at: number } | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as { user: User; at: number }) : undefined;
  } catch {
    return undefined;
  }
}

export const getMe = async () => {
  const user = await api.get<User>('/api/auth/me');
  try {
    localStorage.setItem(KEY, JSON.stringify({ user, at: Date.now() }));
  } catch {
    /* ignore */
  }
  return user;
};

export const forgetMe = () => localStorage.removeItem(KEY);

export const getMeQueryOptions = () =>
  queryOptions({
    queryKey: ['me'],
    queryFn: getMe,
    staleTime: STALE,
    initialData: () => remembered()?.user,
    initialDataUpdatedAt: () => remembered()?.at,
  });

export const useMe = () => useQuery(getMeQueryOptions());
