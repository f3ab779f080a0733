import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { setTokens, type Tokens } from '@/lib/auth';
import { forgetMe } from '@/features/auth/api/get-me';

export type Credentials = { username: string; password: string };

export const login = (body: Credentials) => api.post<Tokens>('/api/auth/login', body, { auth: false });
export const createAdmin = (body: Credentials) => api.post<Tokens>('/api/setup', body, { auth: false });

/** Log in (or, on first run, create the admin) and keep the tokens. */
export function useLogin(mode: 'login' | 'setup') {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: mode === 'login' ? login : createAdmin,
    onSuccess: (tokens) => {
      forgetMe();
      qc.clear(); // nothing cached from another user
      setTokens(tokens);
      if (mode === 'setup') qc.setQueryData(['setup'], { needs_setup: false });
    },
  });
}
