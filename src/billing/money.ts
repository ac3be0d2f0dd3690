/**
 * Money as an exact integer: a `bigint` count of 1e-7 currency units (MONEY_SCALE = 7, the
 * largest SERVER_BILLING_FEE_PRECISION). Decimal strings convert both ways without loss; no
 * float ever holds an amount. Rounding to a coarser precision is explicit and named.
 */
import { createError } from '../util/errors.js';

/** An amount in 1e-7 currency units. */
export type Money = bigint;

/** Decimal places of the internal unit. */
export const MONEY_SCALE = 7;
/** 10^MONEY_SCALE: units per currency unit. */
export const MONEY_ONE: Money = 10_000_000n;

const POW10: readonly bigint[] = Array.from({ length: MONEY_SCALE + 1 }, (_, i) => 10n ** BigInt(i));

/** Accepts "12", "-0.5", "+3.", ".25", "0.0000001"; no exponent, no grouping, no spaces. */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export type MoneyParse =
  | { readonly ok: true; readonly value: Money }
  | { readonly ok: false; readonly code: 'SSW_ERR_BILLING_MONEY_SYNTAX' | 'SSW_ERR_BILLING_MONEY_PRECISION'; readonly reason: string };

/** Parses a decimal string exactly; never throws (malformed input is a result with a code). */
export function parseMoney(text: string): MoneyParse {
  const m = DECIMAL.exec(text);
  const int = m?.[2] ?? '';
  const frac = m?.[3] ?? '';
  if (m === null || int.length + frac.length === 0 || int.length > 30) {
    return { ok: false, code: 'SSW_ERR_BILLING_MONEY_SYNTAX', reason: `not a decimal amount: ${JSON.stringify(text.slice(0, 40))}` };
  }
  // Trailing zeros beyond the scale carry no value ("0.12500000" is 0.125): drop them first.
  const f = frac.replace(/0+$/, '');
  if (f.length > MONEY_SCALE) {
    return { ok: false, code: 'SSW_ERR_BILLING_MONEY_PRECISION', reason: `more than ${MONEY_SCALE} decimal places: ${text}` };
  }
  const units = BigInt((int === '' ? '0' : int) + f.padEnd(MONEY_SCALE, '0'));
  return { ok: true, value: m[1] === '-' ? -units : units };
}

const badMoney = createError('SSW_ERR_BILLING_MONEY', 400);

/** Parses a decimal string or throws SSW_ERR_BILLING_MONEY; for configuration and tests. */
export function money(text: string): Money {
  const r = parseMoney(text);
  if (!r.ok) throw badMoney(r.reason, { code: r.code });
  return r.value;
}

/**
 * Formats exactly with `decimals` places (0..7, default 7). The amount must already be a
 * multiple of that precision (use roundUp/roundHalfUp first); otherwise this throws, because
 * silently cutting digits off an amount is how money goes missing.
 */
export function formatMoney(value: Money, decimals: number = MONEY_SCALE): string {
  checkDecimals(decimals);
  const step = POW10[MONEY_SCALE - decimals]!;
  if (value % step !== 0n) throw badMoney(`amount ${value} has more than ${decimals} decimal places`);
  const neg = value < 0n;
  const digits = ((neg ? -value : value) / step).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  const body = decimals === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return neg ? `-${body}` : body;
}

/** Rounds toward +infinity to a multiple of 10^-decimals (a started unit is a whole unit). */
export function roundUp(value: Money, decimals: number): Money {
  checkDecimals(decimals);
  const step = POW10[MONEY_SCALE - decimals]!;
  return ceilDiv(value, step) * step;
}

/** Rounds to the nearest multiple of 10^-decimals, halves away from zero. */
export function roundHalfUp(value: Money, decimals: number): Money {
  checkDecimals(decimals);
  const step = POW10[MONEY_SCALE - decimals]!;
  const a = value < 0n ? -value : value;
  const r = ((a + step / 2n) / step) * step;
  return value < 0n ? -r : r;
}

/** ceil(a / b) for b > 0, exact for negative a too (bigint division truncates toward zero). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b > 0n ? q + 1n : q;
}

/** floor(a / b) for b > 0. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** 10^(MONEY_SCALE - decimals): the unit step of a precision. */
export function precisionStep(decimals: number): Money {
  checkDecimals(decimals);
  return POW10[MONEY_SCALE - decimals]!;
}

function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MONEY_SCALE) {
    throw badMoney(`precision must be an integer 0..${MONEY_SCALE}, got ${decimals}`);
  }
}
