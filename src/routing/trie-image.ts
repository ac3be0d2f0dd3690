/**
 * Compiles prefixes into the flat trie image that assembly/trie reads (layout and the reasons for
 * it are documented there).
 * Pure TypeScript with no WASM and no I/O, so it runs in a Piscina worker or in this thread.
 */

/** Prefixes packed for transfer: prefix i is bytes[offsets[i] .. offsets[i+1]), value values[i]. */
export interface PackedPrefixes {
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

export type CompileFailure = { readonly ok: false; readonly code: string; readonly message: string };
export type CompileResult =
  | { readonly ok: true; readonly image: ArrayBuffer; readonly nodes: number; readonly entries: number }
  | CompileFailure;
/** compileInto's result: the image is `bytes` long, in the region the caller handed out. */
export type CompileInfo =
  | { readonly ok: true; readonly bytes: number; readonly nodes: number; readonly entries: number }
  | CompileFailure;
/** Hands out a zeroed region of exactly `bytes` (4-aligned) for the image, or null if too large. */
export type ImageRegion = (bytes: number) => Uint8Array | null;

const MAGIC = 0x33525450; // "PTR3"
const HEADER_BYTES = 48;
const NONE = 0x7fffffff; // shallow ref: no match
const TOP_BIT = 0x80000000; // table entry: no depth-K node, low bits are a shallow ref
/** The top table has 10^K slots; K above 6 would cost 40 MB. */
export const MAX_TOP_DIGITS = 6;

/** Knobs for tests and experiments; the defaults suit every table size. */
export interface CompileOptions {
  /** Digits resolved by the top table, 0-6 (K in assembly/trie); chosen from the table's shape when absent. */
  readonly topDigits?: number;
}
/** Values per prefix are counted in 6 bits of the node bitmap. */
export const MAX_VALUES_PER_PREFIX = 63;
/** Lookups read at most this many digits of a number (the WASM input region), so longer prefixes are refused. */
export const MAX_PREFIX_DIGITS = 64;
/** Prefixes are digits only; `*`, `#`, `+` are not in the alphabet (strip `+` before lookup). */
export const PREFIX_ALPHABET = '0123456789';

/** Packs entries for compileImage / the compile worker; the caller owns the buffers. */
export function packPrefixes(prefixes: readonly string[], values: ArrayLike<number>): PackedPrefixes {
  let total = 0;
  for (const p of prefixes) total += p.length;
  const bytes = new Uint8Array(total);
  const offsets = new Int32Array(prefixes.length + 1);
  let o = 0;
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    offsets[i] = o;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      bytes[o++] = c > 255 ? 0 : c; // out-of-range characters become an invalid byte, not a digit
    }
  }
  offsets[prefixes.length] = o;
  return { bytes, offsets, values: Int32Array.from(values) };
}


/** Compiles packed prefixes to an image in a new ArrayBuffer; never throws on bad input, returns a coded result. */
export function compileImage(input: PackedPrefixes, options: CompileOptions = {}): CompileResult {
  let image: ArrayBuffer | undefined;
  const r = compileInto(input, (bytes) => new Uint8Array((image = new ArrayBuffer(bytes))), options);
  return r.ok ? { ok: true, image: image!, nodes: r.nodes, entries: r.entries } : r;
}

/**
 * Compiles packed prefixes straight into a region the caller hands out once the size is known
 * (e.g. a shared WASM memory, so the image is never copied); never throws on bad input.
 */
