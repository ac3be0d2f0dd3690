/**
 * The phones of a running switch: those of network.yaml (applied at every start, changed in the
 * file) and those made through the admin API (kept in the store's `phones` table, HA1 only).
 */
import type { LoadedConfig, DialRule } from '../config/types.js';
import type { ParamSet } from '../config/index.js';
import type { Store } from '../store/index.js';
import { SswError, createError } from '../util/errors.js';
import { componentLogger } from '../util/log.js';
import { ha1Of } from './digest.js';
import { PhoneDirectory, compileEntry, defOfConfig, phoneInvalid, type PhoneDef, type PhoneEntry } from './directory.js';
import { Registrar } from './registrar.js';

const log = componentLogger('phones');

export const phoneNotFound = createError('SSW_ERR_PHONE_NOT_FOUND', 404);
/** The phone is defined in network.yaml: the file is where it changes. */
export const phoneConflict = createError('SSW_ERR_PHONE_CONFLICT', 409);
export const phoneStoreUnavailable = createError('SSW_ERR_PHONE_STORE_UNAVAILABLE', 503);

/** What the admin API takes to create or change a phone (the password in clear, never stored as such). */
export interface PhoneInput {
  readonly number?: string;
  readonly username?: string;
  readonly password?: string;
  readonly account?: string;
  readonly locked?: boolean;
  readonly capacity?: number;
  readonly calleeRules?: readonly DialRule[];
  readonly callerRules?: readonly DialRule[];
}

export type PhoneSource = 'config' | 'api';

export class PhoneService {
  readonly directory = new PhoneDirectory();
  readonly registrar: Registrar;
  #source = new Map<string, PhoneSource>();
  #store: Store | null = null;
  readonly #accountExists: (id: string) => boolean;

  /**
   * Compiles the phones of network.yaml; a bad dial rule throws SSW_ERR_CONFIG_INVALID naming the
   * phone. `accountExists` checks the account of API changes (default: the accounts of the file).
   */
  constructor(cfg: LoadedConfig, params: () => ParamSet, accountExists?: (id: string) => boolean) {
    this.registrar = new Registrar(this.directory, params);
    const accounts = new Set(cfg.network.accounts.map((a) => a.id));
    this.#accountExists = accountExists ?? ((id) => accounts.has(id));
    for (const p of cfg.network.phones ?? []) {
      try {
        this.directory.put(compileEntry(defOfConfig(p)));
      } catch (err) {
        throw new SswError('SSW_ERR_CONFIG_INVALID', `network.yaml: phones ${p.number}: ${(err as Error).message}`, 400);
      }
      this.#source.set(p.number, 'config');
    }
  }

  /** Adds the phones the admin API stored earlier (a number network.yaml also defines stays the file's). */
  async load(store: Store | null): Promise<void> {
    this.#store = store;
    if (!store) {
      log.error('store unavailable at start: only the phones of network.yaml are known until the next start');
      return;
    }
    const rows = await store.db.selectFrom('phones').selectAll().orderBy('number').execute();
    for (const r of rows) {
      const number = String(r.number);
      if (this.#source.get(number) === 'config') {
        log.warn({ phone: number }, 'phone is in network.yaml and in the store: the file wins');
        continue;
      }
      try {
        const def = defOfRow(r);
        this.directory.put(compileEntry(def));
        this.#source.set(number, 'api');
      } catch (err) {
        log.error({ phone: number, err: (err as Error).message }, 'stored phone skipped');
      }
    }
  }

  sourceOf(number: string): PhoneSource | undefined {
    return this.#source.get(number);
  }

