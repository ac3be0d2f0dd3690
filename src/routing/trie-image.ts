/**
 * Compiles prefixes into the flat trie image that assembly/trie reads (layout documented there).
 * Pure TypeScript with no WASM and no I/O, so it runs in a Piscina worker or in this thread.
 */

/** Prefixes packed for transfer: prefix i is bytes[offsets[i] .. offsets[i+1]), value values[i]. */
export interface PackedPrefixes {
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

export type CompileResult =
  | { readonly ok: true; readonly image: ArrayBuffer; readonly nodes: number; readonly entries: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

const MAGIC = 0x32525450; // "PTR2"
const HEADER_BYTES = 32;
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

/** Compiles packed prefixes to an image; never throws on bad input, returns a coded result. */
export function compileImage(input: PackedPrefixes): CompileResult {
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
  // Breadth-first renumbering: a node's children are then contiguous, in digit order.
  const order = new Int32Array(nodes);
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    const base = order[head]! * 10;
    for (let d = 0; d < 10; d++) {
      const c = children[base + d]!;
      if (c !== 0) order[tail++] = c;
    }
  }
  const blocks = (nodes + 3) >> 2;
  const blocksOff = HEADER_BYTES;
  const valuesOff = blocksOff + blocks * 16;
  const image = new ArrayBuffer(valuesOff + n * 4);
  const head = new Uint32Array(image, 0, 8);
  head.set([MAGIC, nodes, n, blocks, blocksOff, valuesOff, 0, 0]);
  // Block b: u16 bitmaps at u16 index 8b..8b+3, childRank at u32 index 4b+2, valueRank at 4b+3.
  const u16 = new Uint16Array(image, blocksOff, blocks * 8);
  const u32 = new Uint32Array(image, blocksOff, blocks * 4);
  const out = new Int32Array(image, valuesOff, n);
  const valueStart = new Int32Array(cap); // by old node id; reuses no memory of `counts`
  let childCursor = 1;
  let valueCursor = 0;
  for (let i = 0; i < nodes; i++) {
    if ((i & 3) === 0) {
      u32[(i >> 2) * 4 + 2] = childCursor;
      u32[(i >> 2) * 4 + 3] = valueCursor;
    }
    const old = order[i]!;
    let bm = 0;
    const base = old * 10;
    for (let d = 0; d < 10; d++) {
      if (children[base + d]! !== 0) { bm |= 1 << d; childCursor++; }
    }
    const c = counts[old]!;
    u16[(i >> 2) * 8 + (i & 3)] = bm | (c << 10);
    valueStart[old] = valueCursor;
    valueCursor += c;
  }
  for (let e = 0; e < n; e++) out[valueStart[entryNode[e]!]!++] = values[e]!;
  return { ok: true, image, nodes, entries: n };
}
