import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorMessage, fieldErrors, request, withQuery } from '@/lib/api-client';
import { getTokens, setTokens } from '@/lib/auth';

type Reply = { status: number; body?: unknown; statusText?: string };

function json({ status, body, statusText = '' }: Reply): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, statusText });
}

/** A fake fetch answering each call with the next reply, recording what was asked. */
function fakeFetch(...replies: Reply[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fn = vi.fn((input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push({ url: String(input), init });
    const next = replies.shift();
    if (!next) return Promise.reject(new Error(`no reply left for ${String(input)}`));
    return Promise.resolve(json(next));
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

const header = (init: RequestInit, name: string) => (init.headers as Record<string, string>)[name];

afterEach(() => setTokens(null));

describe('withQuery', () => {
  it('encodes values and keeps false and 0', () => {
    expect(withQuery('/api/x', { q: 'a b&c', page: 0, on: false, none: null })).toBe('/api/x?q=a+b%26c&page=0&on=false');
  });
  it('returns the bare path without a query', () => {
    expect(withQuery('/api/x')).toBe('/api/x');
    expect(withQuery('/api/x', { q: '' })).toBe('/api/x');
  });
});

describe('request', () => {
  it('sends JSON with the bearer token and parses the answer', async () => {
    setTokens({ access_token: 'A1', refresh_token: 'R1' });
    const calls = fakeFetch({ status: 200, body: { id: 7 } });
    await expect(api.post('/api/things', { name: 'x' }, { query: { dry: true } })).resolves.toEqual({ id: 7 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('/api/things?dry=true');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.body).toBe('{"name":"x"}');
    expect(header(calls[0]!.init, 'Authorization')).toBe('Bearer A1');
    expect(header(calls[0]!.init, 'Content-Type')).toBe('application/json');
  });

  it('leaves out the token when auth is false and the body when there is none', async () => {
    setTokens({ access_token: 'A1', refresh_token: 'R1' });
    const calls = fakeFetch({ status: 200, body: [] });
    await api.get('/api/setup', { auth: false });
    expect(header(calls[0]!.init, 'Authorization')).toBeUndefined();
    expect(header(calls[0]!.init, 'Content-Type')).toBeUndefined();
    expect(calls[0]!.init.body).toBeUndefined();
  });

  it('returns undefined for 204 and for an empty body', async () => {
    fakeFetch({ status: 204 }, { status: 200, body: '' });
    await expect(api.delete('/api/things/1')).resolves.toBeUndefined();
    await expect(api.get('/api/empty')).resolves.toBeUndefined();
  });

  it("raises the server's error envelope as an ApiError", async () => {
    const details = [{ field: 'url', message: 'not a URL' }];
    fakeFetch({ status: 422, body: { error: { code: 'validation_error', message: 'Check the form.', details } } });
    const error = await request('POST', '/api/providers', { body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation_error', message: 'Check the form.', details });
    expect(fieldErrors(error)).toEqual({ url: 'not a URL' });
  });

  it('describes an answer that is not JSON by its status', async () => {
    fakeFetch({ status: 502, body: '<html>Bad gateway</html>', statusText: 'Bad Gateway' });
    const error = await api.get('/api/x').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'http_error', message: 'The server answered 502 Bad Gateway.' });
  });

  it('refreshes an expired token once and repeats the request', async () => {
    setTokens({ access_token: 'old', refresh_token: 'R1' });
    const calls = fakeFetch(
      { status: 401, body: { error: { code: 'unauthorized', message: 'expired' } } },
      { status: 200, body: { access_token: 'new', refresh_token: 'R2' } },
      { status: 200, body: { ok: true } },
    );
    await expect(api.get('/api/me')).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual(['/api/me', '/api/auth/refresh', '/api/me']);
    expect(calls[1]!.init.body).toBe('{"refresh_token":"R1"}');
    expect(header(calls[2]!.init, 'Authorization')).toBe('Bearer new');
    expect(getTokens()).toEqual({ access_token: 'new', refresh_token: 'R2' });
  });

  it('logs out when the refresh is refused', async () => {
    setTokens({ access_token: 'old', refresh_token: 'R1' });
    fakeFetch({ status: 401 }, { status: 401 });
    const error = await api.get('/api/me').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(getTokens()).toBeNull();
    expect(localStorage.getItem('strmline.tokens')).toBeNull();
  });

  it('does not try to refresh without a session', async () => {
    const calls = fakeFetch({ status: 401 });
    await expect(api.get('/api/me')).rejects.toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(1);
  });
});

describe('error helpers', () => {
  it('explains each kind of failure in words', () => {
    expect(errorMessage(new ApiError(409, 'conflict', 'That name is taken.'))).toBe('That name is taken.');
    expect(errorMessage(new TypeError('Failed to fetch'))).toBe('The server cannot be reached. Is strmline running?');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('nope')).toBe('Something went wrong.');
  });
  it('ignores details that are not per-field messages', () => {
    expect(fieldErrors(new Error('x'))).toEqual({});
    expect(fieldErrors(new ApiError(422, 'v', 'm', { field: 'a' }))).toEqual({});
    expect(fieldErrors(new ApiError(422, 'v', 'm', [null, { field: 'a' }, { message: 'no field' }]))).toEqual({ a: 'invalid' });
  });
});
