/**
 * Accounts in memory: balances, reservations for calls in progress, packages and the ledger.
 * Pure state, no I/O: every balance change goes first to a `BalanceSink` (the store's journal),
 * then into memory, so a sink that throws leaves the book unchanged.
 *
 * Reservations: a prepaid call reserves what it may spend (cost of its maximum billed time), so
 * parallel calls share one balance: sum(reserved) <= balance + credit limit, always.
 */
import { createError } from '../util/errors.js';
import type { Money } from './money.js';
import {
  costOfBilled, maxAffordableBilledSeconds, maxHoldMsFor, rateCall, MAX_GRANT_SECONDS,
  type RateRow, type RatedCall,
} from './rating.js';
import type { RateGroup } from './rate-table.js';
import { refusal, type Refusal } from './refusal.js';
import { DEFAULT_BILLING_SETTINGS, type BillingSettings } from './settings.js';

export type AccountKind = 'customer' | 'clearing';

/** Free seconds on calls to the listed prefixes, used before money. */
export interface PackageInit {
  readonly id: string;
  readonly prefixes: readonly string[];
  readonly freeSeconds: number;
  /** Epoch ms after which the package is void; null = never. */
  readonly expiresAt: number | null;
  /** Seconds already used by earlier calls (read back from the store at start); default 0. */
  readonly usedSeconds?: number;
}

export interface AccountInit {
  readonly id: string;
  readonly kind: AccountKind;
  /** Prepaid calls are limited by balance + credit and cut at that limit; postpaid are not cut. */
  readonly prepaid: boolean;
  readonly balance: Money;
  /** Overdraft: how far below zero the balance may go. */
  readonly creditLimit: Money;
  /** Epoch ms from which the account is expired; null = never. */
  readonly expiresAt: number | null;
  readonly locked: boolean;
  /** Concurrent calls allowed; 0 = unlimited. */
  readonly maxConcurrent: number;
  /** Rate group rating this account's calls (customer: what it pays; clearing: what we pay). */
  readonly rateGroup: string | null;
  readonly packages?: readonly PackageInit[];
}

export type AccountPatch = Partial<Pick<AccountInit, 'kind' | 'prepaid' | 'creditLimit' | 'expiresAt' | 'locked' | 'maxConcurrent' | 'rateGroup'>>;

export type LedgerReason = 'call' | 'recharge' | 'adjustment';

/** One balance change. Invariant: balance == opening + sum(amount) over the account's entries. */
export interface LedgerEntry {
  /** Book-wide sequence number, strictly increasing. */
  readonly seq: number;
  readonly accountId: string;
  /** Wall-clock epoch ms. */
  readonly at: number;
  readonly reason: LedgerReason;
  /** Signed change: a call is negative, a recharge positive. */
  readonly amount: Money;
  /** Balance after this entry. */
  readonly balance: Money;
  /** Reservation id of a call, or the memo of a recharge/adjustment. */
  readonly ref: string;
  readonly packageId: string | null;
  readonly packageSeconds: number;
  /** Expiry after this entry (recharge extends it). */
  readonly expiresAt: number | null;
}

/** What the persistence layer implements; called before the change is applied in memory. */
export interface BalanceSink {
  onLedgerEntry(entry: LedgerEntry): void;
}

export interface PackageView {
  readonly id: string;
  readonly prefixes: readonly string[];
  readonly freeSeconds: number;
  readonly remainingSeconds: number;
  readonly reservedSeconds: number;
  readonly expiresAt: number | null;
}

export interface AccountView extends Omit<AccountInit, 'packages'> {
  readonly opening: Money;
  readonly reserved: Money;
  /** balance + creditLimit - reserved. */
  readonly available: Money;
  readonly activeCalls: number;
  readonly packages: readonly PackageView[];
}

