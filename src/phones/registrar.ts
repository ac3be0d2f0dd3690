/**
 * The registrar (RFC 3261 §10.3) and the digest check of calls from phones: REGISTER is
 * challenged with 401, INVITE with 407; bindings live in memory with their expiry and are swept
 * every second. Calls to a phone go to the address its REGISTER came from (so phones behind NAT
 * are reachable), with the registered contact as Request-URI.
 */
import type { Peer, LocalAddress, ServerTransaction } from '../sip/index.js';
import type { ParamSet } from '../config/index.js';
import { componentLogger } from '../util/log.js';
import { monotonicMs, wallClockMs } from '../util/time.js';
import { NonceBook, REALM, challenge, parseDigest, responseMatches, type DigestCredentials } from './digest.js';
import { parseContacts } from './contact.js';
import type { PhoneDirectory, PhoneEntry } from './directory.js';

const log = componentLogger('phones');

/** Most contacts one phone may have registered at once. */
export const MAX_CONTACTS_PER_PHONE = 10;
/** RFC 3261 §10.2.1.1: without Expires anywhere, the registrar picks; we pick an hour (clamped to the maximum). */
const DEFAULT_EXPIRES = 3600;

export interface Binding {
  readonly uri: string;
  /** Monotonic ms at which the binding lapses. */
  readonly expiresMono: number;
  readonly callId: string;
  readonly cseq: number;
  /** Where the REGISTER came from: calls to the phone are sent here. */
  readonly source: Peer;
  readonly local: LocalAddress;
  readonly registeredWall: number;
  readonly userAgent: string;
}

/** Outcomes counted in ssw_phone_register_total / ssw_phone_auth_total (a fixed list: bounded labels). */
export const REGISTER_RESULTS = ['registered', 'unregistered', 'queried', 'challenged', 'stale', 'bad-password', 'unknown-user', 'locked', 'wrong-aor', 'interval-too-brief', 'bad-request'] as const;
export type RegisterResult = (typeof REGISTER_RESULTS)[number];
export const AUTH_RESULTS = ['ok', 'challenged', 'stale', 'bad-password', 'unknown-user', 'locked', 'bad-request'] as const;
export type AuthResult = (typeof AUTH_RESULTS)[number];

export interface RegistrarCounters {
  readonly register: Record<RegisterResult, number>;
  readonly invite: Record<AuthResult, number>;
  /** Bindings that lapsed without being renewed. */
  expired: number;
}

type AuthOutcome = { ok: true; entry: PhoneEntry } | { ok: false };

export class Registrar {
  readonly directory: PhoneDirectory;
  readonly counters: RegistrarCounters = {
    register: Object.fromEntries(REGISTER_RESULTS.map((r) => [r, 0])) as Record<RegisterResult, number>,
    invite: Object.fromEntries(AUTH_RESULTS.map((r) => [r, 0])) as Record<AuthResult, number>,
    expired: 0,
  };
  /** Called when a phone's bindings change (registered, unregistered, expired). */
  onChange: ((number: string) => void) | null = null;
  readonly #params: () => ParamSet;
  readonly #nonces = new NonceBook();
  #bindings = new Map<string, Binding[]>();
  /** Wrong responses per user name and source IP, with the time the count started. */
  #failures = new Map<string, { count: number; sinceMono: number }>();
  #sweeper: NodeJS.Timeout | null = null;
  /** Highest nonce count accepted per user name and nonce (qop=auth), so a captured request cannot be replayed. */
  #nc = new Map<string, { nc: number; sinceMono: number }>();

  constructor(directory: PhoneDirectory, params: () => ParamSet) {
    this.directory = directory;
    this.#params = params;
  }

