import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ProviderForm } from '@/features/providers/components/provider-form';
import type { Provider } from '@/types/api';

const profiles = [
  { name: 'proxy', kind: 'proxy', command: null, builtin: true, available: true },
  { name: 'redirect', kind: 'redirect', command: null, builtin: true, available: true },
  { name: 'ffmpeg-remux', kind: 'command', command: 'ffmpeg -i {url} -f mpegts pipe:1', builtin: true, available: true },
  { name: 'streamlink', kind: 'command', command: 'streamlink --stdout {url} best', builtin: true, available: false },
];

const saved = {
  id: 4,
  name: 'Acme',
  kind: 'm3u',
  url: 'http://acme.test/list.m3u',
  username: null,
  backup_urls: [],
  user_agent: null,
  enabled: true,
  priority: 0,
  max_connections: null,
  refresh_minutes: null,
  refresh_cron: null,
  output_format: 'ts',
  epg_url: null,
  stream_count: 0,
  last_sync_at: null,
  last_sync_status: null,
  last_sync_message: null,
  last_sync_counts: null,
  account: null,
  play_mode: 'auto',
  // Its program was uninstalled after it was chosen.
  stream_profile: 'streamlink',
} satisfies Provider;

function serve() {
  const patches: Array<Record<string, unknown>> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit) => {
      if (url === '/api/stream-profiles') return Promise.resolve(new Response(JSON.stringify(profiles), { status: 200 }));
      if (init.method === 'PATCH') {
        const body = JSON.parse(init.body as string) as Record<string, unknown>;
        patches.push(body);
        return Promise.resolve(new Response(JSON.stringify({ ...saved, ...body }), { status: 200 }));
      }
      return Promise.resolve(new Response('[]', { status: 200 }));
    }),
  );
  return patches;
}

function open() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ProviderForm provider={saved} onSaved={vi.fn()} />
    </QueryClientProvider>,
  );
}

describe('the provider form, playback', () => {
  it('shows the saved choices and a profile that cannot run as not installed', async () => {
    serve();
    open();
    expect(screen.getByText(/Profile: streamlink/)).toBeTruthy();
    const profile = screen.getByLabelText('Stream profile') as HTMLSelectElement;
    const option = (await screen.findByRole('option', { name: 'streamlink (streamlink not installed)' })) as HTMLOptionElement;
    expect(option.disabled).toBe(true);
    expect(profile.value).toBe('streamlink');
    expect((screen.getByLabelText('Play mode') as HTMLSelectElement).value).toBe('auto');
    expect(screen.getByRole('option', { name: 'Default (from settings)' })).toBeTruthy();
  });

  it('sends the play mode, and the profile only when it changed', async () => {
    const patches = serve();
    open();
    fireEvent.change(screen.getByLabelText('Play mode'), { target: { value: 'redirect' } });
    expect(screen.getByText(/The stream profile is not used/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]?.play_mode).toBe('redirect');
    expect(patches[0]).not.toHaveProperty('stream_profile');

    await screen.findByRole('option', { name: 'ffmpeg-remux: through ffmpeg' });
    fireEvent.change(screen.getByLabelText('Stream profile'), { target: { value: 'ffmpeg-remux' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(patches).toHaveLength(2));
    expect(patches[1]?.stream_profile).toBe('ffmpeg-remux');

    fireEvent.change(screen.getByLabelText('Stream profile'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(patches).toHaveLength(3));
    expect(patches[2]).toHaveProperty('stream_profile', null);
  });
});
