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
export function packRateRows(rows: readonly RateRow[], grouping: RowGrouping = groupRows(rows), o: PackOptions = {}): PackedRates {
  const n = rows.length;
  const { i32, u32, u16, u8, f64, i64 } = arrays(o.shared === true);
  const { slotOfRow, slots } = grouping;
  const sizes = new Uint32Array(slots);
  for (let i = 0; i < n; i++) sizes[slotOfRow[i]!]!++;
  const slotStart = u32(slots + 1);
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
  const { rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags } = rowColumns(n, { i32, u8, f64, i64 });
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
  const text = u16(chars);
  const textStart = u32(slots + n + 1);
  let at = 0;
  const put = (t: string, slot: number): void => {
    for (let c = 0; c < t.length; c++) text[at++] = t.charCodeAt(c);
    textStart[slot + 1] = at;
  };
  for (let s = 0; s < slots; s++) put(prefixes[s]!, s);
  for (let k = 0; k < n; k++) put(rows[order[k]!]!.areaName, slots + k);
  const { sectionRow, sectionAfter, sectionRate } = sectionColumns(secRow, secAfter, secRate, { i32, i64 });
  return {
    count: n, slots, rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags, slotStart, text, textStart,
    sectionRow, sectionAfter, sectionRate, hashTable: prefixHashTable(text, textStart, slots, i32), maxPrefixLength,
  };
}

export interface PackOptions {
  /**
   * Allocate the arrays on SharedArrayBuffers: a packed group can then be posted to another thread
   * (the base of an edit or a merge, rows to store) without copying it and without the sender
   * losing it. The arrays are never written after packing, so sharing them is safe.
   */
  readonly shared?: boolean;
}

type Alloc<T> = (n: number) => T;

function arrays(shared: boolean): { i32: Alloc<Int32Array>; u32: Alloc<Uint32Array>; u16: Alloc<Uint16Array>; u8: Alloc<Uint8Array>; f64: Alloc<Float64Array>; i64: Alloc<BigInt64Array> } {
  const buf = (bytes: number): ArrayBuffer => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)) as ArrayBuffer;
  return {
    i32: (n) => new Int32Array(buf(n * 4)), u32: (n) => new Uint32Array(buf(n * 4)), u16: (n) => new Uint16Array(buf(n * 2)), u8: (n) => new Uint8Array(buf(n)),
    f64: (n) => new Float64Array(buf(n * 8)), i64: (n) => new BigInt64Array(buf(n * 8)),
  };
}

/** The per-row columns of `n` packed rows (zeroed). */
function rowColumns(n: number, a: Pick<ReturnType<typeof arrays>, 'i32' | 'u8' | 'f64' | 'i64'>) {
  return { rate: a.i64(n), connectionFee: a.i64(n), firstPeriod: a.i32(n), nextPeriod: a.i32(n), effectiveFrom: a.f64(n), flags: a.u8(n) };
}

/** The sections' columns (row, after seconds, rate) as packed arrays, from the lists gathered while packing. */
function sectionColumns(row: readonly number[], after: readonly number[], rate: readonly bigint[], a: Pick<ReturnType<typeof arrays>, 'i32' | 'i64'>) {
  const sectionRow = a.i32(row.length);
  const sectionAfter = a.i32(row.length);
  const sectionRate = a.i64(row.length);
  sectionRow.set(row);
  sectionAfter.set(after);
  sectionRate.set(rate);
  return { sectionRow, sectionAfter, sectionRate };
}

/** The open-addressing table of slot numbers by prefix hash over the slots' prefixes in `text`. */
function prefixHashTable(text: Uint16Array, textStart: Uint32Array, slots: number, i32: Alloc<Int32Array>): Int32Array {
  // load factor <= 1/2 keeps linear-probe chains short
  let size = 2;
  while (size < slots * 2) size *= 2;
  const hashTable = i32(size).fill(-1);
  for (let s = 0; s < slots; s++) {
    let h = FNV_SEED;
    for (let c = textStart[s]!; c < textStart[s + 1]!; c++) h = fnvStep(h, text[c]!);
    let i = h & (size - 1);
    while (hashTable[i] !== -1) i = (i + 1) & (size - 1);
    hashTable[i] = s;
  }
  return hashTable;
}

