/**
 * HTTP digest authentication as SIP uses it (RFC 3261 §22.4 over RFC 2617, MD5 with qop=auth):
 * parsing a credentials header, the expected response, and nonces the switch can check without
 * keeping a table of them (a timestamp signed with a per-process secret).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The realm of every challenge; HA1 values in the store are bound to it. */
export const REALM = 'open-softswitch';

/** The fields of a `Digest ...` Authorization / Proxy-Authorization value. */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: string;
  readonly qop: string;
  readonly nc: string;
  readonly cnonce: string;
  readonly opaque: string;
}

export function md5hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/** HA1 = MD5(username:realm:password), what the store keeps instead of the password. */
export function ha1Of(username: string, password: string, realm = REALM): string {
  return md5hex(`${username}:${realm}:${password}`);
}

/** Parses `Digest k=v, k="v", ...`; null when it is not a digest value or lacks a required field. */
export function parseDigest(value: string): DigestCredentials | null {
  const m = /^\s*digest\s+/i.exec(value);
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  re.lastIndex = m[0].length;
  let f: RegExpExecArray | null;
  while (re.lastIndex < value.length && (f = re.exec(value)) !== null) {
    out[f[1]!.toLowerCase()] = f[2] !== undefined ? f[2].replace(/\\(.)/g, '$1') : f[3]!;
    if (f[0].length === 0) break;
  }
  const need = ['username', 'realm', 'nonce', 'uri', 'response'];
  for (const k of need) if (out[k] === undefined) return null;
  return {
    username: out.username!, realm: out.realm!, nonce: out.nonce!, uri: out.uri!, response: out.response!.toLowerCase(),
    algorithm: out.algorithm ?? 'MD5', qop: out.qop ?? '', nc: out.nc ?? '', cnonce: out.cnonce ?? '', opaque: out.opaque ?? '',
  };
}

/** The response a client holding `ha1` must send for `method` (qop=auth, or the RFC 2069 form without qop). */
export function expectedResponse(ha1: string, method: string, c: DigestCredentials): string {
  const ha2 = md5hex(`${method}:${c.uri}`);
  if (c.qop) return md5hex(`${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`);
  return md5hex(`${ha1}:${c.nonce}:${ha2}`);
}

/** True when the credentials' response matches `ha1` (constant time). Only MD5 and qop auth/none are accepted. */
export function responseMatches(ha1: string, method: string, c: DigestCredentials): boolean {
  if (c.algorithm.toUpperCase() !== 'MD5') return false;
  if (c.qop && c.qop !== 'auth') return false;
  if (c.qop && (!c.nc || !c.cnonce)) return false;
  const want = Buffer.from(expectedResponse(ha1, method, c), 'latin1');
  const got = Buffer.from(c.response, 'latin1');
  return want.length === got.length && timingSafeEqual(want, got);
}

export type NonceCheck = 'ok' | 'stale' | 'bad';

/**
 * Nonces are `<issued ms>-<serial>.<HMAC>` (base36 numbers) under a secret made at start: any of
 * them can be checked without a table, an expired one reads 'stale' (the client retries with
 * stale=true, no new password prompt), and one from an earlier process or a forgery reads 'bad'.
 * The serial makes every nonce unique, also among challenges sent in the same millisecond.
 */
export class NonceBook {
  readonly #secret: Buffer;
  #serial = 0;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  issue(nowMs: number): string {
    this.#serial = (this.#serial + 1) % 0x7fffffff;
    const body = `${Math.floor(nowMs).toString(36)}-${this.#serial.toString(36)}`;
    return `${body}.${this.#sign(body)}`;
  }

  check(nonce: string, nowMs: number, lifetimeMs: number): NonceCheck {
    const dot = nonce.indexOf('.');
    const dash = nonce.indexOf('-');
    if (dot <= 0 || dash <= 0 || dash > dot) return 'bad';
    const body = nonce.slice(0, dot);
    const sig = Buffer.from(nonce.slice(dot + 1), 'latin1');
    const want = Buffer.from(this.#sign(body), 'latin1');
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return 'bad';
    const issued = parseInt(body.slice(0, dash), 36);
    if (!Number.isFinite(issued) || issued > nowMs + 1000) return 'bad';
    return nowMs - issued > lifetimeMs ? 'stale' : 'ok';
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url').slice(0, 22);
  }
}

/** The challenge header value (WWW-Authenticate or Proxy-Authenticate). */
export function challenge(nonce: string, stale: boolean): string {
  return `Digest realm="${REALM}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
}
