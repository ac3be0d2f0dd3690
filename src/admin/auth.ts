import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminErrors } from './errors.js';

export type TokenRole = 'read-only' | 'read-write';

export interface TokenInit {
  readonly name: string;
  readonly token: string;
  readonly role: TokenRole;
}

export type AuthResult = { ok: true; name: string; role: TokenRole } | { ok: false; reason: 'missing' | 'invalid' };

const MIN_TOKEN_LENGTH = 16;

/**
 * The admin API's bearer tokens. Presented tokens are compared by their SHA-256, so lookup time
 * says nothing about how much of a guess was right.
 */
export class TokenBook {
  readonly #byHash = new Map<string, { name: string; role: TokenRole }>();

  constructor(tokens: readonly TokenInit[]) {
    for (const t of tokens) {
      if (t.role !== 'read-only' && t.role !== 'read-write') throw adminErrors.tokens(`token ${JSON.stringify(t.name)}: role must be "read-only" or "read-write", got ${JSON.stringify(t.role)}`);
      if (typeof t.token !== 'string' || t.token.length < MIN_TOKEN_LENGTH) throw adminErrors.tokens(`token ${JSON.stringify(t.name)}: must be text of at least ${MIN_TOKEN_LENGTH} characters`);
      this.#byHash.set(hash(t.token), { name: t.name, role: t.role });
    }
  }

  get size(): number {
    return this.#byHash.size;
  }

  /** Checks an Authorization header value ("Bearer <token>"). */
  check(header: string | undefined): AuthResult {
    if (!header) return { ok: false, reason: 'missing' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false, reason: 'invalid' };
    const hit = this.#byHash.get(hash(m[1]!));
    return hit ? { ok: true, name: hit.name, role: hit.role } : { ok: false, reason: 'invalid' };
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A fresh random token (256 bits, URL-safe). */
export function newToken(): string {
  return `ssw_${randomBytes(32).toString('base64url')}`;
}

/**
 * The tokens for a data directory: `<dataDir>/admin-token` (read-write; created mode 0600 on first
 * start, and then `created` holds it so the caller prints it once), plus any in
 * `<dataDir>/admin-tokens.json` (`[{ name, token, role }]`), plus `extra`.
 */
export function loadTokens(dataDir: string, extra: readonly TokenInit[] = []): { tokens: TokenInit[]; created: string | null; path: string } {
  const path = join(dataDir, 'admin-token');
  let created: string | null = null;
  let main: string;
  if (existsSync(path)) {
    main = readFileSync(path, 'utf8').trim();
  } else {
    mkdirSync(dataDir, { recursive: true });
    main = newToken();
    // 'wx': never overwrite a token another process wrote meanwhile.
    writeFileSync(path, `${main}\n`, { mode: 0o600, flag: 'wx' });
    created = main;
  }
  const tokens: TokenInit[] = [{ name: 'admin-token', token: main, role: 'read-write' }];
  const listPath = join(dataDir, 'admin-tokens.json');
  if (existsSync(listPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(listPath, 'utf8'));
    } catch (err) {
      throw adminErrors.tokens(`${listPath}: not valid JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(raw) ? raw : (raw as { tokens?: unknown })?.tokens;
    if (!Array.isArray(list)) throw adminErrors.tokens(`${listPath}: expected an array of { name, token, role }`);
    list.forEach((t: Partial<TokenInit>, i) => {
      if (!t || typeof t !== 'object') throw adminErrors.tokens(`${listPath}[${i}]: expected { name, token, role }`);
      tokens.push({ name: String(t.name ?? `#${i}`), token: t.token as string, role: t.role as TokenRole });
    });
  }
  tokens.push(...extra);
  return { tokens, created, path };
}
