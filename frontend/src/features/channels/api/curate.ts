import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api-client';
import type { ChannelDetail } from '@/types/api';

// Every curation call answers with the channel(s) it changed: put them in the cache as they are,
// and refetch only the lists (names, counts and membership may have changed).

function store(qc: QueryClient, ...details: Array<ChannelDetail | null | undefined>) {
  for (const d of details) if (d) qc.setQueryData(['channels', 'detail', d.id], d);
}

function refreshLists(qc: QueryClient, categories = false) {
  void qc.invalidateQueries({ queryKey: ['channels', 'list'] });
  if (categories) void qc.invalidateQueries({ queryKey: ['categories'] });
}

export type ChannelPatch = {
  name?: string;
  number?: number | null;
  category?: string | null;
  logo?: string | null;
  enabled?: boolean;
  stream_profile?: string | null; // null: the provider's
};

export function useUpdateChannel(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: ChannelPatch) => api.patch<ChannelDetail>(`/api/channels/${id}`, patch),
    onSuccess: (d, patch) => {
      store(qc, d);
      refreshLists(qc, 'category' in patch);
    },
  });
}

export function useMoveStream(fromId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ streamId, toId }: { streamId: number; toId: number }) =>
      api.post<{ from: ChannelDetail | null; to: ChannelDetail }>(`/api/channels/${fromId}/streams/${streamId}/move`, { channel_id: toId }),
    onSuccess: (r) => {
      store(qc, r.from, r.to);
      if (!r.from) qc.removeQueries({ queryKey: ['channels', 'detail', fromId], exact: true });
      refreshLists(qc, true);
    },
  });
}

export function useSplitChannel(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { stream_ids: number[]; name?: string }) => api.post<ChannelDetail>(`/api/channels/${id}/split`, body),
    onSuccess: (d) => {
      store(qc, d);
      void qc.invalidateQueries({ queryKey: ['channels', 'detail', id], exact: true });
      refreshLists(qc, true);
    },
  });
}

export function useMergeChannel(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (otherId: number) => api.post<ChannelDetail>(`/api/channels/${id}/merge`, { other_id: otherId }),
    onSuccess: (d, otherId) => {
      store(qc, d);
      qc.removeQueries({ queryKey: ['channels', 'detail', otherId], exact: true });
      refreshLists(qc, true);
    },
  });
}

export function usePinStream() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ streamId, rank }: { streamId: number; rank: number | null }) =>
      api.post<ChannelDetail>(`/api/streams/${streamId}/pin`, { rank }),
    onSuccess: (d) => store(qc, d), // ranking does not show in the lists
  });
}

export function useOrderStreams(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (streamIds: number[]) => api.post<ChannelDetail>(`/api/channels/${id}/order`, { stream_ids: streamIds }),
    onSuccess: (d) => store(qc, d),
  });
}