/** The slot of exactly `prefix`, or -1. */
export function packedSlotOf(p: PackedRates, prefix: string): number {
  let h = FNV_SEED;
  for (let c = 0; c < prefix.length; c++) h = fnvStep(h, prefix.charCodeAt(c));
  return probe(p, h, prefix, prefix.length);
}

/** The slot whose prefix is number[0, len), given that text's hash `h`; -1 when there is none. */
function probe(p: PackedRates, h: number, number: string, len: number): number {
  const mask = p.hashTable.length - 1;
  for (let i = h & mask; ; i = (i + 1) & mask) {
    const s = p.hashTable[i]!;
    if (s === -1) return -1;
    if (sameText(p, s, number, len)) return s;
  }
}

/** A row named by its prefix and effective time (what a rate edit replaces or deletes). */
export interface RowKey {
  readonly prefix: string;
  readonly effectiveFrom: number;
}

/**
 * A new packed group: `base` with the rows named in `remove` taken out and the rows of `put` set
 * (each replaces the row with the same prefix and effective time, if any). Runs of untouched rows
 * are copied array to array (TypedArray.set), never made into objects, and the prefix hash table
 * is shared with `base` when no prefix comes or goes, so a one-row edit of a 1,000,000-row group
 * costs a few tens of ms. `base` is not changed (it is the group in force meanwhile). Rows in `put`
 * must be valid (rateRowProblem) with distinct keys. A prefix left without rows loses its slot.
 */