  /** Starts the once-a-second sweep of lapsed bindings and old failure counts. */
  start(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => this.sweep(monotonicMs()), 1000);
    this.#sweeper.unref();
  }

  stop(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
  }

  /** Drops bindings that lapsed by `nowMono`; returns how many. */
  sweep(nowMono: number): number {
    let dropped = 0;
    for (const [number, list] of this.#bindings) {
      const live = list.filter((b) => b.expiresMono > nowMono);
      if (live.length === list.length) continue;
      dropped += list.length - live.length;
      if (live.length > 0) this.#bindings.set(number, live);
      else this.#bindings.delete(number);
      this.onChange?.(number);
    }
    this.counters.expired += dropped;
    const window = this.#nonceMs();
    for (const [k, f] of this.#failures) if (nowMono - f.sinceMono > window) this.#failures.delete(k);
    for (const [k, n] of this.#nc) if (nowMono - n.sinceMono > window) this.#nc.delete(k);
    return dropped;
  }

  /** The phone's live bindings, most recently registered first. */
  contacts(number: string, nowMono = monotonicMs()): Binding[] {
    const list = this.#bindings.get(number);
    if (!list) return [];
    return list.filter((b) => b.expiresMono > nowMono).sort((a, b) => b.registeredWall - a.registeredWall);
  }

  /** Phones with at least one binding, and bindings in all. */
  get stats(): { phones: number; bindings: number } {
    let bindings = 0;
    for (const l of this.#bindings.values()) bindings += l.length;
    return { phones: this.#bindings.size, bindings };
  }

  /** Forgets every binding of a phone (deleted or locked through the admin API). */
  drop(number: string): void {
    if (this.#bindings.delete(number)) this.onChange?.(number);
  }

  /** REGISTER (RFC 3261 §10.3): authenticate, check the AOR, apply the Contact changes, list the bindings. */
  onRegister(stx: ServerTransaction): void {
    const req = stx.req;
    const auth = this.#authenticate(stx, 'authorization', 401, 'register');
    if (!auth.ok) return;
    const entry = auth.entry;
    const number = entry.def.number;
    // §10.3 step 5: the authenticated user may change bindings of its own address of record only.
    const aorUser = userOf(req.to.uri);
    if (aorUser !== entry.def.username && aorUser !== number) {
      this.counters.register['wrong-aor']++;
      stx.respond(403, { reason: 'Forbidden (not your address of record)' });
      return;
    }
    const contacts = parseContacts(req.headerAll('contact'));
    if (contacts === null) return this.#bad(stx, 'malformed Contact');
    const expHeader = req.header('expires');
    const headerExpires = expHeader === undefined ? -1 : /^\s*\d{1,10}\s*$/.test(expHeader) ? Number(expHeader) : -2;
    if (headerExpires === -2) return this.#bad(stx, 'malformed Expires');
    const now = monotonicMs();
    const p = this.#params();
    const minExp = p.num('SSW_REGISTER_MIN_EXPIRES');
    const maxExp = Math.max(minExp, p.num('SSW_REGISTER_MAX_EXPIRES'));
    let list = this.contacts(number, now);
    const before = list.length;
    if (contacts.star) {
      // `Contact: *` is only for removing every binding, with Expires: 0 (§10.2.2).
      if (headerExpires !== 0) return this.#bad(stx, 'Contact: * needs Expires: 0');
      list = list.filter((b) => b.callId === req.callId && b.cseq >= req.cseq);
      this.#store(number, list);
      this.counters.register.unregistered++;
      log.debug({ phone: number }, 'phone unregistered all contacts');
      this.#ok(stx, list, now);
      return;
    }
    if (contacts.contacts.length === 0) {
      this.counters.register.queried++;
      this.#ok(stx, list, now);
      return;
    }
    // §10.3 step 7: an interval below the minimum is refused with 423 and Min-Expires, for any contact.
    for (const c of contacts.contacts) {
      const e = c.expires >= 0 ? c.expires : headerExpires >= 0 ? headerExpires : DEFAULT_EXPIRES;
      if (e > 0 && e < minExp) {
        this.counters.register['interval-too-brief']++;
        stx.respond(423, { reason: 'Interval Too Brief', headers: [['Min-Expires', String(minExp)]] });
        return;
      }
    }
    let removed = false;
    let added = false;
    for (const c of contacts.contacts) {
      const e = Math.min(maxExp, c.expires >= 0 ? c.expires : headerExpires >= 0 ? headerExpires : DEFAULT_EXPIRES);
      const i = list.findIndex((b) => sameUri(b.uri, c.uri));
      const old = i >= 0 ? list[i]! : null;
      // A replayed or reordered REGISTER of the same registration must not undo a newer one.
      if (old && old.callId === req.callId && old.cseq >= req.cseq) continue;
      if (i >= 0) list.splice(i, 1);
      if (e === 0) {
        removed = true;
        continue;
      }
      if (list.length >= MAX_CONTACTS_PER_PHONE) {
        this.#store(number, list);
        this.counters.register['bad-request']++;
        stx.respond(403, { reason: `Forbidden (at most ${MAX_CONTACTS_PER_PHONE} contacts)` });
        return;
      }
      list.push({
        uri: c.uri, expiresMono: now + e * 1000, callId: req.callId, cseq: req.cseq,
        source: { transport: stx.src.transport, address: stx.src.address, port: stx.src.port }, local: stx.src.local,
        registeredWall: wallClockMs(), userAgent: (req.header('user-agent') ?? '').slice(0, 128),
      });
      added = true;
    }
    this.#store(number, list);
    if (added) this.counters.register.registered++;
    else if (removed) this.counters.register.unregistered++;
    else this.counters.register.queried++;
    if (before === 0 && list.length > 0) log.info({ phone: number, src: stx.src.address }, 'phone registered');
    else if (before > 0 && list.length === 0) log.info({ phone: number }, 'phone unregistered');
    this.#ok(stx, this.contacts(number, now), now);
  }

  /**
   * The digest check of an INVITE from a phone (407 / Proxy-Authorization). Returns the phone, or
   * null once it has answered the INVITE itself (a challenge or a refusal).
   */
  authenticateInvite(stx: ServerTransaction): PhoneEntry | null {
    const r = this.#authenticate(stx, 'proxy-authorization', 407, 'invite');
    return r.ok ? r.entry : null;
  }

  #authenticate(stx: ServerTransaction, header: string, status: 401 | 407, kind: 'register' | 'invite'): AuthOutcome {
    const req = stx.req;
    const count = (r: Exclude<AuthResult, 'ok'>): void => {
      if (kind === 'register') this.counters.register[r]++;
      else this.counters.invite[r]++;
    };
    const values = req.headerAll(header);
    if (values.length === 0) {
      count('challenged');
      this.#challenge(stx, status, false);
      return { ok: false };
    }
    let creds: DigestCredentials | null = null;
    for (const v of values) {
      const c = parseDigest(v);
      if (c && c.realm === REALM) creds = c;
    }
    if (!creds) {
      // Credentials for another realm (or unreadable): ask for ours.
      count('challenged');
      this.#challenge(stx, status, false);
      return { ok: false };
    }
    const entry = this.directory.byUsername(creds.username);
    if (!entry) {
      count('unknown-user');
      log.debug({ src: stx.src.address, kind }, 'digest for an unknown phone user: 403');
      stx.respond(403);
      return { ok: false };
    }
    if (entry.def.locked) {
      count('locked');
      stx.respond(403, { reason: 'Forbidden (phone locked)' });
      return { ok: false };
    }
    const now = monotonicMs();
    const key = `${creds.username}\u0000${stx.src.address}`;
    if (!responseMatches(entry.def.ha1, req.method, creds)) {
      const f = this.#failures.get(key) ?? { count: 0, sinceMono: now };
      f.count++;
      this.#failures.set(key, f);
      count('bad-password');
      // A phone with a wrong password gets a few fresh challenges (a user retyping it), then 403.
      if (f.count >= this.#params().num('SSW_PHONE_AUTH_MAX_FAILURES')) {
        log.info({ phone: entry.def.number, src: stx.src.address, failures: f.count }, 'phone digest failed: 403');
        stx.respond(403, { reason: 'Forbidden (bad credentials)' });
      } else this.#challenge(stx, status, false);
      return { ok: false };
    }
    if (this.#nonces.check(creds.nonce, now, this.#nonceMs()) !== 'ok') {
      // The right password on an expired (or foreign) nonce: a new nonce, no new password prompt.
      count('stale');
      this.#challenge(stx, status, true);
      return { ok: false };
    }
    if (creds.qop) {
      // RFC 2617 §3.2.2: the nonce count must grow with each request on one nonce; a repeat is a
      // replay (or a confused client): a fresh nonce, marked stale so an honest phone just retries.
      const nc = /^[0-9a-f]{1,8}$/i.test(creds.nc) ? parseInt(creds.nc, 16) : 0;
      const ncKey = `${creds.username}\u0000${creds.nonce}`;
      const seen = this.#nc.get(ncKey);
      if (nc === 0 || (seen && nc <= seen.nc)) {
        count('stale');
        this.#challenge(stx, status, true);
        return { ok: false };
      }
      this.#nc.set(ncKey, { nc, sinceMono: seen?.sinceMono ?? now });
    }
    this.#failures.delete(key);
    if (kind === 'invite') this.counters.invite.ok++;
    return { ok: true, entry };
  }

  #challenge(stx: ServerTransaction, status: 401 | 407, stale: boolean): void {
    const value = challenge(this.#nonces.issue(monotonicMs()), stale);
    stx.respond(status, status === 401
      ? { reason: 'Unauthorized', headers: [['WWW-Authenticate', value]] }
      : { reason: 'Proxy Authentication Required', headers: [['Proxy-Authenticate', value]] });
  }

  #bad(stx: ServerTransaction, why: string): void {
    this.counters.register['bad-request']++;
    stx.respond(400, { reason: `Bad Request (${why})` });
  }

  #ok(stx: ServerTransaction, list: readonly Binding[], now: number): void {
    const headers: Array<[string, string]> = list.map((b) => ['Contact', `<${b.uri}>;expires=${Math.max(0, Math.round((b.expiresMono - now) / 1000))}`]);
    headers.push(['Date', new Date(wallClockMs()).toUTCString()]);
    stx.respond(200, { headers });
  }

  #store(number: string, list: Binding[]): void {
    const had = this.#bindings.has(number);
    if (list.length > 0) this.#bindings.set(number, list);
    else this.#bindings.delete(number);
    if (had || list.length > 0) this.onChange?.(number);
  }

  #nonceMs(): number {
    return this.#params().num('SSW_PHONE_AUTH_NONCE_SECONDS') * 1000;
  }
}

function userOf(uri: string): string {
  const m = /^(?:sips?|tel):([^@;>]*)@/i.exec(uri);
  if (!m) return '';
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

/** RFC 3261 §19.1.4 in short: scheme, user and host:port compared, host case-insensitively. */
function sameUri(a: string, b: string): boolean {
  const norm = (u: string) => {
    const semi = u.indexOf(';');
    const base = semi < 0 ? u : u.slice(0, semi);
    const at = base.indexOf('@');
    return at < 0 ? base.toLowerCase() : base.slice(0, at + 1) + base.slice(at + 1).toLowerCase();
  };
  return norm(a) === norm(b);
}
