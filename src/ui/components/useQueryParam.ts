// A URL query parameter as state: the value changes at once (typing must never wait for the
// router), the URL follows with replace (typing in a search box must not fill the history),
// and a change of the URL from elsewhere (back, a link) comes back into the value.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

export function useQueryParam(name: string): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const fromUrl = params.get(name) ?? '';
  const [value, setValue] = useState(fromUrl);
  /** The last value written and not yet seen back in the URL. */
  const written = useRef<string | null>(null);
  useEffect(() => {
    if (written.current !== null && written.current !== fromUrl) return;
    written.current = null;
    setValue(fromUrl);
  }, [fromUrl]);
  const set = useCallback(
    (next: string) => {
      written.current = next;
      setValue(next);
      setParams(
        (current) => {
          const updated = new URLSearchParams(current);
          if (next === '') updated.delete(name);
          else updated.set(name, next);
          return updated;
        },
        { replace: true },
      );
    },
    [name, setParams],
  );
  return [value, set];
}
