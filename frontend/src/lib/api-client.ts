import { getTokens, setTokens, type Tokens } from '@/lib/auth';

/** An API error with the server's words: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Per-field messages from a 422 (`details: [{field, message}]`). */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (error instanceof ApiError && Array.isArray(error.details)) {
    for (const d of error.details as Array<{ field?: string; message?: string }>) {
      if (d && typeof d.field === 'string') out[d.field] = d.message ?? 'invalid';
    }
  }
  return out;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'The server cannot be reached. Is strmline running?';
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

type Query = Record<string, string | number | boolean | null | undefined>;
type Options = { query?: Query; body?: unknown; auth?: boolean; signal?: AbortSignal };

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, shared by every request that got a 401. */
export function refreshTokens(): Promise<boolean> {
  const tokens = getTokens();
  if (!tokens) return Promise.resolve(false);
  refreshing ??= fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: tokens.refresh_token }),
  })
    .then(async (r) => {
      if (!r.ok) return false;
      setTokens((await r.json()) as Tokens);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function toError(r: Response): Promise<ApiError> {
  try {
    const body = (await r.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error) {
      return new ApiError(r.status, body.error.code ?? 'error', body.error.message ?? r.statusText, body.error.details);
    }
  } catch {
    /* not JSON */
  }
  return new ApiError(r.status, 'http_error', `The server answered ${r.status} ${r.statusText}.`.trim());
}

async function send(method: string, path: string, opts: Options): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const tokens = getTokens();
  if (opts.auth !== false && tokens) headers.Authorization = `Bearer ${tokens.access_token}`;
  return fetch(withQuery(path, opts.query), {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
}

export async function request<T>(method: string, path: string, opts: Options = {}): Promise<T> {
  let r = await send(method, path, opts);
  if (r.status === 401 && opts.auth !== false && getTokens()) {
    if (await refreshTokens()) r = await send(method, path, opts);
    if (r.status === 401) {
      setTokens(null); // the router sends the user to the login page
    }
  }
  if (!r.ok) throw await toError(r);
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, opts?: Options) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: Options) => request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: Options) => request<T>('PUT', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: Options) => request<T>('PATCH', path, { ...opts, body }),
  delete: <T>(path: string, opts?: Options) => request<T>('DELETE', path, opts),
};
