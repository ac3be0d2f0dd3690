// Dial-plan matching and rewriting over a compiled rule-set image (see src/dialplan/image.ts for
// the writer; the layout is repeated here because both sides must agree byte for byte).
//
// Image (all offsets relative to the image base, little-endian):
//   header  u32 magic 'DPL1', u32 ruleCount, u32 rootNode, i32 defaultRule (-1 none), u32 ruleTable,
//           u32 rulesHash (checked by TS only), padding to 32 bytes
//   rule    16 bytes: u32 prefixLen, u32 flags (bit 0: needs random draws), u32 altTable, u32 altCount
//   alt     8 bytes: u32 program, u32 draws
//   node    u32 word0 (bits 0-9: digit children, bit 10: `?` child, bits 16-23: other-char count),
//           u32 ruleList (0 = none), then u32 child offsets (digits ascending, then `?`), then the
//           other chars as bytes padded to 4, then their u32 child offsets.
//   rules   u32 count, then 8-byte entries sorted best first: u32 (index | condCount << 24),
//           u16 minLen, u16 maxLen
//   program bytes: 0 END, 1 LIT n bytes.., 2 RAND, 3 DOLLAR pos, 4 REST,
//           5 RANGE width f64 lo f64 span (unaligned)
//
// No allocation anywhere: fixed regions below, the images live in memory the TS wrapper manages
// above __heap_base.

const INPUT_CAP: i32 = 256;
const INPUT: usize = memory.data(256);
const OUTPUT: usize = memory.data(1024);
// Draws from the injected random source, written by the wrapper before `rewrite`.
const RAND: usize = memory.data(8 * 128, 8);
// [0] output length
const SLOTS: usize = memory.data(16, 4);

const OP_END: u8 = 0;
const OP_LIT: u8 = 1;
const OP_RAND: u8 = 2;
const OP_DOLLAR: u8 = 3;
const OP_REST: u8 = 4;
const OP_RANGE: u8 = 5;

const DIGIT_MASK: u32 = 0x3ff;
const WILD_BIT: u32 = 0x400;

export function inputPtr(): usize { return INPUT; }
export function inputCap(): i32 { return INPUT_CAP; }
export function outputPtr(): usize { return OUTPUT; }
export function randPtr(): usize { return RAND; }
export function slotsPtr(): usize { return SLOTS; }
export function heapBase(): usize { return (__heap_base + 15) & ~15; }

// Best candidate of the current search: deeper prefix wins, then more length conditions, then
// the lower rule index. Globals, not a struct, so the search allocates nothing.
let bestDepth: i32 = -1;
let bestCc: u32 = 0;
let bestIdx: u32 = 0;

// First entry of a node's (pre-sorted) rule list whose length range holds len, offered as a candidate.
@inline function visit(base: usize, list: u32, depth: i32, len: i32): void {
  let p = base + <usize>list;
  const n = load<u32>(p);
  p += 4;
  for (let i: u32 = 0; i < n; i++, p += 8) {
    const lo = <i32>load<u16>(p, 4);
    const hi = <i32>load<u16>(p, 6);
    if (len < lo || len > hi) continue;
    const w = load<u32>(p);
    const idx = w & 0xffffff;
    const cc = w >>> 24;
    if (depth > bestDepth || (depth == bestDepth && (cc > bestCc || (cc == bestCc && idx < bestIdx)))) {
      bestDepth = depth;
      bestCc = cc;
      bestIdx = idx;
    }
    return;
  }
}

// Walks the trie along the number; a `?` child forks a recursive walk (depth <= 256).
function walk(base: usize, node: u32, pos: i32, len: i32): void {
  while (true) {
    const np = base + <usize>node;
    const w0 = load<u32>(np);
    const list = load<u32>(np, 4);
    if (list != 0) visit(base, list, pos, len);
    if (pos >= len) return;
    const c = <u32>load<u8>(INPUT + <usize>pos);
    const d = c - 48; // unsigned: non-digits wrap to large values
    const mask = w0 & DIGIT_MASK;
    if (d < 10) {
      if (w0 & WILD_BIT) {
        // the `?` child sits after the digit children: popcount of the digit bits is its slot
        const q = load<u32>(np + 8 + (<usize>popcnt(mask) << 2));
        walk(base, q, pos + 1, len);
      }
      const bit: u32 = 1 << d;
      if ((mask & bit) == 0) return;
      // rank of this digit among the present ones = popcount of the lower bits
      node = load<u32>(np + 8 + (<usize>popcnt(mask & (bit - 1)) << 2));
    } else {
      const others = (w0 >>> 16) & 0xff;
      if (others == 0) return;
      const chars = np + 8 + (<usize>popcnt(w0 & (DIGIT_MASK | WILD_BIT)) << 2);
      let j: u32 = 0;
      while (j < others && <u32>load<u8>(chars + <usize>j) != c) j++;
      if (j == others) return;
      // child offsets follow the chars, padded up to a multiple of 4
      node = load<u32>(chars + (<usize>((others + 3) & ~3)) + (<usize>j << 2));
    }
    pos++;
  }
}

