/**
 * Pure rating: hold time -> rounded hold -> billed seconds -> fee, every step exact and shown.
 * Rules (docs/billing.md):
 *  - hold time is rounded UP to a multiple of SERVER_BILLING_HOLD_TIME_PRECISION (ms);
 *  - a rounded hold of 0 bills nothing, not even the connection fee;
 *  - otherwise billed = first period, then whole next periods (a started period is billed);
 *  - package seconds cover the start of the billed time; money covers the rest, at the rate of
 *    the section each second falls in; the connection fee is due when any second is paid in money;
 *  - the fee is summed exactly as a fraction and rounded UP once, at SERVER_BILLING_FEE_PRECISION.
 */
import { ceilDiv, floorDiv, precisionStep, type Money } from './money.js';
import type { BillingSettings } from './settings.js';

export type CallType = 'on-net' | 'local' | 'national' | 'international' | 'other';
export const CALL_TYPES: readonly CallType[] = ['on-net', 'local', 'national', 'international', 'other'];

/** From `afterSeconds` of billed time on, seconds cost `ratePerMinute`. */
export interface RateSection {
  readonly afterSeconds: number;
  readonly ratePerMinute: Money;
}

export interface RateRow {
  /** Digits; the longest matching prefix of the callee wins. */
  readonly prefix: string;
  readonly areaName: string;
  readonly callType: CallType;
  readonly ratePerMinute: Money;
  /** First billing period in seconds (the 6 of 6/6). */
  readonly firstPeriod: number;
  /** Every later period in seconds (the second 6 of 6/6). */
  readonly nextPeriod: number;
  readonly connectionFee: Money;
  /** Stepped rates, ascending `afterSeconds`, all > 0. */
  readonly sections: readonly RateSection[];
  /** Epoch ms from which this row rates calls that start then or later. */
  readonly effectiveFrom: number;
  /** A locked row refuses calls to its prefix (it does not fall through to a shorter prefix). */
  readonly locked: boolean;
}

/** Every intermediate figure of one rating, for the CDR and for disputes. */
export interface RatedCall {
  readonly prefix: string;
  readonly ratePerMinute: Money;
  readonly firstPeriod: number;
  readonly nextPeriod: number;
  /** Hold time as measured (ms, may be fractional). */
  readonly holdMs: number;
  /** Hold time after SERVER_BILLING_HOLD_TIME_PRECISION (ms). */
  readonly roundedHoldMs: number;
  readonly billedSeconds: number;
  /** Billed seconds covered by the package (free minutes). */
  readonly packageSeconds: number;
  /** Billed seconds paid in money. */
  readonly chargedSeconds: number;
  /** Connection fee actually charged (0 when nothing was paid in money). */
  readonly connectionFee: Money;
  /** Total fee at the fee precision, rounded up; includes the connection fee. */
  readonly fee: Money;
  readonly feePrecision: number;
  readonly holdTimePrecisionMs: number;
}

/** Rounds a hold time up to a multiple of the precision; 0 stays 0. */
export function roundHoldMs(holdMs: number, precisionMs: number): number {
  if (!(holdMs > 0)) return 0; // also maps NaN and negatives (clock trouble) to 0
  return Math.ceil(holdMs / precisionMs) * precisionMs;
}

/** Billed seconds for a rounded hold time under first/next periods; 0 ms bills 0 s. */
export function billedSecondsFor(roundedHoldMs: number, firstPeriod: number, nextPeriod: number): number {
  if (roundedHoldMs <= 0) return 0;
  const firstMs = firstPeriod * 1000;
  if (roundedHoldMs <= firstMs) return firstPeriod;
  return firstPeriod + Math.ceil((roundedHoldMs - firstMs) / (nextPeriod * 1000)) * nextPeriod;
}

/**
 * Sum of rate x seconds over billed seconds [from, to), each second at the rate of the section
 * it falls in. The unit is (1e-7 currency) x seconds / minute: divide by 60 for money.
 */
export function rateSecondsNumerator(row: RateRow, from: number, to: number): bigint {
  if (to <= from) return 0n;
  let total = 0n;
  let rate = row.ratePerMinute;
  let segStart = 0;
  for (let i = 0; i <= row.sections.length; i++) {
    const segEnd = i < row.sections.length ? row.sections[i]!.afterSeconds : Infinity;
    const a = Math.max(from, segStart);
    const b = Math.min(to, segEnd);
    if (b > a) total += rate * BigInt(b - a);
    if (segEnd >= to) break;
    segStart = segEnd;
    rate = row.sections[i]!.ratePerMinute;
  }
  return total;
}

