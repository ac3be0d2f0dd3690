/**
 * Rate groups: named sets of rate rows, looked up by longest prefix among the rows in force at
 * the call's start. The prefix index is pluggable so the WASM trie (`PrefixTable`, routing's
 * issue) can replace the Map-based default without touching billing.
 */
import { createError } from '../util/errors.js';
import { CALL_TYPES, type RateRow } from './rating.js';
import { checkPacked, packedPrefixes, packedRow, packRateRows, PackedPrefixIndex, type PackedRates } from './packed-rates.js';

/** What billing needs from a prefix index: every stored prefix of `number`, longest first. */
export interface PrefixIndex {
  lookup(number: string): Array<{ value: number; length: number }>;
}

/** Builds an index over `prefixes`; `value` of a hit is the position in that array. */
export type PrefixIndexFactory = (prefixes: readonly string[]) => PrefixIndex;

/** The default index: one Map probe per candidate length, longest first. */
export class MapPrefixIndex implements PrefixIndex {
  readonly #map = new Map<string, number>();
  readonly #lengths: number[];

  constructor(prefixes: readonly string[]) {
    const lengths = new Set<number>();
    prefixes.forEach((p, i) => {
      this.#map.set(p, i);
      lengths.add(p.length);
    });
    this.#lengths = [...lengths].sort((a, b) => b - a);
  }

  /** Every stored prefix of `number`, longest first. */
  lookup(number: string): Array<{ value: number; length: number }> {
    const out: Array<{ value: number; length: number }> = [];
    for (const len of this.#lengths) {
      if (len > number.length) continue;
      const v = this.#map.get(number.slice(0, len));
      if (v !== undefined) out.push({ value: v, length: len });
    }
    return out;
  }
}

export const mapPrefixIndex: PrefixIndexFactory = (prefixes) => new MapPrefixIndex(prefixes);

export type RateLookup =
  | { readonly ok: true; readonly row: RateRow }
  | { readonly ok: false; readonly why: 'no-rate' | 'locked' };

const PREFIX = /^[0-9]{1,32}$/;
/** Rates above 1,000,000 per minute are typos, not tariffs; also keeps products far from 2^53. */
const MAX_RATE = 1_000_000n * 10_000_000n;

/** Why a row cannot be used, or null when it is valid. */
export function rateRowProblem(row: RateRow): string | null {
  if (!PREFIX.test(row.prefix)) return 'prefix must be 1 to 32 digits';
  if (!CALL_TYPES.includes(row.callType)) return `call type must be one of ${CALL_TYPES.join(', ')}`;
  if (row.ratePerMinute < 0n || row.ratePerMinute > MAX_RATE) return 'rate must be 0 .. 1000000';
  if (row.connectionFee < 0n || row.connectionFee > MAX_RATE) return 'connection fee must be 0 .. 1000000';
  if (!isPeriod(row.firstPeriod)) return 'first period must be an integer 1 .. 86400 s';
  if (!isPeriod(row.nextPeriod)) return 'next period must be an integer 1 .. 86400 s';
  if (!Number.isSafeInteger(row.effectiveFrom) || row.effectiveFrom < 0) return 'effective time must be epoch ms >= 0';
  let last = 0;
  for (const s of row.sections) {
    if (!Number.isInteger(s.afterSeconds) || s.afterSeconds <= last || s.afterSeconds > 86_400 * 7) {
      return 'section times must be ascending integers > 0 s';
    }
    if (s.ratePerMinute < 0n || s.ratePerMinute > MAX_RATE) return 'section rate must be 0 .. 1000000';
    last = s.afterSeconds;
  }
  return null;
}

function isPeriod(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 86_400;
}

const badRateGroup = createError('SSW_ERR_BILLING_RATE_GROUP', 400);

/** Where a group's rows live: row objects, or packed arrays from a worker. */
interface SlotSource {
  readonly size: number;
  /** The newest row of `slot` with effectiveFrom <= atMs, or undefined. */
  find(slot: number, atMs: number): RateRow | undefined;
  rows(): readonly RateRow[];
  /** The rows as packed arrays (a packed group's own, else packed now). */
  packed(): PackedRates;
}

/** Rows given as objects: a Map by prefix built (and validated) in the constructor. */
class RowSlots implements SlotSource {
  readonly prefixes: string[];
  readonly #slots: Array<RateRow | RateRow[]>;
  readonly #rows: readonly RateRow[];
  #packed: PackedRates | undefined;

