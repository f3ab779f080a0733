import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

/**
 * The page's query string, and a function that changes some of its keys in place (history
 * replaced, not pushed): a value sets the key, null or '' removes it.
 */
export function useSearchParamsPatch() {
  const [params, setParams] = useSearchParams();
  const patch = useCallback(
    (changes: Record<string, string | null>) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(changes)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [params, patch] as const;
}
