/**
 * The phones the switch knows, by number and by SIP user name, with their compiled dial plans
 * and the mapping-gateway view calls from them take. Mutable (the admin API adds, changes and
 * removes phones); a change swaps the entry, so a call keeps the numbers it already rewrote.
 */
import type { DialRule, MappingGateway, Phone } from '../config/types.js';
import { DialPlan, IDENTITY, validateRules } from '../dialplan/index.js';
import { createError, isSswError } from '../util/errors.js';
import { ha1Of } from './digest.js';

/** A phone definition that fails validation (admin API 400, config start-up error). */
export const phoneInvalid = createError('SSW_ERR_PHONE_INVALID', 400);

/** Prefix of the gateway name a phone shows as, in CDRs and routing (`phone:1001`). */
export const PHONE_GATEWAY_PREFIX = 'phone:';

/** A phone as the switch keeps it: the password is gone, only its HA1 (MD5 of username:realm:password, hex) is left. */
export type PhoneDef = Omit<Phone, 'password'> & { readonly ha1: string };

export interface PhoneEntry {
  readonly def: PhoneDef;
  /** The phone as an ingress: calls from it are the calls of this "mapping gateway". */
  readonly gateway: MappingGateway;
  readonly callee: DialPlan;
  readonly caller: DialPlan;
}

const NUMBER = /^\+?[0-9]{1,32}$/;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A config phone (password in clear) as a PhoneDef. */
export function defOfConfig(p: Phone): PhoneDef {
  return {
    number: p.number, username: p.username || p.number, ha1: ha1Of(p.username || p.number, p.password), account: p.account,
    locked: p.locked, capacity: p.capacity, calleeRules: p.calleeRules, callerRules: p.callerRules,
  };
}

/** Checks a definition's fields and compiles its dial plans; throws SSW_ERR_PHONE_INVALID naming the problem. */
export function compileEntry(def: PhoneDef): PhoneEntry {
  if (!NUMBER.test(def.number)) throw phoneInvalid(`phone number ${JSON.stringify(def.number)}: allowed: digits, optionally after a +`);
  if (!USERNAME.test(def.username)) throw phoneInvalid(`phone ${def.number}: username ${JSON.stringify(def.username)}: allowed: letters, digits, . _ @ - (at most 64)`);
  if (!/^[0-9a-f]{32}$/.test(def.ha1)) throw phoneInvalid(`phone ${def.number}: no valid password`);
  if (!Number.isInteger(def.capacity) || def.capacity < 0 || def.capacity > 1000) throw phoneInvalid(`phone ${def.number}: capacity ${def.capacity}: allowed: 0-1000`);
  const plan = (side: string, rules: readonly DialRule[]): DialPlan => {
    if (rules.length === 0) return IDENTITY;
    try {
      return DialPlan.compile(rules);
    } catch (err) {
      throw phoneInvalid(`phone ${def.number}: ${side}: ${isSswError(err) ? err.message : String(err)}`);
    }
  };
  const frozen = Object.freeze({ ...def, calleeRules: Object.freeze(def.calleeRules.map((r) => Object.freeze({ from: r.from, to: r.to }))), callerRules: Object.freeze(def.callerRules.map((r) => Object.freeze({ from: r.from, to: r.to }))) });
  return {
    def: frozen,
    gateway: Object.freeze({
      name: PHONE_GATEWAY_PREFIX + def.number, remoteIps: Object.freeze([]), account: def.account, locked: def.locked, capacity: def.capacity, cps: 0,
      allowGroups: Object.freeze([]), denyGroups: Object.freeze([]), calleeRules: frozen.calleeRules, callerRules: frozen.callerRules,
      strategy: Object.freeze({ first: Object.freeze([]), second: Object.freeze([]) }), leastCostRouting: false,
      errorCodes: Object.freeze({}), carrierCodes: Object.freeze([]),
    }),
    callee: plan('calleeRules', def.calleeRules),
    caller: plan('callerRules', def.callerRules),
  };
}

/** Validator warnings (rules that never match or are shadowed) for a phone's two rule sets. */
export function ruleWarnings(def: Pick<PhoneDef, 'calleeRules' | 'callerRules'>): Array<{ side: string; index: number; message: string }> {
  const out: Array<{ side: string; index: number; message: string }> = [];
  for (const [side, rules] of [['calleeRules', def.calleeRules], ['callerRules', def.callerRules]] as const) {
    for (const w of validateRules(rules).warnings) out.push({ side, index: w.index, message: w.message });
  }
  return out;
}

export class PhoneDirectory {
  #byNumber = new Map<string, PhoneEntry>();
  #byUser = new Map<string, PhoneEntry>();
  #active = new Map<string, number>();

  get size(): number {
    return this.#byNumber.size;
  }

  byNumber(number: string): PhoneEntry | undefined {
    return this.#byNumber.get(number);
  }

  byUsername(username: string): PhoneEntry | undefined {
    return this.#byUser.get(username);
  }

  /** The phone behind a `phone:<number>` gateway name, if any. */
  byGatewayName(name: string): PhoneEntry | undefined {
    return name.startsWith(PHONE_GATEWAY_PREFIX) ? this.#byNumber.get(name.slice(PHONE_GATEWAY_PREFIX.length)) : undefined;
  }

  list(): PhoneEntry[] {
    return [...this.#byNumber.values()].sort((a, b) => (a.def.number < b.def.number ? -1 : a.def.number > b.def.number ? 1 : 0));
  }

  /**
   * Adds or replaces the phone with this number. A user name another phone uses is refused;
   * `replacing` names the number being changed (so a change may keep its own user name).
   */
  put(entry: PhoneEntry): void {
    const other = this.#byUser.get(entry.def.username);
    if (other && other.def.number !== entry.def.number) throw phoneInvalid(`username ${JSON.stringify(entry.def.username)} is already used by phone ${other.def.number}`);
    const old = this.#byNumber.get(entry.def.number);
    if (old) this.#byUser.delete(old.def.username);
    this.#byNumber.set(entry.def.number, entry);
    this.#byUser.set(entry.def.username, entry);
  }

  remove(number: string): PhoneEntry | undefined {
    const e = this.#byNumber.get(number);
    if (!e) return undefined;
    this.#byNumber.delete(number);
    this.#byUser.delete(e.def.username);
    return e;
  }

  /** Takes one of the phone's concurrent-call slots; false when its capacity is full. */
  acquire(number: string): boolean {
    const e = this.#byNumber.get(number);
    const n = this.#active.get(number) ?? 0;
    if (e && e.def.capacity > 0 && n >= e.def.capacity) return false;
    this.#active.set(number, n + 1);
    return true;
  }

  release(number: string): void {
    const n = (this.#active.get(number) ?? 0) - 1;
    if (n > 0) this.#active.set(number, n);
    else this.#active.delete(number);
  }

  activeCalls(number: string): number {
    return this.#active.get(number) ?? 0;
  }
}
