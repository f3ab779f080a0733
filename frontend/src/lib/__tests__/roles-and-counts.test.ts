import { describe, expect, it } from 'vitest';
import { loggedOutOnPurpose, setTokens } from '@/lib/auth';
import { plural, summarizeResult } from '@/lib/format';

describe('plural', () => {
  it('says 1 stream and 2 streams', () => {
    expect(plural(1, 'stream')).toBe('1 stream');
    expect(plural(0, 'stream')).toBe('0 streams');
    expect(plural(1234, 'channel')).toBe(`${(1234).toLocaleString()} channels`);
    expect(plural(2, 'series', 'series')).toBe('2 series');
  });
});

describe('logging out', () => {
  it('is told apart from a session that ran out', () => {
    setTokens({ access_token: 'a', refresh_token: 'r' });
    expect(loggedOutOnPurpose()).toBe(false);
    setTokens(null, 'logout');
    expect(loggedOutOnPurpose()).toBe(true);
    setTokens({ access_token: 'a', refresh_token: 'r' });
    setTokens(null); // expired: the login page may send the user back
    expect(loggedOutOnPurpose()).toBe(false);
  });
});

describe('job results', () => {
  it('leave out the message, which is shown beside them', () => {
    expect(summarizeResult({ added: 2, message: '2 added' })).toBe('added 2');
  });
});
