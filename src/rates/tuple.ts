/**
 * A rate row as the values of one `rates` insert after its rate_group (the store's RateTuple),
 * JSON-safe (money as integer strings: INTEGER affinity in SQLite and MySQL's BIGINT take them
 * exactly), and back. Shared by the rate workers (which send rows to the store and read them
 * back at start) and the admin API's single-row writes.
 */
import { CALL_TYPES, type CallType, type RateRow, type RateSection } from '../billing/index.js';
import type { RateTuple } from '../store/index.js';

/** prefix, area_name, rate, connection_fee, first_period, next_period, effective_time, locked, extra. */
export type StoreTuple = RateTuple;

/** The `extra` JSON of a row (call type, sections), or null for the defaults (international, none). */
export function extraOf(r: RateRow): string | null {
  if (r.callType === 'international' && r.sections.length === 0) return null;
  return JSON.stringify({ callType: r.callType, sections: r.sections.map((s) => [s.afterSeconds, s.ratePerMinute.toString()]) });
}

export function storeTuple(r: RateRow): StoreTuple {
  return [r.prefix, r.areaName, r.ratePerMinute.toString(), r.connectionFee.toString(), r.firstPeriod, r.nextPeriod, r.effectiveFrom, r.locked ? 1 : 0, extraOf(r)];
}

/** A stored row's values back as a RateRow (not validated: see rateRowProblem). */
export function rowFromTuple(t: Readonly<StoreTuple>): RateRow {
  const [prefix, areaName, rate, fee, firstPeriod, nextPeriod, effectiveFrom, locked, extra] = t;
  let callType: CallType = 'international';
  let sections: RateSection[] = [];
  if (extra) {
    const x = JSON.parse(extra) as { callType?: string; sections?: Array<[number, string]> };
    if (x.callType && (CALL_TYPES as readonly string[]).includes(x.callType)) callType = x.callType as CallType;
    sections = (x.sections ?? []).map(([afterSeconds, r]) => ({ afterSeconds: Number(afterSeconds), ratePerMinute: BigInt(r) }));
  }
  return {
    prefix, areaName, callType, ratePerMinute: BigInt(rate), firstPeriod: Number(firstPeriod), nextPeriod: Number(nextPeriod),
    connectionFee: BigInt(fee), sections, effectiveFrom: Number(effectiveFrom), locked: Number(locked) !== 0,
  };
}