// Byte loop: numbers are short, and a non-constant-size memory.copy is an out-of-line call in V8
// (A/B on the 1,000-rule set: ~250 vs ~320 ns per transform, noisy).
@inline function copy(dst: usize, src: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
}

// Writes v in decimal, zero-padded to width digits, at out; returns the new end.
function writeDecimal(out: usize, v: u64, width: i32): usize {
  for (let i = width - 1; i >= 0; i--) {
    store<u8>(out + <usize>i, <u8>(48 + <u32>(v % 10)));
    v /= 10;
  }
  return out + <usize>width;
}

// Same mapping as pick() in src/dialplan/reference.ts: floor(r * n), clamped to 0..n-1.
@inline function pick(r: f64, n: f64): f64 {
  const x = Math.floor(r * n);
  if (!(x >= 0)) return 0;
  return x >= n ? n - 1 : x;
}

function run(base: usize, prog: u32, from: i32, len: i32): i32 {
  let p = base + <usize>prog;
  let out = OUTPUT;
  let draw = RAND;
  while (true) {
    const op = load<u8>(p);
    p++;
    if (op == OP_LIT) {
      const n = <usize>load<u8>(p);
      copy(out, p + 1, n);
      out += n;
      p += 1 + n;
    } else if (op == OP_RAND) {
      store<u8>(out, <u8>(48 + <i32>pick(load<f64>(draw), 10)));
      draw += 8;
      out++;
    } else if (op == OP_DOLLAR) {
      const pos = <i32>load<u8>(p);
      p++;
      if (pos < len) { store<u8>(out, load<u8>(INPUT + <usize>pos)); out++; }
    } else if (op == OP_REST) {
      if (from < len) {
        const n = <usize>(len - from);
        copy(out, INPUT + <usize>from, n);
        out += n;
      }
    } else if (op == OP_RANGE) {
      const width = <i32>load<u8>(p);
      const lo = load<f64>(p + 1);
      const span = load<f64>(p + 9);
      p += 17;
      out = writeDecimal(out, <u64>(lo + pick(load<f64>(draw), span)), width);
      draw += 8;
    } else {
      break;
    }
  }
  const n = <i32>(out - OUTPUT);
  store<i32>(SLOTS, n);
  return n;
}

// Finds the winning rule for the len bytes at INPUT. Returns its index and, when the rule needs
// no random draws, writes the output (length in slot 0). Returns -1 when no rule matches and
// -2 - index when the rule needs draws: the wrapper then fills RAND and calls rewrite().
export function transform(base: usize, len: i32): i32 {
  if (len < 0 || len > INPUT_CAP) return -1;
  bestDepth = -1;
  bestCc = 0;
  bestIdx = 0;
  walk(base, load<u32>(base, 8), 0, len);
  let rule: i32;
  if (bestDepth >= 0) rule = <i32>bestIdx;
  else {
    rule = load<i32>(base, 12);
    if (rule < 0) return -1;
  }
  const r = base + <usize>load<u32>(base, 16) + (<usize>rule << 4);
  if (load<u32>(r, 4) & 1) return -2 - rule;
  run(base, load<u32>(base + <usize>load<u32>(r, 8)), <i32>load<u32>(r), len);
  return rule;
}

// Rewrites with alternative alt of a rule that transform() reported as needing draws.
export function rewrite(base: usize, rule: i32, alt: i32, len: i32): i32 {
  const r = base + <usize>load<u32>(base, 16) + (<usize>rule << 4);
  const a = base + <usize>load<u32>(r, 8) + (<usize>alt << 3);
  return run(base, load<u32>(a), <i32>load<u32>(r), len);
}

// Alternatives and draws of a rule, for the wrapper to draw the right count in the right order.
export function altCount(base: usize, rule: i32): i32 {
  return <i32>load<u32>(base + <usize>load<u32>(base, 16) + (<usize>rule << 4), 12);
}
export function altDraws(base: usize, rule: i32, alt: i32): i32 {
  const r = base + <usize>load<u32>(base, 16) + (<usize>rule << 4);
  return <i32>load<u32>(base + <usize>load<u32>(r, 8) + (<usize>alt << 3), 4);
}
