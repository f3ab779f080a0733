import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';

// Every test starts logged out with an empty localStorage, and a fetch that fails loudly:
// a test that talks to the API stubs fetch itself.
beforeEach(() => {
  localStorage.clear();
  vi.stubGlobal(
    'fetch',
    vi.fn((input: RequestInfo | URL) => Promise.reject(new Error(`unexpected fetch in a test: ${String(input)}`))),
  );
});

afterEach(() => {
  cleanup();
});