export function editPacked(base: PackedRates, put: readonly RateRow[], remove: readonly RowKey[] = [], o: PackOptions = {}): PackedRates {
  const keyOf = (prefix: string, eff: number): string => `${prefix}\u0000${eff}`;
  const gone = new Set<string>();
  // touched prefixes: their base slot (-1 when new) and the rows they gain
  const touched = new Map<string, { slot: number; add: RateRow[] }>();
  const touch = (prefix: string) => {
    let t = touched.get(prefix);
    if (t === undefined) touched.set(prefix, (t = { slot: packedSlotOf(base, prefix), add: [] }));
    return t;
  };
  for (const k of remove) {
    touch(k.prefix);
    gone.add(keyOf(k.prefix, k.effectiveFrom));
  }
  for (const r of put) {
    const t = touch(r.prefix);
    if (t.add.some((x) => x.effectiveFrom === r.effectiveFrom)) throw badPacked(`two rows for prefix ${r.prefix} at the same effective time`);
    t.add.push(r);
    gone.add(keyOf(r.prefix, r.effectiveFrom));
  }
  // a touched slot's new run: base rows kept (index >= 0) and new rows (~k = newRows[k]), by effective time
  const newRows: RateRow[] = [];
  const runs = new Map<number, number[]>();
  const appended: Array<{ prefix: string; run: number[] }> = [];
  for (const [prefix, t] of touched) {
    const run: Array<{ src: number; eff: number }> = [];
    if (t.slot >= 0) {
      for (let i = base.slotStart[t.slot]!; i < base.slotStart[t.slot + 1]!; i++) {
        if (!gone.has(keyOf(prefix, base.effectiveFrom[i]!))) run.push({ src: i, eff: base.effectiveFrom[i]! });
      }
    }
    for (const r of t.add) run.push({ src: ~(newRows.push(r) - 1), eff: r.effectiveFrom });
    run.sort((a, b) => a.eff - b.eff);
    const srcs = run.map((x) => x.src);
    if (t.slot >= 0) runs.set(t.slot, srcs);
    else if (srcs.length > 0) appended.push({ prefix, run: srcs });
  }
  // The new rows as segments: a run of base rows [a, b), or one new row (a = ~k, b = -1); the new
  // slots likewise: a run of base slots, or an appended prefix. Consecutive base runs merge.
  const rowA: number[] = [];
  const rowB: number[] = [];
  const slotA: number[] = [];
  const slotB: number[] = [];
  const addRun = (a: number[], b: number[], from: number, to: number): void => {
    const n = a.length;
    if (n > 0 && a[n - 1]! >= 0 && b[n - 1] === from) b[n - 1] = to;
    else {
      a.push(from);
      b.push(to);
    }
  };
  const addRows = (run: readonly number[]): void => {
    for (const src of run) {
      if (src >= 0) addRun(rowA, rowB, src, src + 1);
      else {
        rowA.push(src);
        rowB.push(-1);
      }
    }
  };
  let removedSlots = 0;
  let runFrom = 0; // untouched base slots since the last touched one
  const flushSlots = (to: number): void => {
    if (to > runFrom) {
      addRun(slotA, slotB, runFrom, to);
      addRun(rowA, rowB, base.slotStart[runFrom]!, base.slotStart[to]!);
    }
  };
  const touchedSlots = [...runs.keys()].sort((a, b) => a - b);
  for (const s of touchedSlots) {
    flushSlots(s);
    runFrom = s + 1;
    const run = runs.get(s)!;
    if (run.length === 0) {
      removedSlots++;
      continue;
    }
    addRun(slotA, slotB, s, s + 1);
    addRows(run);
  }
  flushSlots(base.slots);
  for (let k = 0; k < appended.length; k++) {
    slotA.push(~k);
    slotB.push(-1);
    addRows(appended[k]!.run);
  }
  const slots = base.slots - removedSlots + appended.length;
  let count = base.count - [...runs.entries()].reduce((n, [s, r]) => n + (base.slotStart[s + 1]! - base.slotStart[s]!) - r.length, 0);
  for (const a of appended) count += a.run.length;

  const { i32, u32, u16, u8, f64, i64 } = arrays(o.shared === true);
  const { rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags } = rowColumns(count, { i32, u8, f64, i64 });
  const slotStart = u32(slots + 1);
  // text: every slot's prefix, then every row's area name
  let chars = 0;
  let maxPrefixLength = base.maxPrefixLength;
  for (let g = 0; g < slotA.length; g++) {
    const a = slotA[g]!;
    if (a >= 0) chars += base.textStart[slotB[g]!]! - base.textStart[a]!;
    else {
      const p = appended[~a]!.prefix;
      chars += p.length;
      if (p.length > maxPrefixLength) maxPrefixLength = p.length;
    }
  }
  for (let g = 0; g < rowA.length; g++) {
    const a = rowA[g]!;
    chars += a >= 0 ? base.textStart[base.slots + rowB[g]!]! - base.textStart[base.slots + a]! : newRows[~a]!.areaName.length;
  }
  const text = u16(chars);
  const textStart = u32(slots + count + 1);
  let at = 0;
  /** Copies base texts [k0, k1) to text at `at`, their ends to textStart from `to` + 1. */
  const copyTexts = (k0: number, k1: number, to: number): void => {
    const t0 = base.textStart[k0]!;
    text.set(base.text.subarray(t0, base.textStart[k1]!), at);
    const shift = at - t0;
    for (let k = k0; k < k1; k++) textStart[to + (k - k0) + 1] = base.textStart[k + 1]! + shift;
    at += base.textStart[k1]! - t0;
  };
  const writeText = (t: string, to: number): void => {
    for (let c = 0; c < t.length; c++) text[at++] = t.charCodeAt(c);
    textStart[to + 1] = at;
  };
  // slots: prefixes and slot starts
  let s2 = 0;
  let rowAt = 0;
  let tp = 0; // next touched slot (they come in order)
  for (let g = 0; g < slotA.length; g++) {
    const a = slotA[g]!;
    if (a >= 0) {
      const b = slotB[g]!;
      copyTexts(a, b, s2);
      for (let s = a; s < b; s++) {
        while (tp < touchedSlots.length && touchedSlots[tp]! < s) tp++;
        rowAt += tp < touchedSlots.length && touchedSlots[tp] === s ? runs.get(s)!.length : base.slotStart[s + 1]! - base.slotStart[s]!;
        slotStart[++s2] = rowAt;
      }
    } else {
      writeText(appended[~a]!.prefix, s2);
      rowAt += appended[~a]!.run.length;
      slotStart[++s2] = rowAt;
    }
  }
  // rows: values, area names, sections
  const secRow: number[] = [];
  const secAfter: number[] = [];
  const secRate: bigint[] = [];
  let j = 0;
  for (let g = 0; g < rowA.length; g++) {
    const a = rowA[g]!;
    if (a >= 0) {
      const b = rowB[g]!;
      rate.set(base.rate.subarray(a, b), j);
      connectionFee.set(base.connectionFee.subarray(a, b), j);
      firstPeriod.set(base.firstPeriod.subarray(a, b), j);
      nextPeriod.set(base.nextPeriod.subarray(a, b), j);
      effectiveFrom.set(base.effectiveFrom.subarray(a, b), j);
      flags.set(base.flags.subarray(a, b), j);
      copyTexts(base.slots + a, base.slots + b, slots + j);
      for (let q = firstSectionOf(base, a); q < base.sectionRow.length && base.sectionRow[q]! < b; q++) {
        secRow.push(base.sectionRow[q]! - a + j);
        secAfter.push(base.sectionAfter[q]!);
        secRate.push(base.sectionRate[q]!);
      }
      j += b - a;
    } else {
      const r = newRows[~a]!;
      rate[j] = r.ratePerMinute;
      connectionFee[j] = r.connectionFee;
      firstPeriod[j] = r.firstPeriod;
      nextPeriod[j] = r.nextPeriod;
      effectiveFrom[j] = r.effectiveFrom;
      flags[j] = (r.locked ? 1 : 0) | (CALL_TYPES.indexOf(r.callType) << 1);
      writeText(r.areaName, slots + j);
      for (const sec of r.sections) {
        secRow.push(j);
        secAfter.push(sec.afterSeconds);
        secRate.push(sec.ratePerMinute);
      }
      j++;
    }
  }
  const { sectionRow, sectionAfter, sectionRate } = sectionColumns(secRow, secAfter, secRate, { i32, i64 });
  // same slots, same prefixes, same numbers: the base's hash table serves (it is never written)
  const hashTable = removedSlots === 0 && appended.length === 0 ? base.hashTable : prefixHashTable(text, textStart, slots, i32);
  if (removedSlots > 0) maxPrefixLength = maxTextLength(textStart, slots);
  return {
    count, slots, rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags, slotStart, text, textStart,
    sectionRow, sectionAfter, sectionRate, hashTable, maxPrefixLength,
  };
}

