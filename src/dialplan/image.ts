/**
 * Compiles parsed rules into the binary image the WASM engine walks (layout documented at the
 * top of assembly/dialplan/index.ts). Offsets are relative to the image start, so an image can
 * be built anywhere (a worker, a cache) and copied into WASM memory at any 8-aligned address.
 */
import { WILD, beats, type ParsedRule, type TargetAlt } from './parse.js';

const MAGIC = 0x314c5044; // 'DPL1' little-endian
const OP_END = 0, OP_LIT = 1, OP_RAND = 2, OP_DOLLAR = 3, OP_REST = 4, OP_RANGE = 5;

interface TrieNode {
  digits: (TrieNode | undefined)[];
  wild: TrieNode | undefined;
  others: Map<number, TrieNode>;
  rules: ParsedRule[];
  offset: number;
  listOffset: number;
}

const newNode = (): TrieNode => ({ digits: new Array(10), wild: undefined, others: new Map(), rules: [], offset: 0, listOffset: 0 });

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
  const root = newNode();
  let defaultRule = -1;
  for (const p of rules) {
    if (p.starAlone) { if (defaultRule < 0) defaultRule = p.index; continue; }
    let n = root;
    for (const c of p.prefix) {
      if (c === WILD) n = n.wild ??= newNode();
      else if (c >= 48 && c <= 57) n = n.digits[c - 48] ??= newNode();
      else {
        let next = n.others.get(c);
        if (!next) { next = newNode(); n.others.set(c, next); }
        n = next;
      }
    }
    n.rules.push(p);
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
  const nodes: TrieNode[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    nodes.push(n);
    n.offset = off;
    let kids = 0;
    for (const d of n.digits) if (d) { kids++; }
    if (n.wild) kids++;
    off += 8 + 4 * kids + align4(n.others.size) + 4 * n.others.size;
    if (n.rules.length) {
      n.listOffset = off;
      off += 4 + 8 * n.rules.length;
    }
    for (const o of n.others.values()) stack.push(o);
    if (n.wild) stack.push(n.wild);
    for (let d = 9; d >= 0; d--) if (n.digits[d]) stack.push(n.digits[d]!);
  }

  const buf = new ArrayBuffer(align4(off));
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, rules.length, true);
  dv.setUint32(8, root.offset, true);
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
  const order = (a: ParsedRule, b: ParsedRule): number => (beats(a, b) ? -1 : 1);
  for (const n of nodes) {
    let mask = 0;
    const kids: TrieNode[] = [];
    for (let d = 0; d < 10; d++) if (n.digits[d]) { mask |= 1 << d; kids.push(n.digits[d]!); }
    if (n.wild) { mask |= 0x400; kids.push(n.wild); }
    const others = [...n.others.entries()].sort((a, b) => a[0] - b[0]);
    dv.setUint32(n.offset, (mask | (others.length << 16)) >>> 0, true);
    dv.setUint32(n.offset + 4, n.listOffset, true);
    let o = n.offset + 8;
    for (const k of kids) { dv.setUint32(o, k.offset, true); o += 4; }
    for (let j = 0; j < others.length; j++) u8[o + j] = others[j]![0];
    o += align4(others.length);
    for (const [, k] of others) { dv.setUint32(o, k.offset, true); o += 4; }
    if (n.rules.length) {
      n.rules.sort(order);
      let l = n.listOffset;
      dv.setUint32(l, n.rules.length, true);
      l += 4;
      for (const p of n.rules) {
        dv.setUint32(l, (p.index | (p.condCount << 24)) >>> 0, true);
        const lo = Math.max(p.minLen, p.prefix.length);
        const empty = p.maxLen < lo;
        dv.setUint16(l + 4, empty ? 1 : Math.min(lo, 0xffff), true);
        dv.setUint16(l + 6, empty ? 0 : p.maxLen, true);
        l += 8;
      }
    }
  }
  return u8;
}
