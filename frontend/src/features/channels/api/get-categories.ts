import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { Category } from '@/types/api';

export const getCategories = () => api.get<Category[]>('/api/categories');

export const getCategoriesQueryOptions = () =>
  queryOptions({ queryKey: ['categories'], queryFn: getCategories, staleTime: 5 * 60_000 });

export const useCategories = () => useQuery(getCategoriesQueryOptions());

/** A category as a picker option (components/combobox.tsx), its channel count shown beside it. */
export type CategoryOption = { value: string; label: string; count: number };

const asOptions = (categories: Category[]): CategoryOption[] => categories.map((c) => ({ value: c.name, label: c.name, count: c.count }));
const biggestFirst = (categories: Category[]): CategoryOption[] => asOptions([...categories].sort((a, b) => b.count - a.count));

/**
 * The categories as picker options, from the same cached request as `useCategories`: by name (as
 * the server sends them) for filtering, or biggest first where the usual targets should come up first.
 */
export const useCategoryOptions = (order: 'name' | 'size' = 'name') =>
  useQuery({ ...getCategoriesQueryOptions(), select: order === 'size' ? biggestFirst : asOptions });