/** The longest of texts 0 .. n-1. */
function maxTextLength(textStart: Uint32Array, n: number): number {
  let max = 0;
  for (let k = 0; k < n; k++) if (textStart[k + 1]! - textStart[k]! > max) max = textStart[k + 1]! - textStart[k]!;
  return max;
}

/** Index of the first section of row i or a later row (sections are grouped in row order). */
function firstSectionOf(p: PackedRates, i: number): number {
  const rows = p.sectionRow;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
    const out: Array<{ value: number; length: number }> = [];
    const max = Math.min(number.length, p.maxPrefixLength);
    let h = FNV_SEED;
    for (let len = 1; len <= max; len++) {
      h = fnvStep(h, number.charCodeAt(len - 1));
      const s = probe(p, h, number, len);
      if (s >= 0) out.push({ value: s, length: len });
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

/** The ArrayBuffers to pass as Piscina's transfer list (zero copy); none for shared arrays, which are posted without a copy anyway. */
export function packedTransferList(p: PackedRates): ArrayBuffer[] {
  return [p.rate, p.connectionFee, p.firstPeriod, p.nextPeriod, p.effectiveFrom, p.flags, p.slotStart, p.text, p.textStart, p.sectionRow, p.sectionAfter, p.sectionRate, p.hashTable]
    .map((a) => a.buffer).filter((b): b is ArrayBuffer => !(b instanceof SharedArrayBuffer)) as ArrayBuffer[];
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
  const out: RateSection[] = [];
  for (let k = firstSectionOf(p, i); k < rows.length && rows[k] === i; k++) out.push({ afterSeconds: p.sectionAfter[k]!, ratePerMinute: p.sectionRate[k]! });
  return out;
}