export interface Grant {
  readonly ok: true;
  readonly reservationId: number;
  readonly row: RateRow;
  /** Cut the call (both legs, "Insufficient balance") when its hold time reaches this. */
  readonly maxDurationMs: number;
  readonly maxBilledSeconds: number;
  readonly reserved: Money;
  readonly packageSeconds: number;
  /** The package the free seconds come from, or null. */
  readonly packageId: string | null;
  /** True when `extend` may lengthen the grant (slice mode, the slice was the limit). */
  readonly extendable: boolean;
  /** The settings the call was authorized with: it is rated with them even after a live change. */
  readonly settings: BillingSettings;
}

export type AuthResult = Grant | Refusal;

export interface AuthorizeOptions {
  /** The gateways' max call duration (s); null/undefined = none. */
  readonly maxDurationS?: number | null;
}

export interface VendorInput {
  /** Clearing account of the routing gateway that carried the call. */
  readonly accountId: string;
  /** The callee as sent to that gateway (after its dial plan). */
  readonly callee: string;
}

export interface VendorCharge {
  readonly accountId: string;
  /** null when the vendor's rate group has no rate for the callee (cost then 0). */
  readonly rated: RatedCall | null;
  readonly cost: Money;
  readonly entry: LedgerEntry | null;
}

export interface Settlement {
  readonly ok: true;
  readonly accountId: string;
  readonly rated: RatedCall;
  /** null when the call cost nothing and used no package. */
  readonly entry: LedgerEntry | null;
  readonly vendor: VendorCharge | null;
  /** Customer fee minus vendor cost. */
  readonly margin: Money;
}

export type SettleResult = Settlement | { readonly ok: false; readonly code: 'SSW_ERR_BILLING_NO_RESERVATION' };

export type AvailableTime = { readonly ok: true; readonly seconds: number; readonly maxDurationMs: number } | Refusal;

export interface AccountBookOptions {
  readonly settings?: BillingSettings;
  readonly sink?: BalanceSink;
  /**
   * Slice mode: a prepaid grant covers at most this many seconds and the call layer calls
   * `extend` before it runs out. null (default): a grant covers all it can afford up to the caps.
   */
  readonly grantSeconds?: number | null;
  /** Ledger entries kept in memory per account (older ones fold into `opening`). */
  readonly ledgerLimit?: number;
}

interface PackageState {
  readonly id: string;
  prefixes: readonly string[];
  freeSeconds: number;
  /** freeSeconds minus what settled calls used (never below 0). */
  remaining: number;
  reserved: number;
  expiresAt: number | null;
}

interface AccountState {
  readonly id: string;
  kind: AccountKind;
  prepaid: boolean;
  balance: Money;
  creditLimit: Money;
  expiresAt: number | null;
  locked: boolean;
  maxConcurrent: number;
  rateGroup: string | null;
  opening: Money;
  reserved: Money;
  active: number;
  packages: PackageState[];
  ledger: LedgerEntry[];
}

interface Reservation {
  readonly id: number;
  readonly account: AccountState;
  readonly row: RateRow;
  readonly startMs: number;
  readonly settings: BillingSettings;
  /** Caps from SS_MAX_CALL_DURATION and the gateways (s). */
  readonly hardCapS: number;
  capS: number;
  money: Money;
  readonly pkg: PackageState | null;
  pkgSeconds: number;
  maxBilledSeconds: number;
  maxDurationMs: number;
}

interface Evaluation {
  readonly row: RateRow;
  readonly pkg: PackageState | null;
  readonly billed: number;
  readonly cost: Money;
  readonly pkgSeconds: number;
  readonly maxDurationMs: number;
}

const noAccount = createError('SSW_ERR_BILLING_NO_ACCOUNT', 404);
const badAmount = createError('SSW_ERR_BILLING_AMOUNT', 400);
const badAccount = createError('SSW_ERR_BILLING_ACCOUNT', 400);
const DAY_MS = 86_400_000;

