// Tokens live in localStorage so a reload keeps the session; a tiny store tells React when they change.
export type Tokens = { access_token: string; refresh_token: string };

const KEY = 'strmline.tokens';
const listeners = new Set<() => void>();

function read(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

let current: Tokens | null = read();
// True after the user pressed "Log out": the login page then starts fresh, with no `next=` back
// to the page they left (the next person to log in may not be allowed on it).
let loggedOut = false;

export function getTokens(): Tokens | null {
  return current;
}

export function setTokens(tokens: Tokens | null, reason?: 'logout'): void {
  loggedOut = tokens === null && reason === 'logout';
  current = tokens ? { access_token: tokens.access_token, refresh_token: tokens.refresh_token } : null;
  try {
    if (current) localStorage.setItem(KEY, JSON.stringify(current));
    else localStorage.removeItem(KEY);
  } catch {
    /* private mode: keep the session in memory only */
  }
  listeners.forEach((l) => l());
}

export function loggedOutOnPurpose(): boolean {
  return loggedOut;
}

export function subscribeTokens(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab logging in or out.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === KEY) {
      current = read();
      listeners.forEach((l) => l());
    }
  });
}