  /** Creates a phone through the API: validated, stored, then live. */
  async create(input: PhoneInput): Promise<PhoneEntry> {
    const number = input.number ?? '';
    if (this.directory.byNumber(number)) throw phoneConflict(`phone ${number} exists already`);
    if (input.password === undefined || input.password === '') throw phoneInvalid('password is required');
    if (input.account === undefined) throw phoneInvalid('account is required');
    const username = input.username ?? number;
    const def: PhoneDef = {
      number, username, ha1: ha1Of(username, input.password), account: input.account, locked: input.locked ?? false,
      capacity: input.capacity ?? 0, calleeRules: input.calleeRules ?? [], callerRules: input.callerRules ?? [],
    };
    const entry = this.#check(def);
    const store = this.#needStore();
    await store.db.insertInto('phones').values(rowOf(def)).execute();
    this.directory.put(entry);
    this.#source.set(number, 'api');
    return entry;
  }

  /** Changes an API phone; a new user name needs the password again (HA1 binds them). */
  async update(number: string, input: PhoneInput): Promise<PhoneEntry> {
    const old = this.#own(number);
    const username = input.username ?? old.def.username;
    if (username !== old.def.username && input.password === undefined) throw phoneInvalid('a new username needs the password too (the store keeps only a hash of both)');
    const def: PhoneDef = {
      number, username, ha1: input.password !== undefined ? ha1Of(username, input.password) : old.def.ha1,
      account: input.account ?? old.def.account, locked: input.locked ?? old.def.locked, capacity: input.capacity ?? old.def.capacity,
      calleeRules: input.calleeRules ?? old.def.calleeRules, callerRules: input.callerRules ?? old.def.callerRules,
    };
    const entry = this.#check(def);
    const store = this.#needStore();
    const { number: _n, ...rest } = rowOf(def);
    await store.db.updateTable('phones').set(rest).where('number', '=', number).execute();
    this.directory.put(entry);
    if (def.locked || username !== old.def.username) this.registrar.drop(number);
    return entry;
  }

  async remove(number: string): Promise<void> {
    this.#own(number);
    const store = this.#needStore();
    await store.db.deleteFrom('phones').where('number', '=', number).execute();
    this.directory.remove(number);
    this.#source.delete(number);
    this.registrar.drop(number);
  }

  #own(number: string): PhoneEntry {
    const e = this.directory.byNumber(number);
    if (!e) throw phoneNotFound(`no phone ${JSON.stringify(number)}`);
    if (this.#source.get(number) === 'config') throw phoneConflict(`phone ${number} is defined in network.yaml: change it there`);
    return e;
  }

  #check(def: PhoneDef): PhoneEntry {
    if (!this.#accountExists(def.account)) throw phoneInvalid(`account ${JSON.stringify(def.account)} does not exist`);
    const other = this.directory.byUsername(def.username);
    if (other && other.def.number !== def.number) throw phoneConflict(`username ${JSON.stringify(def.username)} is already used by phone ${other.def.number}`);
    return compileEntry(def);
  }

  #needStore(): Store {
    if (!this.#store || this.#store.closed) throw phoneStoreUnavailable('the store is not reachable: a phone change is only taken once it is stored');
    return this.#store;
  }
}

function rowOf(def: PhoneDef): Record<string, unknown> {
  return {
    number: def.number, account: def.account, password: `md5:${def.ha1}`, locked: def.locked ? 1 : 0,
    extra: JSON.stringify({ username: def.username, capacity: def.capacity, calleeRules: def.calleeRules, callerRules: def.callerRules }),
  };
}

/** A stored row as a PhoneDef; a password not in `md5:` form (an imported file) is hashed here. */
function defOfRow(r: Record<string, unknown>): PhoneDef {
  const extra = r.extra ? (JSON.parse(String(r.extra)) as Record<string, unknown>) : {};
  const number = String(r.number);
  const username = typeof extra.username === 'string' ? extra.username : number;
  const pw = String(r.password ?? '');
  return {
    number, username, ha1: pw.startsWith('md5:') ? pw.slice(4) : ha1Of(username, pw), account: String(r.account), locked: Number(r.locked) !== 0,
    capacity: typeof extra.capacity === 'number' ? extra.capacity : 0,
    calleeRules: Array.isArray(extra.calleeRules) ? (extra.calleeRules as DialRule[]) : [],
    callerRules: Array.isArray(extra.callerRules) ? (extra.callerRules as DialRule[]) : [],
  };
}
