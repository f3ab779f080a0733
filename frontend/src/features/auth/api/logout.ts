import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import { setTokens } from '@/lib/auth';
import { forgetMe } from '@/features/auth/api/get-me';

export const logout = () => api.post<void>('/api/auth/logout');

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSettled: () => {
      forgetMe();
      setTokens(null, 'logout');
      qc.clear();
    },
  });
}
