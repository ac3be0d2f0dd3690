import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAdmin, type AdminOptions, type AdminServer } from '../../src/admin/index.js';
import type { Softswitch } from '../../src/switch.js';
import { runCli } from '../../src/cli/index.js';

export const RO_TOKEN = 'read-only-token-for-tests-0001';

export interface TestAdmin extends AdminServer {
  dataDir: string;
  token: string;
  printed: string[];
  /** fetch with the read-write token unless headers say otherwise. */
  api(path: string, init?: { method?: string; body?: unknown; token?: string | null; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  cleanup(): Promise<void>;
}

/** Starts the admin API on port 0 over a switch, with a fresh data dir and a read-only token. */
export async function startTestAdmin(sw: Softswitch, opts: Partial<AdminOptions> = {}, dataDir = mkdtempSync(join(tmpdir(), 'ssw-admin-'))): Promise<TestAdmin> {
  const printed: string[] = [];
  const srv = await startAdmin(sw, { port: 0, dataDir, tokens: [{ name: 'ro', token: RO_TOKEN, role: 'read-only' }], printToken: (l) => printed.push(l), ...opts });
  const token = printed.length ? printed[0]!.trim().split('\n').pop()! : '';
  const t: TestAdmin = Object.assign(Object.create(null), srv, {
    dataDir, token, printed,
    async api(path: string, init: { method?: string; body?: unknown; token?: string | null; raw?: string; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const tok = init.token === undefined ? t.token : init.token;
      if (tok !== null) headers.authorization = `Bearer ${tok}`;
      let body: string | undefined;
      if (init.raw !== undefined) body = init.raw;
      else if (init.body !== undefined) body = JSON.stringify(init.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const r = await fetch(`${srv.url}${path}`, { method: init.method ?? 'GET', headers, body });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // /metrics and other text bodies stay text
      }
      return { status: r.status, body: parsed, headers: r.headers, text };
    },
    async cleanup() {
      await srv.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
  return t;
}

/** Runs `ssw` in-process against the test admin API (its read-write token in $SSW_TOKEN); captures out and err. */
export async function sswOn(admin: TestAdmin, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['--url', admin.url, ...args], { out: (s) => (out += s), err: (s) => (err += s), env: { SSW_TOKEN: admin.token, ...env } });
  return { code, out, err };
}
