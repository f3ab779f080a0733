import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Category } from '@/types/api';

export const getCategories = () => api.get<Category[]>('/api/categories');

export const getCategoriesQueryOptions = () =>
  queryOptions({ queryKey: ['categories'], queryFn: getCategories, staleTime: 5 * 60_000 });

export const useCategories = () => useQuery(getCategoriesQueryOptions());
