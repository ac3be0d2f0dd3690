// Digit prefix trie lookup over a flat image compiled by src/routing/trie-image.ts.
// One instance holds one image (one table) in its imported shared memory: the compiler writes the
// image at heapBase() (from a worker, or in the caller's thread), the wrapper calls loadImage(),
// then writes a number's UTF-16 code units to the input region and calls lookup(len) or longest(len).
//
// Why this layout: a 1,000,000-prefix image is ~10 MB, and a lookup is a chain of dependent
// loads, so its cost is the number of distinct cache lines it touches below the hot top levels.
// The trie is cut at depth K (chosen by the compiler, 0-6): a table indexed by the first K digits
// jumps straight to the depth-K node, and each depth-K node's subtree (a "cluster": its nodes in
// breadth-first order, then its values) is stored contiguously, so the deep part of a lookup stays
// within one small region (150-600 B on 1M-prefix tables) instead of one line anywhere per level,
// and entering a cluster touches its lines at once so that their misses overlap. Big clusters are
// not cut again: a pointer to a sub-cluster is one more dependent miss, and a try at that (128-byte
// clusters) ran 1M lookups at 5 M/s against 9-13 M/s for whole clusters, and took 13 B/prefix.

//
// Image layout (little endian, byte offsets, u32 header words):
//   0 magic 'PTR3'  4 nodeCount  8 entryCount  12 K  16 topNodes  20 topBlocksOff  24 topValuesOff
//   28 tableOff  32 clustersOff  36 clusterCount  40 imageBytes  44 maxDepth (longest prefix; the
//   wrapper writes no more digits than that)
//   top trie (nodes of depth < K, breadth first, root 0) in blocks of 4 nodes, 16 bytes each:
//     +0  4 x u16 node bitmaps: bits 0-9 = child exists for digit 0-9, bits 10-15 = number of
//         values stored at the node (0-63)
//     +8  u32 childRank = node index of the first child of the block's first node
//     +12 u32 valueRank = index in the values of the block's first node's first value
//   top values: i32 per entry, grouped by node in node order, insertion order within a node.
//   table: 10^K u32, indexed by the first K digits as a number. Bit 31 clear: byte offset of the
//     cluster of the depth-K node. Bit 31 set: no depth-K node; the low 31 bits are the shallow
//     ref of the deepest match on the digits (or all ones: none).
//   shallow ref: (index in top values << 3) | depth (depth < K <= 6), 0x7FFFFFFF = none.
//   cluster (8-aligned): +0 u32 shallow ref of its root's deepest matching ancestor,
//     +4 u32 values offset from the cluster start, +8 blocks as above with local node numbers
//     (cluster root = 0) and local value ranks, then its values.
// A node costs 4 bytes and an entry 4, plus per cluster its 8-byte header and the padding of its
// last block; no pointer is stored per node (children and values are found by rank: the block's
// rank plus a popcount over the earlier nodes of the block).

const MAGIC: u32 = 0x33525450; // "PTR3"
const HEADER_BYTES: u32 = 48;
const INPUT_CAP: i32 = 64;
const OUTPUT_CAP: i32 = 1024; // matches (value i32 + length i32 each)
const MAX_DEPTH: i32 = 65; // INPUT_CAP + the root
const NONE: u32 = 0x7FFF_FFFF;
const TOP_BIT: u32 = 0x8000_0000;

// The number as UTF-16 code units, as JS strings hold them: no conversion in the caller, and
// anything outside '0'-'9' (U+0130 included) ends the walk.
const INPUT: usize = memory.data(INPUT_CAP * 2, 8);
const OUTPUT: usize = memory.data(OUTPUT_CAP * 8, 8);
// Per matched level: [first value address u32, count u32, depth u32, pad]; filled shallow to deep.
const STACK: usize = memory.data(MAX_DEPTH * 16, 8);

// Low 10 bits of each 16-bit lane: the child bits of four packed node bitmaps.
const CHILD_LANES: u64 = 0x03FF_03FF_03FF_03FF;

let topBlocks: usize = 0;
let topValues: usize = 0;
let table: usize = 0;
let image: usize = 0;
let topDigits: i32 = 0;
let loaded: bool = false;

export function inputPtr(): usize { return INPUT; }
export function inputCap(): i32 { return INPUT_CAP; }
export function outputPtr(): usize { return OUTPUT; }
export function outputCap(): i32 { return OUTPUT_CAP; }