export function compileInto(input: PackedPrefixes, region: ImageRegion, options: CompileOptions = {}): CompileInfo {
  const { bytes, offsets, values } = input;
  const n = values.length;
  if (offsets.length !== n + 1) {
    return { ok: false, code: 'SSW_ERR_TRIE_BAD_INPUT', message: `offsets has ${offsets.length} items, want ${n + 1}` };
  }
  // Pointer trie first: 10 child slots per node, 0 = none (the root is never anyone's child).
  let cap = Math.max(1024, Math.min(bytes.length + 1, n * 2 + 16));
  let children = new Int32Array(cap * 10);
  let counts = new Int32Array(cap);
  let nodes = 1;
  const entryNode = new Int32Array(n);
  for (let e = 0; e < n; e++) {
    if (offsets[e + 1]! - offsets[e]! > MAX_PREFIX_DIGITS) {
      return { ok: false, code: 'SSW_ERR_TRIE_BAD_PREFIX', message: `prefix #${e} is longer than ${MAX_PREFIX_DIGITS} digits` };
    }
    let node = 0;
    for (let i = offsets[e]!; i < offsets[e + 1]!; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) {
        const text = String.fromCharCode(...bytes.subarray(offsets[e]!, offsets[e + 1]!));
        return { ok: false, code: 'SSW_ERR_TRIE_BAD_PREFIX', message: `prefix #${e} "${text}" has a non-digit` };
      }
      const slot = node * 10 + d;
      let next = children[slot]!;
      if (next === 0) {
        if (nodes === cap) {
          cap *= 2;
          const c2 = new Int32Array(cap * 10); c2.set(children); children = c2;
          const n2 = new Int32Array(cap); n2.set(counts); counts = n2;
        }
        next = nodes++;
        children[slot] = next;
      }
      node = next;
    }
    if (++counts[node]! > MAX_VALUES_PER_PREFIX) {
      const text = String.fromCharCode(...bytes.subarray(offsets[e]!, offsets[e + 1]!));
      return { ok: false, code: 'SSW_ERR_TRIE_TOO_MANY_VALUES', message: `prefix "${text}" has more than ${MAX_VALUES_PER_PREFIX} values` };
    }
    entryNode[e] = node;
  }

  // Breadth-first order of the whole trie (so by depth), with each node's parent and depth.
  const order = new Int32Array(nodes);
  const parent = new Int32Array(nodes);
  const depth = new Uint8Array(nodes);
  const levelCount = new Int32Array(MAX_PREFIX_DIGITS + 1);
  levelCount[0] = 1;
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    const old = order[head]!;
    const base = old * 10;
    for (let d = 0; d < 10; d++) {
      const c = children[base + d]!;
      if (c === 0) continue;
      order[tail++] = c;
      parent[c] = old;
      depth[c] = depth[old]! + 1;
      levelCount[depth[c]!]!++;
    }
  }

  const k = options.topDigits ?? chooseTopDigits(levelCount, nodes);
  if (!Number.isInteger(k) || k < 0 || k > MAX_TOP_DIGITS) {
    return { ok: false, code: 'SSW_ERR_TRIE_BAD_INPUT', message: `topDigits must be 0-${MAX_TOP_DIGITS}, got ${k}` };
  }
  let top = 0; // nodes of depth < K: order[0 .. top)
  for (let d = 0; d < k; d++) top += levelCount[d]!;
  const clusterCount = levelCount[k]!; // the depth-K nodes: order[top .. top + clusterCount)
  let topValueCount = 0;
  for (let i = 0; i < top; i++) topValueCount += counts[order[i]!]!;

  // Nodes and values in each depth-K node's subtree (the node included), deepest first.
  const subNodes = new Int32Array(nodes);
  const subValues = new Int32Array(nodes);
  for (let i = nodes - 1; i >= top; i--) {
    const old = order[i]!;
    subNodes[old]! += 1;
    subValues[old]! += counts[old]!;
    if (depth[old]! > k) {
      subNodes[parent[old]!]! += subNodes[old]!;
      subValues[parent[old]!]! += subValues[old]!;
    }
  }
  const clusterBytes = (root: number): number => align8(8 + ((subNodes[root]! + 3) >> 2) * 16 + subValues[root]! * 4);

  const slots = 10 ** k;
  const topBlocksOff = HEADER_BYTES;
  const topValuesOff = topBlocksOff + ((top + 3) >> 2) * 16;
  const tableOff = topValuesOff + topValueCount * 4;
  const clustersOff = align8(tableOff + slots * 4);
  let total = clustersOff;
  let biggest = 0;
  for (let j = 0; j < clusterCount; j++) {
    const root = order[top + j]!;
    total += clusterBytes(root);
    if (subNodes[root]! > biggest) biggest = subNodes[root]!;
  }
  if (total > NONE) {
    return { ok: false, code: 'SSW_ERR_TRIE_IMAGE_TOO_LARGE', message: `a trie image of ${total} bytes exceeds the 31-bit offsets` };
  }

  const out = region(total);
  if (out === null) {
    return { ok: false, code: 'SSW_ERR_TRIE_IMAGE_TOO_LARGE', message: `a trie image of ${total} bytes does not fit one instance` };
  }
  // total is a multiple of 8 and the region 4-aligned, so every view below covers it exactly
  const u16 = new Uint16Array(out.buffer, out.byteOffset, total >> 1);
  const u32 = new Uint32Array(out.buffer, out.byteOffset, total >> 2);
  const i32 = new Int32Array(out.buffer, out.byteOffset, total >> 2);
  let maxDepth = MAX_PREFIX_DIGITS;
  while (maxDepth > 0 && levelCount[maxDepth] === 0) maxDepth--;
  u32.set([MAGIC, nodes, n, k, top, topBlocksOff, topValuesOff, tableOff, clustersOff, clusterCount, total, maxDepth]);
  // Where each node's next value goes, as an index into i32.
  const valueSlot = new Int32Array(nodes);

  // Writes `count` nodes of `list` (breadth-first order, list[0] numbered 0) as blocks of 4 at
  // byte offset blocksAt: u16 bitmaps at u16 index 8b..8b+3, childRank at u32 index 4b+2,
  // valueRank at 4b+3. Their values go from i32 index valuesAt on, node by node.
  const writeBlocks = (list: Int32Array, count: number, blocksAt: number, valuesAt: number): void => {
    let childCursor = 1;
    let valueCursor = 0;
    for (let i = 0; i < count; i++) {
      const old = list[i]!;
      const b = (blocksAt >> 2) + (i >> 2) * 4;
      if ((i & 3) === 0) { u32[b + 2] = childCursor; u32[b + 3] = valueCursor; }
      let bm = 0;
      for (let d = 0; d < 10; d++) {
        if (children[old * 10 + d]! !== 0) { bm |= 1 << d; childCursor++; }
      }
      u16[(blocksAt >> 1) + (i >> 2) * 8 + (i & 3)] = bm | (counts[old]! << 10);
      valueSlot[old] = valuesAt + valueCursor;
      valueCursor += counts[old]!;
    }
  };
  writeBlocks(order, top, topBlocksOff, topValuesOff >> 2); // the top trie

  // Table: a slot under a missing child of a top node gets that node's deepest match (a shallow
  // ref); a slot reaching depth K gets the depth-K node's cluster (below). `inherit` is the ref
  // of a node's deepest matching proper ancestor; `num` its digits as a number.
  const inherit = new Int32Array(nodes);
  const num = new Int32Array(nodes);
  inherit[0] = NONE;
  const tableBase = tableOff >> 2;
  for (let i = 0; i < top; i++) {
    const old = order[i]!;
    const dep = depth[old]!;
    const best = counts[old]! > 0 ? ((valueSlot[old]! - (topValuesOff >> 2)) << 3) | dep : inherit[old]!;
    const span = 10 ** (k - dep - 1);
    for (let d = 0; d < 10; d++) {
      const c = children[old * 10 + d]!;
      if (c !== 0) {
        inherit[c] = best;
        num[c] = num[old]! * 10 + d;
      } else {
        const start = tableBase + (num[old]! * 10 + d) * span;
        u32.fill((TOP_BIT | best) >>> 0, start, start + span);
      }
    }
  }

  // Clusters: each depth-K node's subtree, breadth first with local numbers, then its values.
  const queue = new Int32Array(Math.max(1, biggest));
  let at = clustersOff;
  for (let j = 0; j < clusterCount; j++) {
    const root = order[top + j]!;
    u32[tableBase + num[root]!] = at;
    u32[at >> 2] = k === 0 ? NONE : inherit[root]!;
    const valuesAt = 8 + ((subNodes[root]! + 3) >> 2) * 16;
    u32[(at >> 2) + 1] = valuesAt;
    queue[0] = root;
    let qTail = 1;
    for (let h = 0; h < qTail; h++) {
      const base = queue[h]! * 10;
      for (let d = 0; d < 10; d++) if (children[base + d]! !== 0) queue[qTail++] = children[base + d]!;
    }
    writeBlocks(queue, qTail, at + 8, (at + valuesAt) >> 2);
    at += clusterBytes(root);
  }
  for (let e = 0; e < n; e++) i32[valueSlot[entryNode[e]!]!++] = values[e]!;
  return { ok: true, bytes: total, nodes, entries: n };
}

// The deepest level K (<= 6) whose table (10^K slots) costs at most 2 bytes per node and whose
// nodes are at most 1 in 8: clusters then hold ~8 or more nodes each, and the top trie stays small.
function chooseTopDigits(levelCount: Int32Array, nodes: number): number {
  let k = 0;
  for (let d = 1; d <= MAX_TOP_DIGITS; d++) {
    if (levelCount[d] === 0 || 10 ** d > nodes / 2 || levelCount[d]! > nodes / 8) break;
    k = d;
  }
  return k;
}

function align8(x: number): number {
  return (x + 7) & ~7;
}
