import { StoreErrors } from './errors.js';

/**
 * Money in the store is an integer count of 10^-MONEY_SCALE currency units (BIGINT columns),
 * matching SERVER_BILLING_FEE_PRECISION's default of 7 decimal places.
 */
export const MONEY_SCALE = 7;
const UNIT = 10n ** BigInt(MONEY_SCALE);

/** Parses a decimal string ("12.5", "-0.0000001") into minor units exactly; throws on bad input or excess precision. */
export function toMinor(decimal: string): bigint {
  const m = /^\s*(-?)(\d+)(?:\.(\d*))?\s*$/.exec(decimal);
  if (!m) throw StoreErrors.badMoney(`not a decimal amount: ${JSON.stringify(decimal)}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > MONEY_SCALE) throw StoreErrors.badMoney(`more than ${MONEY_SCALE} decimal places: ${decimal}`);
  const v = BigInt(m[2]!) * UNIT + BigInt((frac + '0'.repeat(MONEY_SCALE)).slice(0, MONEY_SCALE));
  return m[1] === '-' ? -v : v;
}

/** Formats minor units as the shortest exact decimal string ("12.5", "100", "-0.0000001"). */
export function formatMinor(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / UNIT;
  const frac = (a % UNIT).toString().padStart(MONEY_SCALE, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? '.' + frac : ''}`;
}
