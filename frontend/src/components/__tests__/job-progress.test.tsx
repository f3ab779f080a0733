import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { JobProgress } from '@/components/job-progress';
import { applyJobEvent } from '@/lib/job-events';
import type { Job } from '@/types/api';

function renderWithQueries(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}

/** GET /api/jobs/{id} answers with the given job records in turn (the last one repeats). */
function serveJob(...records: Array<Partial<Job>>) {
  const fetch = vi.fn((url: string) => {
    const record = records.length > 1 ? records.shift()! : records[0]!;
    return Promise.resolve(new Response(JSON.stringify({ id: 7, kind: 'sync', ...record, url }), { status: 200 }));
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

describe('JobProgress', () => {
  it('shows live progress, then the final result once the job ends', async () => {
    const fetch = serveJob(
      { state: 'running', progress: 0, total: null, message: null, result: null, error: null },
      { state: 'succeeded', progress: 10, total: 10, message: null, result: { added: 10 }, error: null },
    );
    const onDone = vi.fn();
    renderWithQueries(<JobProgress jobId={7} label="Syncing acme" onDone={onDone} />);
    expect(await screen.findByText('Working…')).toBeTruthy();

    act(() => applyJobEvent('job.progress', { job_id: 7, progress: 5, total: 10, message: 'Matching channels' }));
    const bar = screen.getByRole('progressbar', { name: 'Syncing acme' });
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getByText('Matching channels · 5 / 10')).toBeTruthy();

    act(() => applyJobEvent('job.finished', { job_id: 7, state: 'succeeded', result: { added: 10 } }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('Done: Matching channels. added 10');
    // The finished event has no timestamps, so the final record is fetched once more and handed over.
    await waitFor(() => expect(onDone).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/api/jobs/7', '/api/jobs/7']);
    expect(onDone.mock.calls[0]![0]).toMatchObject({ id: 7, state: 'succeeded' });
  });

  it('says why a job failed', async () => {
    serveJob({ state: 'failed', progress: 0, total: null, message: null, result: null, error: 'provider refused the login' });
    renderWithQueries(<JobProgress jobId={8} />);
    expect((await screen.findByRole('alert')).textContent).toBe('Failed: provider refused the login');
  });
});
