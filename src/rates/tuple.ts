/**
 * A rate row as the values of one `rates` insert after its rate_group, JSON-safe (money as
 * integer strings: INTEGER affinity in SQLite and MySQL's BIGINT take them exactly). Shared by
 * the deck worker (which sends rows while it reads) and the store writer.
 */
import type { RateRow } from '../billing/index.js';

/** prefix, area_name, rate, connection_fee, first_period, next_period, effective_time, locked, extra. */
export type StoreTuple = [string, string, string, string, number, number, number, number, string | null];

/** The `extra` JSON of a row (call type, sections), or null for the defaults (international, none). */
export function extraOf(r: RateRow): string | null {
  if (r.callType === 'international' && r.sections.length === 0) return null;
  return JSON.stringify({ callType: r.callType, sections: r.sections.map((s) => [s.afterSeconds, s.ratePerMinute.toString()]) });
}

export function storeTuple(r: RateRow): StoreTuple {
  return [r.prefix, r.areaName, r.ratePerMinute.toString(), r.connectionFee.toString(), r.firstPeriod, r.nextPeriod, r.effectiveFrom, r.locked ? 1 : 0, extraOf(r)];
}
