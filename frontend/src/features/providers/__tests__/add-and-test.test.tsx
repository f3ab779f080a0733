import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ProviderForm } from '@/features/providers/components/provider-form';

const created = { id: 9, name: 'Acme', kind: 'xtream', url: 'http://acme.test', username: 'acme', backup_urls: [], enabled: true };

/** The API as the form meets it: create answers 201, the test answers `ok`, delete 204. */
function serve(ok: boolean) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      if (init.method === 'POST' && url === '/api/providers') return Promise.resolve(new Response(JSON.stringify(created), { status: 201 }));
      if (url.endsWith('/test')) {
        const body = { ok, message: ok ? 'logged in' : 'the provider refused the login', account: null, entries: null };
        return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
      }
      if (init.method === 'DELETE') return Promise.resolve(new Response(null, { status: 204 }));
      return Promise.resolve(new Response('[]', { status: 200 }));
    }),
  );
  return calls;
}

function fill() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const onSaved = vi.fn();
  render(
    <QueryClientProvider client={client}>
      <ProviderForm provider={null} onSaved={onSaved} />
    </QueryClientProvider>,
  );
  fireEvent.click(screen.getByLabelText('Xtream Codes'));
  fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Acme' } });
  fireEvent.change(screen.getByLabelText('Server URL'), { target: { value: 'http://acme.test' } });
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'acme' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
  fireEvent.click(screen.getByRole('button', { name: 'Add and test connection' }));
  return onSaved;
}

describe('Add and test connection', () => {
  it('does not keep a provider whose test fails', async () => {
    const calls = serve(false);
    fill();
    expect(await screen.findByText('The provider was not added. Check the details above and try again.')).toBeTruthy();
    expect(screen.getByText(/the provider refused the login/)).toBeTruthy();
    expect(calls.filter((c) => !c.startsWith('GET'))).toEqual(['POST /api/providers', 'POST /api/providers/9/test', 'DELETE /api/providers/9']);
    // Still a new provider: what was typed stays, and trying again adds it again.
    expect(screen.getByRole('button', { name: 'Add provider' })).toBeTruthy();
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('wrong');
  });

  it('keeps a provider whose test passes', async () => {
    const calls = serve(true);
    fill();
    expect(await screen.findByText(/Connection works/)).toBeTruthy();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Done' })).toBeTruthy());
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
  });
});
