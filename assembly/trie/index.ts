// Digit prefix trie lookup over a flat image compiled by src/routing/trie-image.ts.
// One instance holds one image (one table); the TS wrapper copies the image to heapBase(), calls
// load(), then writes a number's ASCII digits to the input region and calls lookup(len).
//
// Image layout (little endian, byte offsets):
//   0  u32 magic 'PTR1'        4  u32 nodeCount     8  u32 entryCount   12 u32 blockCount
//   16 u32 bitmapsOff          20 u32 childRankOff  24 u32 valueRankOff 28 u32 valuesOff
//   bitmaps:    u16 per node, blockCount*4 of them (padded); bits 0-9 = child exists for digit
//               0-9, bits 10-15 = number of values stored at this node (0-63).
//   childRank:  u32 per block of 4 nodes = index of the first child of the block's first node
//               (nodes are numbered breadth first, children in digit order, root = 0).
//   valueRank:  u32 per block = index in values[] of the block's first node's first value.
//   values:     i32 per entry, grouped by node in node order, insertion order within a node.
// So a node costs 2 + 8/4 = 4 bytes and an entry 4 bytes; no pointers are stored per node.

const MAGIC: u32 = 0x31525450; // "PTR1"
const INPUT_CAP: i32 = 64;
const OUTPUT_CAP: i32 = 1024; // matches (value i32 + length i32 each)
const MAX_DEPTH: i32 = 65; // INPUT_CAP + the root

const INPUT: usize = memory.data(INPUT_CAP, 8);
const OUTPUT: usize = memory.data(OUTPUT_CAP * 8, 8);
// Per matched level: [valueStart u32, count u32, depth u32, pad]; filled shallow to deep.
const STACK: usize = memory.data(MAX_DEPTH * 16, 8);

// Low 10 bits of each 16-bit lane: the child bits of four packed node bitmaps.
const CHILD_LANES: u64 = 0x03FF_03FF_03FF_03FF;

let bitmaps: usize = 0;
let childRank: usize = 0;
let valueRank: usize = 0;
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
  const blocks = load<u32>(ptr, 12);
  const bOff = load<u32>(ptr, 16);
  const cOff = load<u32>(ptr, 20);
  const vOff = load<u32>(ptr, 24);
  const eOff = load<u32>(ptr, 28);
  if (nodes == 0 || blocks != (nodes + 3) >> 2) return -2;
  if (<u64>bOff + <u64>blocks * 8 > <u64>cOff || <u64>cOff + <u64>blocks * 4 > <u64>vOff) return -2;
  if (<u64>vOff + <u64>blocks * 4 > <u64>eOff || <u64>eOff + <u64>entries * 4 > <u64>len) return -2;
  if ((bOff & 7) != 0 || (cOff & 3) != 0 || (vOff & 3) != 0 || (eOff & 3) != 0) return -2;
  bitmaps = ptr + bOff;
  childRank = ptr + cOff;
  valueRank = ptr + vOff;
  values = ptr + eOff;
  nodeCount = nodes;
  return 0;
}

// The bitmaps of the nodes before `node` in its block of four, other lanes zeroed.
@inline function priorLanes(node: u32): u64 {
  const word = load<u64>(bitmaps + (<usize>(node >> 2) << 3));
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
    const bm = <u32>load<u16>(bitmaps + (<usize>node << 1));
    const count = bm >> 10;
    if (count != 0) {
      const prior = priorLanes(node);
      // Value counts of the up to three earlier lanes (bits 10-15 of lanes 0, 1, 2).
      const before = <u32>(((prior >> 10) & 63) + ((prior >> 26) & 63) + ((prior >> 42) & 63));
      const s = STACK + (<usize>levels << 4);
      store<u32>(s, load<u32>(valueRank + (<usize>(node >> 2) << 2)) + before);
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
    node = load<u32>(childRank + (<usize>(node >> 2) << 2))
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
