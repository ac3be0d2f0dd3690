/**
 * What the routing engine asks of billing: the vendor's rate for a callee (for `leastCostRouting`
 * sorting), the minimum-profit and maximum-rate filters. All comparisons are exact.
 */
import type { Money } from './money.js';
import type { RateGroup } from './rate-table.js';

/** The vendor's base rate per minute for `callee` at `now`, or null when it has none (or locked). */
export function vendorRatePerMinute(group: RateGroup, callee: string, now: number): Money | null {
  const r = group.lookup(callee, now);
  return r.ok ? r.row.ratePerMinute : null;
}

/** Orders rates for least-cost routing: cheaper first, a missing rate last. Per-minute order = per-second order. */
export function compareRates(a: Money | null, b: Money | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * True when selling at `sell` and buying at `buy` leaves at least `minPercent` profit of the
 * sell rate. `minPercent` is a percentage with up to 4 decimals (e.g. 5 or 2.5).
 */
export function meetsMinProfit(sell: Money, buy: Money, minPercent: number): boolean {
  // percent in 1e-4 steps, so the test (sell - buy) / sell >= p / 100 stays in integers
  const p = BigInt(Math.round(minPercent * 10_000));
  return (sell - buy) * 1_000_000n >= p * sell;
}

/** True when the vendor rate is within the gateway's maximum rate (null = no maximum). */
export function withinMaxRate(buy: Money, maxRate: Money | null): boolean {
  return maxRate === null || buy <= maxRate;
}
