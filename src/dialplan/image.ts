/**
 * Compiles parsed rules into the binary image the WASM engine walks (layout documented at the
 * top of assembly/dialplan/index.ts). Offsets are relative to the image start, so an image can
 * be built anywhere (a worker, a cache) and copied into WASM memory at any 8-aligned address.
 */
import { WILD, beats, type ParsedRule, type TargetAlt } from './parse.js';

const MAGIC = 0x314c5044; // 'DPL1' little-endian
const OP_END = 0, OP_LIT = 1, OP_RAND = 2, OP_DOLLAR = 3, OP_REST = 4, OP_RANGE = 5;

/** Bytes of an alternative's program (see writeProgram). */
function programSize(alt: TargetAlt, appendRest: boolean): number {
  if (alt.kind === 'range') return 2 + 16 + 1;
  let n = 1 + (appendRest ? 1 : 0);
  for (const op of alt.ops) n += op.k === 'lit' ? 2 + op.s.length : op.k === 'dollar' ? 2 : 1;
  return n;
}

/** Writes an alternative's program at off. */
function writeProgram(dv: DataView, off: number, alt: TargetAlt, appendRest: boolean): void {
  if (alt.kind === 'range') {
    dv.setUint8(off, OP_RANGE);
    dv.setUint8(off + 1, alt.width);
    dv.setFloat64(off + 2, alt.lo, true);
    dv.setFloat64(off + 10, alt.hi - alt.lo + 1, true);
    dv.setUint8(off + 18, OP_END);
    return;
  }
  for (const op of alt.ops) {
    if (op.k === 'lit') {
      // runs are at most 128 symbols (parser limit), within a u8 count
      dv.setUint8(off++, OP_LIT);
      dv.setUint8(off++, op.s.length);
      for (let i = 0; i < op.s.length; i++) dv.setUint8(off++, op.s.charCodeAt(i));
    } else if (op.k === 'rand') dv.setUint8(off++, OP_RAND);
    else if (op.k === 'dollar') { dv.setUint8(off++, OP_DOLLAR); dv.setUint8(off++, op.pos); }
    else dv.setUint8(off++, OP_REST);
  }
  if (appendRest) dv.setUint8(off++, OP_REST);
  dv.setUint8(off, OP_END);
}

const align4 = (n: number): number => (n + 3) & ~3;

/** FNV-1a over every rule's text: lets an image built elsewhere be checked against its rules. */
export function rulesHash(rules: readonly ParsedRule[]): number {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193); // separator, so "0","12" and "01","2" differ
  };
  for (const p of rules) { mix(p.rule.from); mix(p.rule.to); }
  return h >>> 0;
}

/** Header fields an image carries about its rules: [rule count, rulesHash]. */
export function imageIdentity(image: Uint8Array): [number, number] | undefined {
  if (image.length < 32) return undefined;
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) return undefined;
  return [dv.getUint32(4, true), dv.getUint32(20, true)];
}

