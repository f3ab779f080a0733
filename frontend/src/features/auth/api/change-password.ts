import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { setTokens, type Tokens } from '@/lib/auth';

export type PasswordChange = { current_password: string; new_password: string };

export const changePassword = (body: PasswordChange) => api.post<Tokens>('/api/auth/password', body);

export function useChangePassword() {
  return useMutation({ mutationFn: changePassword, onSuccess: (tokens) => setTokens(tokens) });
}
