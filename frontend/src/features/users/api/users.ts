import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Page, User } from '@/types/api';

export type UserInput = { username?: string; password?: string; role?: string; is_active?: boolean };

export const getUsers = async () => {
  const r = await api.get<Page<User> | User[]>('/api/users', { query: { limit: 500 } });
  return Array.isArray(r) ? r : r.items;
};

export const getUsersQueryOptions = () => queryOptions({ queryKey: ['users'], queryFn: getUsers, staleTime: 60_000 });
export const useUsers = () => useQuery(getUsersQueryOptions());

export function useSaveUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: UserInput }) =>
      id == null ? api.post<User>('/api/users', body) : api.patch<User>(`/api/users/${id}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
}

export function useDeleteUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`/api/users/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
}
