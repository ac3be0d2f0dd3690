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
  /** UTF-8 of every slot's prefix then every row's area name; offsets in textStart. */
  readonly text: Uint8Array;
  /** slots + count + 1 offsets: prefix of slot s at s, area name of row i at slots + i. */
  readonly textStart: Uint32Array;
  /** Sections, rare: row index, afterSeconds, rate; grouped by row in row order. */
  readonly sectionRow: Int32Array;
  readonly sectionAfter: Int32Array;
  readonly sectionRate: BigInt64Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const badPacked = createError('SSW_ERR_BILLING_PACKED', 500);

/** Packs (already validated) rows; rows with equal prefix and effectiveFrom must not occur. */
export function packRateRows(rows: readonly RateRow[]): PackedRates {
  const order = rows.map((_, i) => i);
  order.sort((a, b) => {
    const x = rows[a]!;
    const y = rows[b]!;
    return x.prefix < y.prefix ? -1 : x.prefix > y.prefix ? 1 : x.effectiveFrom - y.effectiveFrom;
  });
  const n = rows.length;
  const rate = new BigInt64Array(n);
  const connectionFee = new BigInt64Array(n);
  const firstPeriod = new Int32Array(n);
  const nextPeriod = new Int32Array(n);
  const effectiveFrom = new Float64Array(n);
  const flags = new Uint8Array(n);
  const slotPrefixes: string[] = [];
  const starts: number[] = [];
  const secRow: number[] = [];
  const secAfter: number[] = [];
  const secRate: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows[order[i]!]!;
    if (slotPrefixes.length === 0 || slotPrefixes[slotPrefixes.length - 1] !== r.prefix) {
      slotPrefixes.push(r.prefix);
      starts.push(i);
    }
    rate[i] = r.ratePerMinute;
    connectionFee[i] = r.connectionFee;
    firstPeriod[i] = r.firstPeriod;
    nextPeriod[i] = r.nextPeriod;
    effectiveFrom[i] = r.effectiveFrom;
    flags[i] = (r.locked ? 1 : 0) | (CALL_TYPES.indexOf(r.callType) << 1); // 5 call types fit in 3 bits
    for (const s of r.sections) {
      secRow.push(i);
      secAfter.push(s.afterSeconds);
      secRate.push(s.ratePerMinute);
    }
  }
  starts.push(n);
  const texts = [...slotPrefixes, ...order.map((i) => rows[i]!.areaName)].map((t) => encoder.encode(t));
  const textStart = new Uint32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) textStart[i + 1] = textStart[i]! + texts[i]!.length;
  const text = new Uint8Array(textStart[texts.length]!);
  texts.forEach((t, i) => text.set(t, textStart[i]!));
  return {
    count: n, slots: slotPrefixes.length, rate, connectionFee, firstPeriod, nextPeriod, effectiveFrom, flags,
    slotStart: Uint32Array.from(starts), text, textStart,
    sectionRow: Int32Array.from(secRow), sectionAfter: Int32Array.from(secAfter), sectionRate: BigInt64Array.from(secRate),
  };
}

/** The ArrayBuffers to pass as Piscina's transfer list (zero copy). */
export function packedTransferList(p: PackedRates): ArrayBuffer[] {
  return [p.rate, p.connectionFee, p.firstPeriod, p.nextPeriod, p.effectiveFrom, p.flags, p.slotStart, p.text, p.textStart, p.sectionRow, p.sectionAfter, p.sectionRate]
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
    && p.sectionAfter.length === p.sectionRow.length && p.sectionRate.length === p.sectionRow.length;
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
  return decoder.decode(p.text.subarray(p.textStart[k]!, p.textStart[k + 1]!));
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