/** Builds the image for a parsed rule set (rule i must have index i). */
export function buildImage(rules: readonly ParsedRule[]): Uint8Array {
  // The trie as flat typed arrays of node ids (0 is the root and never a child): 100,000 rules
  // make ~500,000 nodes, too many for an object and a Map each. Node count <= 1 + total prefix length.
  let maxNodes = 1;
  for (const p of rules) maxNodes += p.prefix.length;
  const kids = new Int32Array(maxNodes * 11); // node*11 + digit (0-9), or + 10 for the `?` child
  const others = new Map<number, Map<number, number>>(); // node -> char -> child, rare
  const firstRule = new Int32Array(maxNodes).fill(-1); // per node, a linked list of rule indexes
  const nextRule = new Int32Array(rules.length).fill(-1);
  let nodeCount = 1;
  let defaultRule = -1;
  for (const p of rules) {
    if (p.starAlone) { if (defaultRule < 0) defaultRule = p.index; continue; }
    let n = 0;
    for (const c of p.prefix) {
      const slot = c === WILD ? 10 : c >= 48 && c <= 57 ? c - 48 : -1;
      if (slot >= 0) {
        let k = kids[n * 11 + slot]!;
        if (k === 0) kids[n * 11 + slot] = k = nodeCount++;
        n = k;
      } else {
        let m = others.get(n);
        if (!m) { m = new Map(); others.set(n, m); }
        let k = m.get(c);
        if (k === undefined) { k = nodeCount++; m.set(c, k); }
        n = k;
      }
    }
    nextRule[p.index] = firstRule[n]!;
    firstRule[n] = p.index;
  }
  const rulesAt = (n: number): ParsedRule[] => {
    const out: ParsedRule[] = [];
    for (let i = firstRule[n]!; i >= 0; i = nextRule[i]!) out.push(rules[i]!);
    return out;
  };
  const ruleCountAt = (n: number): number => {
    let c = 0;
    for (let i = firstRule[n]!; i >= 0; i = nextRule[i]!) c++;
    return c;
  };

  // Sizes first, then one buffer.
  let off = 32;
  const ruleTable = off;
  off += 16 * rules.length;
  const altTables = new Uint32Array(rules.length);
  for (const p of rules) { altTables[p.index] = off; off += 8 * p.alts.length; }
  const progStart = off;
  for (const p of rules) for (const a of p.alts) off += programSize(a, p.appendRest);
  off = align4(off);
  const nodeOffset = new Uint32Array(nodeCount);
  const listOffset = new Uint32Array(nodeCount);
  // Depth-first, digits in order, so a walk down a number tends to stay in nearby memory.
  const order = new Int32Array(nodeCount);
  let ordered = 0;
  const stack = [0];
  while (stack.length) {
    const n = stack.pop()!;
    order[ordered++] = n;
    nodeOffset[n] = off;
    let count = 0;
    for (let i = 0; i < 11; i++) if (kids[n * 11 + i]) count++;
    const m = others.get(n);
    const o = m ? m.size : 0;
    off += 8 + 4 * count + align4(o) + 4 * o;
    const rc = ruleCountAt(n);
    if (rc) { listOffset[n] = off; off += 4 + 8 * rc; }
    if (m) for (const k of m.values()) stack.push(k);
    for (let i = 10; i >= 0; i--) if (kids[n * 11 + i]) stack.push(kids[n * 11 + i]!);
  }

  const buf = new ArrayBuffer(align4(off));
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, rules.length, true);
  dv.setUint32(8, nodeOffset[0]!, true);
  dv.setInt32(12, defaultRule, true);
  dv.setUint32(16, ruleTable, true);
  dv.setUint32(20, rulesHash(rules), true);
  let prog = progStart;
  for (let i = 0; i < rules.length; i++) {
    const p = rules[i]!;
    const r = ruleTable + 16 * i;
    dv.setUint32(r, p.prefix.length, true);
    dv.setUint32(r + 4, p.random ? 1 : 0, true);
    dv.setUint32(r + 8, altTables[i]!, true);
    dv.setUint32(r + 12, p.alts.length, true);
    for (let a = 0; a < p.alts.length; a++) {
      const alt = p.alts[a]!;
      dv.setUint32(altTables[i]! + 8 * a, prog, true);
      dv.setUint32(altTables[i]! + 8 * a + 4, alt.draws, true);
      writeProgram(dv, prog, alt, p.appendRest);
      prog += programSize(alt, p.appendRest);
    }
  }
  const byPriority = (a: ParsedRule, b: ParsedRule): number => (beats(a, b) ? -1 : 1);
  for (const n of order) {
    let mask = 0;
    let o = nodeOffset[n]! + 8;
    for (let i = 0; i < 11; i++) {
      const k = kids[n * 11 + i]!;
      if (!k) continue;
      mask |= 1 << i; // bit 10 is the `?` child, after the digits
      dv.setUint32(o, nodeOffset[k]!, true);
      o += 4;
    }
    const m = others.get(n);
    const oth = m ? [...m.entries()].sort((a, b) => a[0] - b[0]) : [];
    dv.setUint32(nodeOffset[n]!, (mask | (oth.length << 16)) >>> 0, true);
    dv.setUint32(nodeOffset[n]! + 4, listOffset[n]!, true);
    for (let j = 0; j < oth.length; j++) u8[o + j] = oth[j]![0];
    o += align4(oth.length);
    for (const [, k] of oth) { dv.setUint32(o, nodeOffset[k]!, true); o += 4; }
    const rs = listOffset[n] ? rulesAt(n) : undefined;
    if (rs) {
      rs.sort(byPriority);
      let l = listOffset[n]!;
      dv.setUint32(l, rs.length, true);
      l += 4;
      for (const p of rs) {
        dv.setUint32(l, (p.index | (p.condCount << 24)) >>> 0, true);
        const lo = Math.max(p.minLen, p.prefix.length);
        const empty = p.maxLen < lo;
        dv.setUint16(l + 4, empty ? 1 : lo, true);
        dv.setUint16(l + 6, empty ? 0 : p.maxLen, true);
        l += 8;
      }
    }
  }
  return u8;
}