  constructor(name: string, rows: readonly RateRow[]) {
    // one Map entry per prefix holding the row itself: a 1,000,000-row deck makes no arrays
    const byPrefix = new Map<string, RateRow | RateRow[]>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const problem = rateRowProblem(row);
      if (problem !== null) throw badRateGroup(`rate group ${name}, row ${i + 1} (${row.prefix}): ${problem}`, { row: i + 1 });
      const had = byPrefix.get(row.prefix);
      if (had === undefined) byPrefix.set(row.prefix, row);
      else if (Array.isArray(had)) had.push(row);
      else byPrefix.set(row.prefix, [had, row]);
    }
    this.prefixes = [...byPrefix.keys()];
    this.#slots = this.prefixes.map((p) => {
      const slot = byPrefix.get(p)!;
      if (!Array.isArray(slot)) return slot;
      slot.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
      for (let i = 1; i < slot.length; i++) {
        if (slot[i]!.effectiveFrom === slot[i - 1]!.effectiveFrom) {
          throw badRateGroup(`rate group ${name}: two rows for prefix ${p} take effect at the same time`, { prefix: p });
        }
      }
      return slot;
    });
    this.#rows = Object.freeze(rows.slice());
  }

  get size(): number {
    return this.#rows.length;
  }

  find(slot: number, atMs: number): RateRow | undefined {
    const s = this.#slots[slot]!;
    if (!Array.isArray(s)) return (s as RateRow).effectiveFrom <= atMs ? (s as RateRow) : undefined;
    const list = s as readonly RateRow[];
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.effectiveFrom <= atMs) return list[i];
    }
    return undefined;
  }

  rows(): readonly RateRow[] {
    return this.#rows;
  }

  packed(): PackedRates {
    // shared: packed to be posted to a worker (an edit's or a merge's base), which then reads it in place
    return (this.#packed ??= packRateRows(this.#rows, undefined, { shared: true }));
  }
}

/** Rows packed by a worker: wrapping costs nothing per row; rows are built when first used. */
class PackedSlots implements SlotSource {
  readonly #p: PackedRates;
  readonly #cache = new Map<number, RateRow>();

  constructor(p: PackedRates) {
    checkPacked(p);
    this.#p = p;
  }

  get size(): number {
    return this.#p.count;
  }

  find(slot: number, atMs: number): RateRow | undefined {
    const p = this.#p;
    for (let i = p.slotStart[slot + 1]! - 1; i >= p.slotStart[slot]!; i--) {
      if (p.effectiveFrom[i]! <= atMs) {
        let row = this.#cache.get(i);
        if (row === undefined) this.#cache.set(i, (row = packedRow(p, slot, i)));
        return row;
      }
    }
    return undefined;
  }

  rows(): readonly RateRow[] {
    const p = this.#p;
    const out: RateRow[] = [];
    for (let s = 0; s < p.slots; s++) for (let i = p.slotStart[s]!; i < p.slotStart[s + 1]!; i++) out.push(packedRow(p, s, i));
    return out;
  }

  packed(): PackedRates {
    return this.#p;
  }
}

/** An immutable rate group; build a new one to change it and swap it in whole. */
export class RateGroup {
  readonly name: string;
  #index: PrefixIndex;
  #source: SlotSource;

  /** Validates every row (throws SSW_ERR_BILLING_RATE_GROUP naming the first bad one). */
  constructor(name: string, rows: readonly RateRow[], indexFactory: PrefixIndexFactory = mapPrefixIndex) {
    this.name = name;
    const source = new RowSlots(name, rows);
    this.#source = source;
    this.#index = indexFactory(source.prefixes);
  }

  /**
   * Wraps rows packed by `packRateRows` (in a worker, from validated rows) in O(1). By default
   * lookups use the packed hash table; pass a PrefixIndex over `packedPrefixes(packed)` (the WASM
   * trie, built in the worker) or a factory to use another index.
   */
  static fromPacked(name: string, packed: PackedRates, index?: PrefixIndex | PrefixIndexFactory): RateGroup {
    const g = new RateGroup(name, []);
    const source = new PackedSlots(packed);
    g.#source = source;
    g.#index = index === undefined ? new PackedPrefixIndex(packed) : typeof index === 'function' ? index(packedPrefixes(packed)) : index;
    return g;
  }

  /** Number of rows (all effective times). */
  get size(): number {
    return this.#source.size;
  }

  /** All rows (materialized for a packed group: for export, not for the call path). */
  rows(): readonly RateRow[] {
    return this.#source.rows();
  }

  /** The rows as packed arrays, e.g. to send a copy to a worker as the base of a merge. */
  packed(): PackedRates {
    return this.#source.packed();
  }

  /**
   * Every stored prefix of `callee`, longest first, with the row in force at `atMs` (null when
   * that prefix has only future rows): what `lookup` walks, for "explain".
   */
  explain(callee: string, atMs: number): Array<{ readonly prefix: string; readonly row: RateRow | null }> {
    return this.#index.lookup(callee).map((hit) => ({ prefix: callee.slice(0, hit.length), row: this.#source.find(hit.value, atMs) ?? null }));
  }

  /**
   * The row for `callee` at `atMs`: the longest prefix that has a row in force then (the newest
   * row whose effectiveFrom <= atMs). A locked row in force refuses; it does not fall through.
   */
  lookup(callee: string, atMs: number): RateLookup {
    for (const hit of this.#index.lookup(callee)) {
      const row = this.#source.find(hit.value, atMs);
      if (row === undefined) continue; // only future rows for this prefix: as if absent
      return row.locked ? { ok: false, why: 'locked' } : { ok: true, row };
    }
    return { ok: false, why: 'no-rate' };
  }
}
