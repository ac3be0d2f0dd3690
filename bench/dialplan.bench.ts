// Dial-plan engine: transforms/s and compile time, WASM engine vs the plain TypeScript reference
// engine (Map of prefixes, probed longest first), same rules, same numbers, same run.
//   node [--expose-gc] dist/bench/dialplan.bench.js [--quick]
// With --expose-gc, RSS and heap are read after a full collection (live memory, not garbage).
// Each figure is the median of 5 reps with [min..max]; ratio = reference time / WASM time per rep.
import { performance } from 'node:perf_hooks';
import { DialPlan, ReferencePlan, seededRandom as prng, type DialRule } from '../src/dialplan/index.js';

const REPS = 5;
const quick = process.argv.includes('--quick');
const SIZES = quick ? [10, 1000] : [10, 1000, 100_000];

const digits = (r: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(48 + Math.floor(r() * 10));
  return s;
};

/** A carrier-like rule set: prefix rewrites and strips, some length conditions and `?`, a default. */
function makeRules(n: number, r: () => number): DialRule[] {
  const rules: DialRule[] = [];
  const seen = new Set<string>();
  while (rules.length < n - 1) {
    const len = 2 + Math.floor(r() * 6);
    let from = digits(r, len);
    const kind = r();
    if (kind < 0.05) from = from.slice(0, -1) + '?';
    else if (kind < 0.15) from += `E${len + 5 + Math.floor(r() * 6)}`;
    if (seen.has(from)) continue;
    seen.add(from);
    const t = r();
    const to = t < 0.4 ? digits(r, 1 + Math.floor(r() * 4)) : t < 0.7 ? '' : t < 0.9 ? `00${digits(r, 2)}*` : `$$$${digits(r, 2)}`;
    rules.push({ from, to });
  }
  rules.push({ from: '*', to: '86*' });
  return rules;
}

/** Numbers that mostly start with a rule's prefix (hits at various depths) and some random misses. */
function makeNumbers(rules: readonly DialRule[], count: number, r: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (r() < 0.8) {
      const from = rules[Math.floor(r() * (rules.length - 1))]!.from.replace(/E\d+$/, '').replace('?', '5');
      out.push(from + digits(r, 11 - Math.min(from.length, 9)));
    } else {
      out.push(digits(r, 8 + Math.floor(r() * 6)));
    }
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 2): string => x.toFixed(d);
const spread = (xs: number[], d = 2): string => `[${fmt(Math.min(...xs), d)}..${fmt(Math.max(...xs), d)}]`;

let sink = 0;

function timeTransforms(fn: (n: string) => { output: string }, numbers: readonly string[], ops: number): number {
  const t0 = performance.now();
  for (let i = 0, j = 0; i < ops; i++) {
    sink += fn(numbers[j]!).output.length;
    if (++j === numbers.length) j = 0;
  }
  return ((performance.now() - t0) * 1e6) / ops; // ns per transform
}

console.log(`dialplan bench: node ${process.version}, ${REPS} reps, median [min..max]`);
console.log('rules    | compile WASM ms | compile TS ms  | ratio TS/WASM | WASM ns/op | TS ns/op | ratio TS/WASM | WASM Mops/s | RSS / heap MB');
for (const size of SIZES) {
  const r = prng(size);
  const rules = makeRules(size, r);
  const numbers = makeNumbers(rules, 10_000, r);
  const ops = size >= 100_000 ? 50_000 : 300_000;

  const cw: number[] = [], cr: number[] = [], cratio: number[] = [];
  let plan: DialPlan | undefined;
  let ref: ReferencePlan | undefined;
  for (let i = 0; i < REPS; i++) {
    plan?.dispose();
    let t0 = performance.now();
    plan = DialPlan.compile(rules, { random: prng(1) });
    const w = performance.now() - t0;
    t0 = performance.now();
    ref = ReferencePlan.compile(rules, { random: prng(1) });
    const t = performance.now() - t0;
    cw.push(w); cr.push(t); cratio.push(t / w);
  }
  // same answers before timing anything
  for (const n of numbers.slice(0, 2000)) {
    const a = plan!.transform(n), b = ref!.transform(n);
    if (a.output !== b.output || a.matched !== b.matched) throw new Error(`engines disagree on ${n}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  const p = plan!, q = ref!;
  const wasmFn = (n: string) => p.transform(n);
  const refFn = (n: string) => q.transform(n);
  timeTransforms(wasmFn, numbers, 20_000);
  timeTransforms(refFn, numbers, 20_000);
  const tw: number[] = [], tr: number[] = [], tratio: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const w = timeTransforms(wasmFn, numbers, ops);
    const t = timeTransforms(refFn, numbers, ops);
    tw.push(w); tr.push(t); tratio.push(t / w);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const rss = mem.rss / 2 ** 20;
  const heap = mem.heapUsed / 2 ** 20;
  console.log(
    `${String(size).padEnd(8)} | ${fmt(median(cw))} ${spread(cw)} | ${fmt(median(cr))} ${spread(cr)} | ${fmt(median(cratio))} ${spread(cratio)} | ` +
    `${fmt(median(tw), 0)} ${spread(tw, 0)} | ${fmt(median(tr), 0)} ${spread(tr, 0)} | ${fmt(median(tratio))} ${spread(tratio)} | ` +
    `${fmt(1e3 / median(tw))} | ${fmt(rss, 0)} / ${fmt(heap, 0)}`,
  );
  plan!.dispose();
}
if (sink === 42) console.log('');
