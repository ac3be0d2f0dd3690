/**
 * Rate rows packed into typed arrays, so a Piscina worker can parse and validate a
 * 1,000,000-row deck, pack it, and transfer the buffers: the main thread then wraps them in a
 * RateGroup without touching each row (no event-loop stall). Rows are sorted by prefix, then
 * effectiveFrom, so each prefix is one contiguous run ("slot"); slot s is rows
 * slotStart[s] .. slotStart[s+1]-1, and `prefixes(p)[s]` is its prefix for the trie.
 */
import { createError } from '../util/errors.js';
import { CALL_TYPES, type RateRow, type RateSection } from './rating.js';

export interface PackedRates {
  readonly count: number;
  readonly slots: number;
  readonly rate: BigInt64Array;
  readonly connectionFee: BigInt64Array;
  readonly firstPeriod: Int32Array;
  readonly nextPeriod: Int32Array;
  readonly effectiveFrom: Float64Array;
  /** bit 0: locked; bits 1..3: index into CALL_TYPES. */
  readonly flags: Uint8Array;
  /** Per slot, first row; slots + 1 entries. */
  readonly slotStart: Uint32Array;
  /** UTF-16 code units of every slot's prefix then every row's area name; offsets in textStart. */
  readonly text: Uint16Array;
  /** slots + count + 1 offsets: prefix of slot s at s, area name of row i at slots + i. */
  readonly textStart: Uint32Array;
  /** Sections, rare: row index, afterSeconds, rate; grouped by row in row order. */
  readonly sectionRow: Int32Array;
  readonly sectionAfter: Int32Array;
  readonly sectionRate: BigInt64Array;
  /** Open-addressing table of slot numbers by prefix hash; -1 = empty; length a power of 2. */
  readonly hashTable: Int32Array;
  readonly maxPrefixLength: number;
}

const badPacked = createError('SSW_ERR_BILLING_PACKED', 500);

/** One step of FNV-1a over a UTF-16 code unit: hashing a prefix digit by digit lets the lookup
 * hash every prefix of a number in one pass. `Math.imul` keeps the product in 32 bits. */
function fnvStep(h: number, code: number): number {
  return Math.imul(h ^ code, 0x01000193) >>> 0;
}
const FNV_SEED = 0x811c9dc5;

/** Which rows share a prefix: slot of each row (0.. in order of first appearance) and the count. */
export interface RowGrouping {
  readonly slotOfRow: ArrayLike<number>;
  readonly slots: number;
}

/** Slot of each row by prefix, in order of first appearance. */
function groupRows(rows: readonly RateRow[]): RowGrouping {
  const slotOf = new Map<string, number>();
  const slotOfRow = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!.prefix;
    let s = slotOf.get(p);
    if (s === undefined) slotOf.set(p, (s = slotOf.size));
    slotOfRow[i] = s;
  }
  return { slotOfRow, slots: slotOf.size };
}

/**
 * Packs (already validated) rows in O(n): no sort but within a prefix's few rows. `grouping`,
 * when the caller already knows it (importRateDeck), saves building a Map over the prefixes.
 */
export function packRateRows(rows: readonly RateRow[], grouping: RowGrouping = groupRows(rows)): PackedRates {
  const n = rows.length;
  const { slotOfRow, slots } = grouping;
  const sizes = new Uint32Array(slots);
  for (let i = 0; i < n; i++) sizes[slotOfRow[i]!]!++;
  const slotStart = new Uint32Array(slots + 1);
  for (let s = 0; s < slots; s++) slotStart[s + 1] = slotStart[s]! + sizes[s]!;
  // counting placement: order[k] = index in `rows` of packed row k
  const fill = slotStart.slice(0, slots);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[slotOfRow[i]!]!++] = i;
  for (let s = 0; s < slots; s++) {
    if (sizes[s]! > 1) {
      const run = Array.from(order.subarray(slotStart[s]!, slotStart[s + 1]!)).sort((a, b) => rows[a]!.effectiveFrom - rows[b]!.effectiveFrom);
      order.set(run, slotStart[s]!);
    }
  }
  const rate = new BigInt64Array(n);
  const connectionFee = new BigInt64Array(n);
  const firstPeriod = new Int32Array(n);
  const nextPeriod = new Int32Array(n);
  const effectiveFrom = new Float64Array(n);
  const flags = new Uint8Array(n);
  const secRow: number[] = [];
  const secAfter: number[] = [];
  const secRate: bigint[] = [];
  const prefixes = Array.from({ length: slots }, (_, s) => rows[order[slotStart[s]!]!]!.prefix);
  let chars = 0;
  let maxPrefixLength = 0;
  for (const p of prefixes) {
    chars += p.length;
    if (p.length > maxPrefixLength) maxPrefixLength = p.length;
  }
  for (let k = 0; k < n; k++) {
    const r = rows[order[k]!]!;
    rate[k] = r.ratePerMinute;
    connectionFee[k] = r.connectionFee;
    firstPeriod[k] = r.firstPeriod;
    nextPeriod[k] = r.nextPeriod;
    effectiveFrom[k] = r.effectiveFrom;
    flags[k] = (r.locked ? 1 : 0) | (CALL_TYPES.indexOf(r.callType) << 1); // 5 call types fit in 3 bits
    chars += r.areaName.length;
    for (const sec of r.sections) {
      secRow.push(k);
      secAfter.push(sec.afterSeconds);
      secRate.push(sec.ratePerMinute);
    }
  }
  const text = new Uint16Array(chars);
  const textStart = new Uint32Array(slots + n + 1);
  let at = 0;
  const put = (t: string, slot: number): void => {
    for (let c = 0; c < t.length; c++) text[at++] = t.charCodeAt(c);
    textStart[slot + 1] = at;
  };
  for (let s = 0; s < slots; s++) put(prefixes[s]!, s);
  for (let k = 0; k < n; k++) put(rows[order[k]!]!.areaName, slots + k);
  // load factor <= 1/2 keeps linear-probe chains short
  let size = 2;
  while (size < slots * 2) size *= 2;
  const hashTable = new Int32Array(size).fill(-1);
  for (let s = 0; s < slots; s++) {
    const p = prefixes[s]!;
    let h = FNV_SEED;
    for (let c = 0; c < p.length; c++) h = fnvStep(h, p.charCodeAt(c));
    let i = h & (size - 1);
    while (hashTable[i] !== -1) i = (i + 1) & (size - 1);
    hashTable[i] = s;
  }
  return {
    count: n, slots, rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags, slotStart, text, textStart,
    sectionRow: Int32Array.from(secRow), sectionAfter: Int32Array.from(secAfter), sectionRate: BigInt64Array.from(secRate),
    hashTable, maxPrefixLength,
  };
}