/** Money due for `billedSeconds` of which the first `packageSeconds` are free; rounded up. */
export function costOfBilled(row: RateRow, billedSeconds: number, packageSeconds: number, feePrecision: number): Money {
  if (billedSeconds <= packageSeconds) return 0n;
  // connection fee x 60 keeps it in the same per-minute-seconds unit, so one division rounds once
  const numerator = row.connectionFee * 60n + rateSecondsNumerator(row, packageSeconds, billedSeconds);
  const step = precisionStep(feePrecision);
  return ceilDiv(numerator, 60n * step) * step;
}

/** Rates one finished call with the row in force at its start; pure. */
export function rateCall(row: RateRow, holdMs: number, settings: BillingSettings, packageSecondsAvailable = 0): RatedCall {
  const roundedHoldMs = roundHoldMs(holdMs, settings.holdTimePrecisionMs);
  const billedSeconds = billedSecondsFor(roundedHoldMs, row.firstPeriod, row.nextPeriod);
  const packageSeconds = Math.min(Math.max(0, Math.floor(packageSecondsAvailable)), billedSeconds);
  const fee = costOfBilled(row, billedSeconds, packageSeconds, settings.feePrecision);
  return {
    prefix: row.prefix,
    ratePerMinute: row.ratePerMinute,
    firstPeriod: row.firstPeriod,
    nextPeriod: row.nextPeriod,
    holdMs,
    roundedHoldMs,
    billedSeconds,
    packageSeconds,
    chargedSeconds: billedSeconds - packageSeconds,
    connectionFee: billedSeconds > packageSeconds ? row.connectionFee : 0n,
    fee,
    feePrecision: settings.feePrecision,
    holdTimePrecisionMs: settings.holdTimePrecisionMs,
  };
}

/** Longest search for an affordable duration when no cap applies: 7 days. */
export const MAX_GRANT_SECONDS = 7 * 86_400;

/**
 * The most billed seconds (0, or first + k x next) whose cost fits `available`, at most
 * `capSeconds` of hold time. 0 means not even the first period (with its connection fee) fits.
 * Without sections this is closed-form; with sections, a binary search (cost never decreases
 * with k because rates are never negative). Both are exact.
 */
export function maxAffordableBilledSeconds(
  row: RateRow, available: Money, packageSeconds: number, feePrecision: number, capSeconds: number,
): number {
  const cap = Math.min(capSeconds, MAX_GRANT_SECONDS);
  if (cap < 1 || costOfBilled(row, row.firstPeriod, packageSeconds, feePrecision) > available) return 0;
  // k periods beyond the first; the cap bounds hold time, so allow one period that the cap cuts
  const kCap = Math.max(0, Math.ceil((cap - row.firstPeriod) / row.nextPeriod));
  if (row.sections.length > 0) return row.firstPeriod + searchPeriods(row, available, packageSeconds, feePrecision, kCap) * row.nextPeriod;
  // cost(B) = ceil(N / 60q) x q <= A  <=>  N <= 60q x floor(A / q), N = 60 fee + rate x (B - P)
  const step = precisionStep(feePrecision);
  const budget = 60n * step * floorDiv(available, step) - 60n * row.connectionFee;
  let most: number; // most billed seconds the money allows (Infinity: free)
  if (budget < 0n) most = packageSeconds; // only what the package covers
  else if (row.ratePerMinute === 0n) most = Infinity;
  else most = packageSeconds + Number(budget / row.ratePerMinute);
  const k = most === Infinity ? kCap : Math.floor((most - row.firstPeriod) / row.nextPeriod);
  return row.firstPeriod + Math.max(0, Math.min(kCap, k)) * row.nextPeriod;
}

/** Largest k in [0, kCap] with cost(first + k x next) <= available, given cost(first) fits. */
export function searchPeriods(row: RateRow, available: Money, packageSeconds: number, feePrecision: number, kCap: number): number {
  let lo = 0;
  let hi = kCap;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (costOfBilled(row, row.firstPeriod + mid * row.nextPeriod, packageSeconds, feePrecision) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Longest hold time (ms) whose rounded hold still bills at most `billedSeconds` and stays within
 * `capSeconds`: the moment a prepaid call must be cut.
 */
export function maxHoldMsFor(billedSeconds: number, capSeconds: number, holdTimePrecisionMs: number): number {
  const limitMs = Math.min(billedSeconds, capSeconds) * 1000;
  // rounded = ceil(h / p) x p <= limit  <=>  h <= floor(limit / p) x p
  return Math.floor(limitMs / holdTimePrecisionMs) * holdTimePrecisionMs;
}
