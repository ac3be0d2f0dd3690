/**
 * Compiles parsed rules into the binary image the WASM engine walks (layout documented at the
 * top of assembly/dialplan/index.ts). Offsets are relative to the image start, so an image can
 * be built anywhere (a worker, a cache) and copied into WASM memory at any 8-aligned address.
 */
import { WILD, beats, type ParsedRule, type TargetAlt } from './parse.js';

const MAGIC = 0x314c5044; // 'DPL1' little-endian
const OP_END = 0, OP_LIT = 1, OP_RAND = 2, OP_DOLLAR = 3, OP_REST = 4, OP_RANGE = 5;

function program(alt: TargetAlt, appendRest: boolean): number[] {
  const b: number[] = [];
  if (alt.kind === 'range') {
    b.push(OP_RANGE, alt.width);
    const f = new DataView(new ArrayBuffer(16));
    f.setFloat64(0, alt.lo, true);
    f.setFloat64(8, alt.hi - alt.lo + 1, true);
    for (let i = 0; i < 16; i++) b.push(f.getUint8(i));
  } else {
    for (const op of alt.ops) {
      if (op.k === 'lit') {
        // runs are at most 128 symbols (parser limit), within a u8 count
        b.push(OP_LIT, op.s.length);
        for (let i = 0; i < op.s.length; i++) b.push(op.s.charCodeAt(i));
      } else if (op.k === 'rand') b.push(OP_RAND);
      else if (op.k === 'dollar') b.push(OP_DOLLAR, op.pos);
      else b.push(OP_REST);
    }
    if (appendRest) b.push(OP_REST);
  }
  b.push(OP_END);
  return b;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Builds the image for a parsed rule set (rule i must have index i). */
export function buildImage(rules: readonly ParsedRule[]): Uint8Array {
  // The trie as flat arrays (node ids; 0 is the root and never a child): 100,000 rules make
  // ~500,000 nodes, too many for an object and a Map each.
  const kids: number[] = new Array(11).fill(0); // node*11 + digit (0-9) or 10 for `?`
  const others = new Map<number, Map<number, number>>(); // node -> char -> child, rare
  const nodeRules = new Map<number, ParsedRule[]>();
  let nodeCount = 1;
  let defaultRule = -1;
  for (const p of rules) {
    if (p.starAlone) { if (defaultRule < 0) defaultRule = p.index; continue; }
    let n = 0;
    for (const c of p.prefix) {
      const slot = c === WILD ? 10 : c >= 48 && c <= 57 ? c - 48 : -1;
      if (slot >= 0) {
        let k = kids[n * 11 + slot]!;
        if (k === 0) {
          k = nodeCount++;
          for (let i = 0; i < 11; i++) kids.push(0);
          kids[n * 11 + slot] = k;
        }
        n = k;
      } else {
        let m = others.get(n);
        if (!m) { m = new Map(); others.set(n, m); }
        let k = m.get(c);
        if (k === undefined) {
          k = nodeCount++;
          for (let i = 0; i < 11; i++) kids.push(0);
          m.set(c, k);
        }
        n = k;
      }
    }
    const l = nodeRules.get(n);
    if (l) l.push(p); else nodeRules.set(n, [p]);
  }

  // Sizes first, then one buffer.
  const programs: number[][][] = rules.map((p) => p.alts.map((a) => program(a, p.appendRest)));
  let off = 32;
  const ruleTable = off;
  off += 16 * rules.length;
  const altTables: number[] = [];
  for (const p of rules) { altTables.push(off); off += 8 * p.alts.length; }
  const progOffsets: number[][] = [];
  for (const ps of programs) {
    const o: number[] = [];
    for (const prog of ps) { o.push(off); off += prog.length; }
    progOffsets.push(o);
  }
  off = align4(off);
  const nodeOffset = new Uint32Array(nodeCount);
  const listOffset = new Uint32Array(nodeCount);
  // Depth-first, digits in order, so a walk down a number tends to stay in nearby memory.
  const order: number[] = [];
  const stack = [0];
  while (stack.length) {
    const n = stack.pop()!;
    order.push(n);
    nodeOffset[n] = off;
    let count = 0;
    for (let i = 0; i < 11; i++) if (kids[n * 11 + i]) count++;
    const m = others.get(n);
    const o = m ? m.size : 0;
    off += 8 + 4 * count + align4(o) + 4 * o;
    const rs = nodeRules.get(n);
    if (rs) { listOffset[n] = off; off += 4 + 8 * rs.length; }
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
  for (let i = 0; i < rules.length; i++) {
    const p = rules[i]!;
    const r = ruleTable + 16 * i;
    dv.setUint32(r, p.prefix.length, true);
    dv.setUint32(r + 4, p.random ? 1 : 0, true);
    dv.setUint32(r + 8, altTables[i]!, true);
    dv.setUint32(r + 12, p.alts.length, true);
    for (let a = 0; a < p.alts.length; a++) {
      dv.setUint32(altTables[i]! + 8 * a, progOffsets[i]![a]!, true);
      dv.setUint32(altTables[i]! + 8 * a + 4, p.alts[a]!.draws, true);
      u8.set(programs[i]![a]!, progOffsets[i]![a]!);
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
    const rs = nodeRules.get(n);
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