/** First byte past the static data, 8-aligned: where the image goes. */
export function heapBase(): usize {
  return (__heap_base + 7) & ~(<usize>7);
}

/** Adopts the image at ptr; returns 0, or -1 bad magic, -2 offsets outside len. */
export function loadImage(ptr: usize, len: u32): i32 {
  if (len < HEADER_BYTES || load<u32>(ptr) != MAGIC) return -1;
  const k = load<u32>(ptr, 12);
  const topNodes = load<u32>(ptr, 16);
  const tbOff = load<u32>(ptr, 20);
  const tvOff = load<u32>(ptr, 24);
  const tOff = load<u32>(ptr, 28);
  const cOff = load<u32>(ptr, 32);
  if (k > 6 || load<u32>(ptr, 40) != len || load<u32>(ptr, 44) > <u32>INPUT_CAP) return -2;
  let slots: u64 = 1;
  for (let i: u32 = 0; i < k; i++) slots *= 10;
  if ((k == 0) != (topNodes == 0)) return -2;
  if (tbOff < HEADER_BYTES || <u64>tbOff + <u64>((topNodes + 3) >> 2) * 16 > <u64>tvOff) return -2;
  if (tvOff > tOff || <u64>tOff + slots * 4 > <u64>cOff || cOff > len) return -2;
  if ((tbOff & 7) != 0 || (tvOff & 3) != 0 || (tOff & 3) != 0 || (cOff & 7) != 0) return -2;
  image = ptr;
  topBlocks = ptr + tbOff;
  topValues = ptr + tvOff;
  table = ptr + tOff;
  topDigits = <i32>k;
  loaded = true;
  return 0;
}

// Number of values of the lanes below this node's lane in `prior` (bits 10-15 of lanes 0-2).
@inline function valuesBefore(prior: u64): u32 {
  return <u32>(((prior >> 10) & 63) + ((prior >> 26) & 63) + ((prior >> 42) & 63));
}

// Digit at input position i, or a value > 9 for anything else (unsigned: below '0' wraps high).
@inline function digitAt(i: i32): u32 {
  return <u32>load<u16>(INPUT + (<usize>i << 1)) - 48;
}

// Table slot for the first K digits, or -1 if one of them is not a digit or len < K.
@inline function slotOf(len: i32): i32 {
  if (len < topDigits) return -1;
  let idx: u32 = 0;
  for (let i: i32 = 0; i < topDigits; i++) {
    const d = digitAt(i);
    if (d > 9) return -1;
    idx = idx * 10 + d;
  }
  return <i32>idx;
}

/**
 * Walks the blocks at `blocks` from local node 0 at `depth`, following digits up to `stop`.
 * all: pushes every matching level to STACK from `levels` and returns the new level count.
 * !all: returns the deepest match as (value address << 8 | depth) in an i64, or -1 for none.
 */
@inline function walk(blocks: usize, values: usize, depth: i32, stop: i32, all: bool, levels: i32): i64 {
  let node: u32 = 0;
  let best: i64 = -1;
  for (;;) {
    const blk = blocks + (<usize>(node >> 2) << 4);
    const word = load<u64>(blk);
    const lane = <u64>(node & 3) << 4;
    const bm = <u32>(word >> lane) & 0xFFFF;
    // (1 << 16p) - 1 keeps the p lanes below this node; p = 0 gives 0.
    const prior = word & ((<u64>1 << lane) - 1);
    const count = bm >> 10;
    if (count != 0) {
      const at = values + (<usize>(load<u32>(blk, 12) + valuesBefore(prior)) << 2);
      if (all) {
        const s = STACK + (<usize>levels << 4);
        store<u32>(s, <u32>at);
        store<u32>(s, count, 4);
        store<u32>(s, <u32>depth, 8);
        levels++;
      } else {
        best = (<i64>at << 8) | <i64>depth;
      }
    }
    if (depth >= stop) break;
    const d = digitAt(depth);
    if (d > 9) break;
    const bit = <u32>1 << d;
    if ((bm & bit) == 0) break;
    node = load<u32>(blk, 8)
      + <u32>popcnt<u64>(prior & CHILD_LANES)
      + popcnt<u32>(bm & (bit - 1)); // earlier siblings of the wanted child
    depth++;
  }
  return all ? <i64>levels : best;
}

