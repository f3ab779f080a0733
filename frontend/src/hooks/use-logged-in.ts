import { useSyncExternalStore } from 'react';
import { getTokens, subscribeTokens } from '@/lib/auth';

export function useLoggedIn(): boolean {
  return useSyncExternalStore(subscribeTokens, () => getTokens() !== null);
}