/** A PrefixIndex over a packed group's own hash table: nothing to build on the main thread. */
export class PackedPrefixIndex {
  readonly #p: PackedRates;

  constructor(p: PackedRates) {
    this.#p = p;
  }

  /** Every slot whose prefix starts `number`, longest first; `value` is the slot. */
  lookup(number: string): Array<{ value: number; length: number }> {
    const p = this.#p;
    const mask = p.hashTable.length - 1;
    const out: Array<{ value: number; length: number }> = [];
    const max = Math.min(number.length, p.maxPrefixLength);
    let h = FNV_SEED;
    for (let len = 1; len <= max; len++) {
      h = fnvStep(h, number.charCodeAt(len - 1));
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const s = p.hashTable[i]!;
        if (s === -1) break;
        if (sameText(p, s, number, len)) {
          out.push({ value: s, length: len });
          break;
        }
      }
    }
    return out.reverse();
  }
}

/** True when text k equals number[0, len) (compared in place, no substring made). */
function sameText(p: PackedRates, k: number, number: string, len: number): boolean {
  const a = p.textStart[k]!;
  if (p.textStart[k + 1]! - a !== len) return false;
  for (let c = 0; c < len; c++) if (p.text[a + c] !== number.charCodeAt(c)) return false;
  return true;
}

/** The ArrayBuffers to pass as Piscina's transfer list (zero copy). */
export function packedTransferList(p: PackedRates): ArrayBuffer[] {
  return [p.rate, p.connectionFee, p.firstPeriod, p.nextPeriod, p.effectiveFrom, p.flags, p.slotStart, p.text, p.textStart, p.sectionRow, p.sectionAfter, p.sectionRate, p.hashTable]
    .map((a) => a.buffer as ArrayBuffer);
}

/** The prefix of every slot, in slot order: what a prefix index (Map or WASM trie) is built from. */
export function packedPrefixes(p: PackedRates): string[] {
  return Array.from({ length: p.slots }, (_, s) => textAt(p, s));
}

/** Throws SSW_ERR_BILLING_PACKED when the arrays do not fit together (a torn transfer). */
export function checkPacked(p: PackedRates): void {
  const n = p.count;
  const ok = p.rate.length === n && p.connectionFee.length === n && p.firstPeriod.length === n && p.nextPeriod.length === n
    && p.effectiveFrom.length === n && p.flags.length === n && p.slotStart.length === p.slots + 1 && p.slotStart[p.slots] === n
    && p.textStart.length === p.slots + n + 1 && p.textStart[p.slots + n] === p.text.length
    && p.sectionAfter.length === p.sectionRow.length && p.sectionRate.length === p.sectionRow.length
    && p.hashTable.length >= 2 && (p.hashTable.length & (p.hashTable.length - 1)) === 0 && p.hashTable.length >= p.slots * 2;
  if (!ok) throw badPacked('packed rate arrays do not agree in length');
}

/** Row i of slot `slot` as a RateRow (allocates; callers cache). */
export function packedRow(p: PackedRates, slot: number, i: number): RateRow {
  return {
    prefix: textAt(p, slot), areaName: textAt(p, p.slots + i), callType: CALL_TYPES[(p.flags[i]! >> 1) & 7]!,
    ratePerMinute: p.rate[i]!, firstPeriod: p.firstPeriod[i]!, nextPeriod: p.nextPeriod[i]!, connectionFee: p.connectionFee[i]!,
    sections: sectionsOf(p, i), effectiveFrom: p.effectiveFrom[i]!, locked: (p.flags[i]! & 1) === 1,
  };
}

function textAt(p: PackedRates, k: number): string {
  let out = '';
  for (let i = p.textStart[k]!; i < p.textStart[k + 1]!; i++) out += String.fromCharCode(p.text[i]!);
  return out;
}

function sectionsOf(p: PackedRates, i: number): RateSection[] {
  const rows = p.sectionRow;
  if (rows.length === 0) return [];
  // binary search for the first section of row i (sections are grouped in row order)
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < i) lo = mid + 1;
    else hi = mid;
  }
  const out: RateSection[] = [];
  for (let k = lo; k < rows.length && rows[k] === i; k++) out.push({ afterSeconds: p.sectionAfter[k]!, ratePerMinute: p.sectionRate[k]! });
  return out;
}
