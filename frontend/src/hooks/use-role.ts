import { createContext, useContext } from 'react';

/**
 * The logged-in user's role, provided by the app shell from /api/auth/me. `null` while it is not
 * known yet: admin-only actions stay hidden until the server has said the user is an admin.
 */
export const RoleContext = createContext<string | null>(null);

export function useIsAdmin(): boolean {
  return useContext(RoleContext) === 'admin';
}
