import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An error answer from the admin API (or no answer): code and message as the API gave them. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export interface ClientOptions {
  readonly url: string;
  readonly token?: string;
}

/** A small JSON client for the admin API. */
export class AdminClient {
  readonly #url: string;
  readonly #token: string | undefined;

  constructor(o: ClientOptions) {
    this.#url = o.url.replace(/\/+$/, '');
    this.#token = o.token;
  }

  /** Sends a request; resolves with the parsed JSON body of a 2xx, rejects with ApiError otherwise. */
  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.#url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError('SSW_ERR_CLI_UNREACHABLE', `cannot reach the admin API at ${this.#url} (${cause})`, 0);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = json?.error;
      throw new ApiError(e?.code ?? `HTTP_${res.status}`, e?.message ?? (text.slice(0, 200) || res.statusText), res.status);
    }
    return (json === undefined && text ? text : json) as T;
  }
}

/** The token to use: --token, else SSW_TOKEN, else <dataDir>/admin-token (undefined when none). */
export function resolveToken(opt: string | undefined, env: Record<string, string | undefined>, dataDir: string): string | undefined {
  if (opt) return opt;
  if (env.SSW_TOKEN) return env.SSW_TOKEN;
  const p = join(dataDir, 'admin-token');
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}