/** The in-memory account book: authorize, settle, recharge, adjust, audit. */
export class AccountBook {
  #settings: BillingSettings;
  readonly #sink: BalanceSink | null;
  readonly #grantSeconds: number | null;
  readonly #ledgerLimit: number;
  readonly #accounts = new Map<string, AccountState>();
  readonly #groups = new Map<string, RateGroup>();
  readonly #reservations = new Map<number, Reservation>();
  /** Unrated calls' concurrent-call slots: slot id -> the account state it counts on. */
  readonly #slots = new Map<number, AccountState>();
  #nextSlot = 1;
  #nextReservation = 1;
  #seq = 0;

  constructor(options: AccountBookOptions = {}) {
    this.#settings = options.settings ?? DEFAULT_BILLING_SETTINGS;
    this.#sink = options.sink ?? null;
    const g = options.grantSeconds ?? null;
    if (g !== null && (!Number.isInteger(g) || g < 1)) throw badAccount(`grantSeconds must be a positive integer, got ${g}`);
    this.#grantSeconds = g;
    this.#ledgerLimit = Math.max(1, options.ledgerLimit ?? 10_000);
  }

  /** New calls use these settings; calls in progress keep theirs. */
  setSettings(settings: BillingSettings): void {
    this.#settings = settings;
  }

  get settings(): BillingSettings {
    return this.#settings;
  }

  /** Swaps a rate group in whole (by its name); calls in progress keep the row they started with. */
  setRateGroup(group: RateGroup): void {
    this.#groups.set(group.name, group);
  }

  rateGroup(name: string): RateGroup | undefined {
    return this.#groups.get(name);
  }

  /** Names of the rate groups in use for new calls, sorted. */
  rateGroupNames(): string[] {
    return [...this.#groups.keys()].sort();
  }

  /** Drops a rate group (calls in progress keep the row they were authorized with); true if it existed. */
  removeRateGroup(name: string): boolean {
    return this.#groups.delete(name);
  }

  /** Adds an account with its opening balance; throws if the id exists or a field is invalid. */
  addAccount(init: AccountInit): void {
    if (this.#accounts.has(init.id)) throw badAccount(`account ${init.id} exists`);
    if (!Number.isInteger(init.maxConcurrent) || init.maxConcurrent < 0) throw badAccount(`maxConcurrent must be >= 0`);
    if (init.creditLimit < 0n) throw badAccount(`credit limit must be >= 0`);
    this.#accounts.set(init.id, {
      id: init.id, kind: init.kind, prepaid: init.prepaid, balance: init.balance, creditLimit: init.creditLimit,
      expiresAt: init.expiresAt, locked: init.locked, maxConcurrent: init.maxConcurrent, rateGroup: init.rateGroup,
      opening: init.balance, reserved: 0n, active: 0, packages: [], ledger: [],
    });
    for (const p of init.packages ?? []) this.addPackage(init.id, p);
  }

