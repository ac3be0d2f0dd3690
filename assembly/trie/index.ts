// Digit prefix trie lookup over a flat image compiled by src/routing/trie-image.ts.
// One instance holds one image (one table); the TS wrapper copies the image to heapBase(), calls
// load(), then writes a number's ASCII digits to the input region and calls lookup(len).
//
// Image layout (little endian, byte offsets):
//   0  u32 magic 'PTR2'   4  u32 nodeCount   8  u32 entryCount   12 u32 blockCount
//   16 u32 blocksOff      20 u32 valuesOff   24, 28 reserved (0)
//   blocks: 16 bytes per 4 nodes (nodes numbered breadth first, children in digit order, root 0):
//     +0  4 x u16 node bitmaps: bits 0-9 = child exists for digit 0-9, bits 10-15 = number of
//         values stored at the node (0-63)
//     +8  u32 childRank = node index of the first child of the block's first node
//     +12 u32 valueRank = index in values[] of the block's first node's first value
//   values: i32 per entry, grouped by node in node order, insertion order within a node.
// A node costs 4 bytes and an entry 4; no pointer is stored per node (children and values are
// found by rank: the block's rank plus a popcount over the earlier nodes of the block). Keeping a
// block in one 16-byte unit means one cache line per trie level on large tables.

const MAGIC: u32 = 0x32525450; // "PTR2"
const INPUT_CAP: i32 = 64;
const OUTPUT_CAP: i32 = 1024; // matches (value i32 + length i32 each)
const MAX_DEPTH: i32 = 65; // INPUT_CAP + the root

const INPUT: usize = memory.data(INPUT_CAP, 8);
const OUTPUT: usize = memory.data(OUTPUT_CAP * 8, 8);
// Per matched level: [valueStart u32, count u32, depth u32, pad]; filled shallow to deep.
const STACK: usize = memory.data(MAX_DEPTH * 16, 8);

// Low 10 bits of each 16-bit lane: the child bits of four packed node bitmaps.
const CHILD_LANES: u64 = 0x03FF_03FF_03FF_03FF;

let blocks: usize = 0;
let values: usize = 0;
let nodeCount: u32 = 0;

export function inputPtr(): usize { return INPUT; }
export function inputCap(): i32 { return INPUT_CAP; }
export function outputPtr(): usize { return OUTPUT; }
export function outputCap(): i32 { return OUTPUT_CAP; }

/** First byte past the static data, 8-aligned: where the wrapper copies the image. */
export function heapBase(): usize {
  return (__heap_base + 7) & ~(<usize>7);
}

/** Adopts the image at ptr; returns 0, or -1 bad magic, -2 offsets outside len. */
export function loadImage(ptr: usize, len: u32): i32 {
  if (len < 32 || load<u32>(ptr) != MAGIC) return -1;
  const nodes = load<u32>(ptr, 4);
  const entries = load<u32>(ptr, 8);
  const blockCount = load<u32>(ptr, 12);
  const bOff = load<u32>(ptr, 16);
  const eOff = load<u32>(ptr, 20);
  if (nodes == 0 || blockCount != (nodes + 3) >> 2) return -2;
  if (bOff < 32 || <u64>bOff + <u64>blockCount * 16 > <u64>eOff || <u64>eOff + <u64>entries * 4 > <u64>len) return -2;
  if ((bOff & 15) != 0 || (eOff & 3) != 0) return -2;
  blocks = ptr + bOff;
  values = ptr + eOff;
  nodeCount = nodes;
  return 0;
}

@inline function blockOf(node: u32): usize {
  return blocks + (<usize>(node >> 2) << 4);
}

// The bitmaps of the nodes before `node` in its block of four, other lanes zeroed.
@inline function priorLanes(node: u32): u64 {
  const word = load<u64>(blockOf(node));
  // (1 << 16p) - 1 keeps the p lanes below this node; p = 0 gives 0.
  return word & ((<u64>1 << (<u64>(node & 3) << 4)) - 1);
}

/**
 * Walks the ASCII digits at the input region; writes every match as (value, length) pairs to the
 * output region, longest first, values of one prefix in insertion order. Returns the number of
 * matches written (at most outputCap()). A non-digit ends the walk.
 */
export function lookup(len: i32): i32 {
  if (nodeCount == 0) return 0;
  if (len > INPUT_CAP) len = INPUT_CAP;
  let node: u32 = 0;
  let levels: i32 = 0;
  for (let depth: i32 = 0; ; depth++) {
    const bm = <u32>load<u16>(blockOf(node) + (<usize>(node & 3) << 1));
    const count = bm >> 10;
    if (count != 0) {
      const prior = priorLanes(node);
      // Value counts of the up to three earlier lanes (bits 10-15 of lanes 0, 1, 2).
      const before = <u32>(((prior >> 10) & 63) + ((prior >> 26) & 63) + ((prior >> 42) & 63));
      const s = STACK + (<usize>levels << 4);
      store<u32>(s, load<u32>(blockOf(node), 12) + before);
      store<u32>(s, count, 4);
      store<u32>(s, <u32>depth, 8);
      levels++;
    }
    if (depth == len) break;
    const d = <u32>load<u8>(INPUT + <usize>depth) - 48; // unsigned: anything below '0' wraps high
    if (d > 9) break;
    const bit = <u32>1 << d;
    if ((bm & bit) == 0) break;
    const prior = priorLanes(node);
    node = load<u32>(blockOf(node), 8)
      + <u32>popcnt<u64>(prior & CHILD_LANES)
      + popcnt<u32>(bm & (bit - 1)); // earlier siblings of the wanted child
  }
  let out: i32 = 0;
  for (let l = levels - 1; l >= 0; l--) {
    const s = STACK + (<usize>l << 4);
    const start = load<u32>(s);
    const count = load<u32>(s, 4);
    const depth = load<u32>(s, 8);
    for (let i: u32 = 0; i < count; i++) {
      if (out >= OUTPUT_CAP) return out;
      const o = OUTPUT + (<usize>out << 3);
      store<i32>(o, load<i32>(values + (<usize>(start + i) << 2)));
      store<u32>(o, depth, 4);
      out++;
    }
  }
  return out;
}
