import { StoreErrors } from './errors.js';

const DAY_MS = 86_400_000;
// Every zone offset in use today is a multiple of 15 minutes, so the local day cannot change
// inside one 15-minute slot of UTC: caching the day per slot is exact and skips Intl per record.
const SLOT_MS = 900_000;

/** Maps epoch ms to the local calendar day (YYYYMMDD) of one IANA time zone. */
export class DayNamer {
  readonly timeZone: string;
  #fmt: Intl.DateTimeFormat;
  #cache = new Map<number, string>();

  constructor(timeZone: string) {
    try {
      this.#fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      throw StoreErrors.badTimeZone(`unknown time zone ${JSON.stringify(timeZone)}`);
    }
    this.timeZone = timeZone;
  }

  /** The local day of `ms` as 'YYYYMMDD'. */
  day(ms: number): string {
    const slot = Math.floor(ms / SLOT_MS);
    let d = this.#cache.get(slot);
    if (d === undefined) {
      const parts = this.#fmt.formatToParts(new Date(slot * SLOT_MS));
      const get = (t: string) => parts.find((p) => p.type === t)!.value;
      d = `${get('year')}${get('month')}${get('day')}`;
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(slot, d);
    }
    return d;
  }

  /** Every local day touched by [from, to], in order (from <= to). */
  daysBetween(from: number, to: number): string[] {
    const out: string[] = [];
    // Step by 6 h: a local day is at least 23 h long, so no day is skipped; dedupe neighbours.
    for (let t = from; ; t += DAY_MS / 4) {
      const d = this.day(Math.min(t, to));
      if (out[out.length - 1] !== d) out.push(d);
      if (t >= to) break;
    }
    return out;
  }
}

/** Table name of one day's CDRs. */
export function cdrTableName(day: string): string {
  return `cdr_${day}`;
}

/** Parses 'cdr_YYYYMMDD' back to its day, or null for other tables. */
export function dayOfCdrTable(name: string): string | null {
  const m = /^cdr_(\d{8})$/.exec(name);
  return m ? m[1]! : null;
}