  /** Changes configuration fields (not the balance: that moves only through the ledger). */
  updateAccount(id: string, patch: AccountPatch): void {
    const a = this.#get(id);
    if (patch.creditLimit !== undefined && patch.creditLimit < 0n) throw badAccount(`credit limit must be >= 0`);
    if (patch.maxConcurrent !== undefined && (!Number.isInteger(patch.maxConcurrent) || patch.maxConcurrent < 0)) throw badAccount(`maxConcurrent must be >= 0`);
    // only the keys given with a value: { locked: undefined } must not clear the field
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) Object.assign(a, { [k]: v });
  }

  /** Gives an account a package of free seconds. */
  addPackage(accountId: string, p: PackageInit): void {
    const a = this.#get(accountId);
    checkPackage(p);
    if (a.packages.some((q) => q.id === p.id)) throw badAccount(`package ${p.id} exists on ${accountId}`);
    a.packages.push(packageState(p));
    sortPackages(a);
  }

  /**
   * Puts an account's package list in force (a configuration change): a package it holds already
   * keeps what calls used and have reserved, with its new free seconds, prefixes and expiry; a new
   * one starts at freeSeconds - usedSeconds; one no longer listed is dropped (a call holding
   * seconds of it still settles, and its use is still stored).
   */
  setPackages(accountId: string, list: readonly PackageInit[]): void {
    const a = this.#get(accountId);
    const ids = new Set<string>();
    for (const p of list) {
      checkPackage(p);
      if (ids.has(p.id)) throw badAccount(`package ${p.id} is listed twice on ${accountId}`);
      ids.add(p.id);
    }
    const held = new Map(a.packages.map((q) => [q.id, q]));
    a.packages = list.map((p) => {
      const q = held.get(p.id);
      if (q === undefined) return packageState(p);
      q.remaining = Math.max(0, q.remaining + p.freeSeconds - q.freeSeconds);
      q.freeSeconds = p.freeSeconds;
      q.prefixes = [...p.prefixes];
      q.expiresAt = p.expiresAt;
      return q;
    });
    sortPackages(a);
  }

  /** Whether the account exists (no snapshot built). */
  has(id: string): boolean {
    return this.#accounts.has(id);
  }

  /** The account's rate group name: null when it has none, undefined when there is no such account (no snapshot built: for the call path). */
  rateGroupNameOf(id: string): string | null | undefined {
    return this.#accounts.get(id)?.rateGroup;
  }

  /** A snapshot of an account, or undefined. */
  account(id: string): AccountView | undefined {
    const a = this.#accounts.get(id);
    if (a === undefined) return undefined;
    return {
      id: a.id, kind: a.kind, prepaid: a.prepaid, balance: a.balance, creditLimit: a.creditLimit, expiresAt: a.expiresAt,
      locked: a.locked, maxConcurrent: a.maxConcurrent, rateGroup: a.rateGroup, opening: a.opening, reserved: a.reserved,
      available: a.balance + a.creditLimit - a.reserved, activeCalls: a.active,
      packages: a.packages.map((p) => ({ id: p.id, prefixes: p.prefixes, freeSeconds: p.freeSeconds, remainingSeconds: p.remaining, reservedSeconds: p.reserved, expiresAt: p.expiresAt })),
    };
  }

  /** The account's ledger entries kept in memory, oldest first. */
  ledger(accountId: string): readonly LedgerEntry[] {
    return this.#get(accountId).ledger;
  }

  /** Reservations currently held (calls authorized and not yet settled or released). */
  get activeReservations(): number {
    return this.#reservations.size;
  }

  /**
   * Checks a call after the mapping gateway's dial plan: a refusal with its end reason, or a
   * grant that reserves what the call may spend and says when it must be cut.
   */
  authorize(accountId: string, callee: string, now: number, options: AuthorizeOptions = {}): AuthResult {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return refusal('No such account');
    const settings = this.#settings;
    const hardCapS = capOf(settings, options);
    const capS = this.#grantSeconds !== null && a.prepaid ? Math.min(hardCapS, this.#grantSeconds) : hardCapS;
    const ev = this.#evaluate(a, callee, now, capS, true);
    if (!('row' in ev)) return ev;
    const id = this.#nextReservation++;
    const r: Reservation = {
      id, account: a, row: ev.row, startMs: now, settings, hardCapS, capS,
      money: ev.cost, pkg: ev.pkg, pkgSeconds: ev.pkgSeconds, maxBilledSeconds: ev.billed, maxDurationMs: ev.maxDurationMs,
    };
    this.#reservations.set(id, r);
    a.reserved += r.money;
    a.active++;
    if (r.pkg !== null) r.pkg.reserved += r.pkgSeconds;
    return this.#grant(r);
  }

  /**
   * An unrated call (the account has no rate group, so nothing is charged) takes one of the
   * account's concurrent-call slots, counted with its rated calls, after the lock and expiry
   * checks. Returns the slot to give back with vacate().
   */
  occupy(accountId: string, now: number): { readonly ok: true; readonly slot: number } | Refusal {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return refusal('No such account');
    if (a.locked) return refusal('Account locked');
    if (a.expiresAt !== null && now >= a.expiresAt) return refusal('Account expired');
    if (a.maxConcurrent > 0 && a.active >= a.maxConcurrent) return refusal('Account concurrency limit');
    const slot = this.#nextSlot++;
    this.#slots.set(slot, a);
    a.active++;
    return { ok: true, slot };
  }

  /** Gives back an unrated call's slot; false when it was not held. */
  vacate(slot: number): boolean {
    const a = this.#slots.get(slot);
    if (a === undefined) return false;
    this.#slots.delete(slot);
    a.active--;
    return true;
  }

  /**
   * VOS3000's "available time": how long this account may talk to `callee` now, by the same
   * code as authorize (without reserving, and without the slice limit).
   */
  availableTime(accountId: string, callee: string, now: number, options: AuthorizeOptions = {}): AvailableTime {
    const a = this.#accounts.get(accountId);
    if (a === undefined) return refusal('No such account');
    const ev = this.#evaluate(a, callee, now, capOf(this.#settings, options), false);
    if (!('row' in ev)) return ev;
    return { ok: true, seconds: Math.floor(ev.maxDurationMs / 1000), maxDurationMs: ev.maxDurationMs };
  }

  /**
   * Slice mode: lengthens a grant by up to grantSeconds if the balance allows. Returns the grant
   * as it now stands (maxDurationMs never shrinks).
   */
  extend(reservationId: number): Grant | { readonly ok: false; readonly code: 'SSW_ERR_BILLING_NO_RESERVATION' } {
    const r = this.#reservations.get(reservationId);
    if (r === undefined) return { ok: false, code: 'SSW_ERR_BILLING_NO_RESERVATION' };
    if (this.#grantSeconds === null || !r.account.prepaid || r.capS >= r.hardCapS) return this.#grant(r);
    const a = r.account;
    const capS = Math.min(r.hardCapS, r.capS + this.#grantSeconds);
    const pkgAvail = r.pkg === null ? 0 : usableSeconds(r.pkg) + r.pkgSeconds;
    const available = a.balance + a.creditLimit - a.reserved + r.money;
    const billed = maxAffordableBilledSeconds(r.row, available, pkgAvail, r.settings.feePrecision, capS);
    const maxMs = maxHoldMsFor(billed, capS, r.settings.holdTimePrecisionMs);
    if (maxMs <= r.maxDurationMs) return this.#grant(r);
    const pkgSeconds = Math.min(pkgAvail, billed);
    const money = costOfBilled(r.row, billed, pkgSeconds, r.settings.feePrecision);
    a.reserved += money - r.money;
    if (r.pkg !== null) r.pkg.reserved += pkgSeconds - r.pkgSeconds;
    Object.assign(r, { capS, money, pkgSeconds, maxBilledSeconds: billed, maxDurationMs: maxMs });
    return this.#grant(r);
  }

  /**
   * Rates the finished call, debits the customer (and the vendor's clearing account when given),
   * releases the reservation and records the ledger entries. Settling twice is refused.
   */
  settle(reservationId: number, holdMs: number, now: number, vendor?: VendorInput): SettleResult {
    const r = this.#reservations.get(reservationId);
    if (r === undefined) return { ok: false, code: 'SSW_ERR_BILLING_NO_RESERVATION' };
    const a = r.account;
    const pkgAvail = r.pkg === null || !pkgUsable(r.pkg, r.startMs) ? 0 : usableSeconds(r.pkg) + r.pkgSeconds;
    const rated = rateCall(r.row, holdMs, r.settings, pkgAvail);
    let vendorCharge: VendorCharge | null = null;
    let vendorAccount: AccountState | undefined;
    if (vendor !== undefined) {
      vendorAccount = this.#get(vendor.accountId);
      const group = vendorAccount.rateGroup === null ? undefined : this.#groups.get(vendorAccount.rateGroup);
      const vr = group === undefined ? null : rateVendor(group, vendor.callee, r.startMs, holdMs, r.settings);
      vendorCharge = { accountId: vendor.accountId, rated: vr !== null && vr.ok ? vr.rated : null, cost: vr !== null && vr.ok ? vr.rated.fee : 0n, entry: null };
    }
    let entry: LedgerEntry | null = null;
    if (rated.fee !== 0n || rated.packageSeconds !== 0) {
      entry = this.#record(a, now, 'call', -rated.fee, `call:${r.id}`, r.pkg === null || rated.packageSeconds === 0 ? null : r.pkg.id, rated.packageSeconds);
    }
    // the customer entry is in the sink and applied: from here the reservation is gone
    this.#reservations.delete(r.id);
    a.reserved -= r.money;
    a.active--;
    if (r.pkg !== null) {
      r.pkg.reserved -= r.pkgSeconds;
      r.pkg.remaining = Math.max(0, r.pkg.remaining - rated.packageSeconds);
    }
    if (vendorCharge !== null && vendorAccount !== undefined && vendorCharge.cost !== 0n) {
      vendorCharge = { ...vendorCharge, entry: this.#record(vendorAccount, now, 'call', -vendorCharge.cost, `call:${r.id}`, null, 0) };
    }
    return { ok: true, accountId: a.id, rated, entry, vendor: vendorCharge, margin: rated.fee - (vendorCharge?.cost ?? 0n) };
  }

  /** Drops a reservation without charge (the call failed before answer). */
  release(reservationId: number): boolean {
    const r = this.#reservations.get(reservationId);
    if (r === undefined) return false;
    this.#reservations.delete(reservationId);
    r.account.reserved -= r.money;
    r.account.active--;
    if (r.pkg !== null) r.pkg.reserved -= r.pkgSeconds;
    return true;
  }

  /** Adds money (> 0) and extends expiry by SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY. */
  recharge(accountId: string, amount: Money, now: number, memo = 'recharge'): LedgerEntry {
    if (amount <= 0n) throw badAmount(`a recharge must be positive, got ${amount}`);
    const a = this.#get(accountId);
    const expiresAt = a.expiresAt === null ? null : Math.max(a.expiresAt, now) + this.#settings.payDelayExpireDays * DAY_MS;
    return this.#record(a, now, 'recharge', amount, memo, null, 0, expiresAt);
  }

  /** Corrects a balance by a signed non-zero amount, with a memo saying why. */
  adjust(accountId: string, amount: Money, now: number, memo: string): LedgerEntry {
    if (amount === 0n) throw badAmount('an adjustment must not be zero');
    return this.#record(this.#get(accountId), now, 'adjustment', amount, memo, null, 0);
  }

  #grant(r: Reservation): Grant {
    const g = this.#grantSeconds;
    const sliceMs = g === null ? 0 : maxHoldMsFor(r.capS, r.capS, r.settings.holdTimePrecisionMs);
    return {
      ok: true, reservationId: r.id, row: r.row, maxDurationMs: r.maxDurationMs, maxBilledSeconds: r.maxBilledSeconds,
      reserved: r.money, packageSeconds: r.pkgSeconds, packageId: r.pkg === null || r.pkgSeconds === 0 ? null : r.pkg.id, settings: r.settings,
      extendable: g !== null && r.account.prepaid && r.capS < r.hardCapS && r.maxDurationMs >= sliceMs,
    };
  }

  /** The checks in the order, then the most this call may bill within capS. */
  #evaluate(a: AccountState, callee: string, now: number, capS: number, forCall: boolean): Evaluation | Refusal {
    const group = a.rateGroup === null ? undefined : this.#groups.get(a.rateGroup);
    const found = group?.lookup(callee, now);
    if (found === undefined || !found.ok) return refusal('No matching rate');
    if (a.locked) return refusal('Account locked');
    if (a.expiresAt !== null && now >= a.expiresAt) return refusal('Account expired');
    if (forCall && a.maxConcurrent > 0 && a.active >= a.maxConcurrent) return refusal('Account concurrency limit');
    const row = found.row;
    const pkg = pickPackage(a, callee, now);
    const pkgAvail = pkg === null ? 0 : usableSeconds(pkg);
    const available = a.balance + a.creditLimit - a.reserved;
    const prec = this.#settings.feePrecision;
    const holdPrec = this.#settings.holdTimePrecisionMs;
    if (!a.prepaid) {
      // postpaid: refused only when even the first period is beyond the credit; never cut for money
      if (costOfBilled(row, row.firstPeriod, pkgAvail, prec) > available) return refusal('Insufficient balance');
      const billed = Math.min(capS, MAX_GRANT_SECONDS);
      return { row, pkg, billed, cost: 0n, pkgSeconds: 0, maxDurationMs: maxHoldMsFor(billed, capS, holdPrec) };
    }
    const billed = maxAffordableBilledSeconds(row, available, pkgAvail, prec, capS);
    if (billed === 0) return refusal('Insufficient balance');
    const pkgSeconds = Math.min(pkgAvail, billed);
    return {
      row, pkg, billed, pkgSeconds, cost: costOfBilled(row, billed, pkgSeconds, prec),
      maxDurationMs: maxHoldMsFor(billed, capS, holdPrec),
    };
  }

  #record(a: AccountState, now: number, reason: LedgerReason, amount: Money, ref: string, packageId: string | null, packageSeconds: number, expiresAt = a.expiresAt): LedgerEntry {
    const entry: LedgerEntry = Object.freeze({
      seq: this.#seq + 1, accountId: a.id, at: now, reason, amount, balance: a.balance + amount, ref, packageId, packageSeconds, expiresAt,
    });
    this.#sink?.onLedgerEntry(entry); // write-ahead: if the sink throws, nothing below happens
    this.#seq++;
    a.balance = entry.balance;
    a.expiresAt = expiresAt;
    a.ledger.push(entry);
    if (a.ledger.length > this.#ledgerLimit * 2) {
      // fold the older half into the opening balance so the audit invariant still holds
      const old = a.ledger.splice(0, a.ledger.length - this.#ledgerLimit);
      for (const e of old) a.opening += e.amount;
    }
    return entry;
  }

  #get(id: string): AccountState {
    const a = this.#accounts.get(id);
    if (a === undefined) throw noAccount(`no account ${id}`);
    return a;
  }
}