/**
 * Returns the address of the values of the cluster at c, after touching its values and up to
 * 7 lines of its blocks: their misses then overlap instead of following one another level by
 * level (a 1M-prefix table's clusters average ~600 B; this took 1M lookups from ~10 to ~17 M/s).
 * The results are dropped, but the loads stay (a load can trap, so the optimizer keeps it).
 */
@inline function enterCluster(c: usize): usize {
  const vals = c + <usize>load<u32>(c, 4);
  load<u32>(vals);
  let end = vals;
  if (end > c + 512) end = c + 512;
  for (let o = c + 64; o < end; o += 64) load<u32>(o);
  return vals;
}

// Writes the match of a shallow ref to OUTPUT[0]; returns 1, or 0 for none.
@inline function emitShallow(ref: u32): i32 {
  if (ref == NONE) return 0;
  store<i32>(OUTPUT, load<i32>(topValues + (<usize>(ref >> 3) << 2)));
  store<u32>(OUTPUT, ref & 7, 4);
  return 1;
}

/**
 * The longest match only (the earliest inserted value of the longest matching prefix): writes
 * (value, length) to the output region and returns 1, or returns 0 if nothing matches.
 */
export function longest(len: i32): i32 {
  if (!loaded) return 0;
  if (len > INPUT_CAP) len = INPUT_CAP;
  const slot = slotOf(len);
  if (slot < 0) {
    // shorter than K digits: the answer is in the top trie
    const b = walk(topBlocks, topValues, 0, len < topDigits - 1 ? len : topDigits - 1, false, 0);
    if (b < 0) return 0;
    store<i32>(OUTPUT, load<i32>(<usize>(b >> 8)));
    store<u32>(OUTPUT, <u32>(b & 255), 4);
    return 1;
  }
  const entry = load<u32>(table + (<usize>slot << 2));
  if ((entry & TOP_BIT) != 0) return emitShallow(entry & NONE);
  const c = image + <usize>entry;
  const vals = enterCluster(c);
  const b = walk(c + 8, vals, topDigits, len, false, 0);
  if (b < 0) return emitShallow(load<u32>(c));
  store<i32>(OUTPUT, load<i32>(<usize>(b >> 8)));
  store<u32>(OUTPUT, <u32>(b & 255), 4);
  return 1;
}

/**
 * Walks the digits at the input region; writes every match as (value, length) pairs to the
 * output region, longest first, values of one prefix in insertion order. Returns the number of
 * matches written (at most outputCap()). A non-digit ends the walk.
 */
export function lookup(len: i32): i32 {
  if (!loaded) return 0;
  if (len > INPUT_CAP) len = INPUT_CAP;
  let levels: i32 = 0;
  const slot = slotOf(len);
  if (slot < 0) {
    // shorter than K digits: every match is in the top trie
    if (topDigits > 0) levels = <i32>walk(topBlocks, topValues, 0, len < topDigits - 1 ? len : topDigits - 1, true, 0);
  } else {
    // The deepest match above depth K is known without a walk (in the slot or the cluster
    // header): when there is none, the top trie is skipped.
    const entry = load<u32>(table + (<usize>slot << 2));
    if ((entry & TOP_BIT) != 0) {
      if ((entry & NONE) != NONE) levels = <i32>walk(topBlocks, topValues, 0, topDigits - 1, true, 0);
    } else {
      const c = image + <usize>entry;
      if (load<u32>(c) != NONE) levels = <i32>walk(topBlocks, topValues, 0, topDigits - 1, true, 0);
      levels = <i32>walk(c + 8, enterCluster(c), topDigits, len, true, levels);
    }
  }
  let out: i32 = 0;
  for (let l = levels - 1; l >= 0; l--) {
    const s = STACK + (<usize>l << 4);
    const start = <usize>load<u32>(s);
    const count = load<u32>(s, 4);
    const depth = load<u32>(s, 8);
    for (let i: u32 = 0; i < count; i++) {
      if (out >= OUTPUT_CAP) return out;
      const o = OUTPUT + (<usize>out << 3);
      store<i32>(o, load<i32>(start + (<usize>i << 2)));
      store<u32>(o, depth, 4);
      out++;
    }
  }
  return out;
}
