import { resolve } from 'node:path';

/** A store URL with a relative `sqlite:` path made absolute against the working directory (as the docs say). */
export function resolveStoreUrl(url: string): string {
  return url.startsWith('sqlite:') && url !== 'sqlite::memory:' ? `sqlite:${resolve(url.slice('sqlite:'.length))}` : url;
}