function capOf(settings: BillingSettings, options: AuthorizeOptions): number {
  return Math.min(settings.maxCallDurationS ?? Infinity, options.maxDurationS ?? Infinity);
}

function checkPackage(p: PackageInit): void {
  if (!Number.isInteger(p.freeSeconds) || p.freeSeconds < 0) throw badAccount(`package ${p.id}: free seconds must be an integer >= 0`);
}

function packageState(p: PackageInit): PackageState {
  return { id: p.id, prefixes: [...p.prefixes], freeSeconds: p.freeSeconds, remaining: Math.max(0, p.freeSeconds - (p.usedSeconds ?? 0)), reserved: 0, expiresAt: p.expiresAt };
}

// The earliest expiry is used first, so free time that would lapse is not wasted.
function sortPackages(a: AccountState): void {
  a.packages.sort((x, y) => (x.expiresAt ?? Infinity) - (y.expiresAt ?? Infinity));
}

function usableSeconds(p: PackageState): number {
  return Math.max(0, p.remaining - p.reserved);
}

function pkgUsable(p: PackageState, now: number): boolean {
  return p.expiresAt === null || now < p.expiresAt;
}

/** The first package (earliest expiry) in force at `now` that covers `callee` and has time left. */
function pickPackage(a: AccountState, callee: string, now: number): PackageState | null {
  for (const p of a.packages) {
    if (!pkgUsable(p, now) || usableSeconds(p) === 0) continue;
    if (p.prefixes.some((x) => callee.startsWith(x))) return p;
  }
  return null;
}

/** Rates a call's cost to us with a vendor (clearing) rate group, by the row in force at its start. */
export function rateVendor(group: RateGroup, callee: string, startMs: number, holdMs: number, settings: BillingSettings): { readonly ok: true; readonly rated: RatedCall } | Refusal {
  const found = group.lookup(callee, startMs);
  if (!found.ok) return refusal('No matching rate');
  return { ok: true, rated: rateCall(found.row, holdMs, settings) };
}
