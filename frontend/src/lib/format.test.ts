import { describe, expect, it } from 'vitest';
import { initials, percent, summarizeResult, timeAgo } from '@/lib/format';
import { withQuery } from '@/lib/api-client';

describe('format', () => {
  it('makes initials without quality or country tokens', () => {
    expect(initials('BBC One HD')).toBe('BO');
    expect(initials('US: ESPN')).toBe('E');
    expect(initials('')).toBe('?');
  });
  it('computes a bounded percentage', () => {
    expect(percent(5, 10)).toBe(50);
    expect(percent(15, 10)).toBe(100);
    expect(percent(1, null)).toBeNull();
  });
  it('summarizes job results', () => {
    expect(summarizeResult({ added: 1000, removed: 0, detail: { x: 1 } })).toMatch(/^added 1[,.\s]?000 · removed 0$/);
  });
  it('says never for missing times', () => {
    expect(timeAgo(null)).toBe('never');
  });
  it('drops empty query values', () => {
    expect(withQuery('/api/channels', { q: '', limit: 50, category: undefined })).toBe('/api/channels?limit=50');
  });
});
