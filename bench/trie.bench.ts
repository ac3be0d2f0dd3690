// Trie benchmark: build time and lookups/s for 10k, 100k and 1M prefixes, WASM PrefixTable against
// the plain-TS Map baseline measured in the same run, plus image bytes per prefix and the event-loop
// delay while the 1M table compiles in the pool.   node dist/bench/trie.bench.js [--quick]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PrefixTable, MapPrefixTable, createCompilePool, type PrefixEntry } from '../src/routing/index.js';

const SIZES = process.argv.includes('--quick') ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const ROUNDS = 3; // keep the whole run under ~25 s on the shared 2-core machine
const NUMBERS = 200_000;

// Prefixes of 5-8 digits, distinct: i * K mod 9e7 (K coprime to 9e7), then cut to a length taken
// from i, the way rate decks mix country, area and exchange codes.
function prefixes(n: number): PrefixEntry[] {
  const out: PrefixEntry[] = new Array(n);
  const seen = new Set<string>();
  let k = 0;
  for (let i = 0; out.length > k && k < n; i++) {
    const full = String(10_000_000 + ((i * 7_654_321) % 90_000_000));
    const p = full.slice(0, 5 + (i % 4));
    if (seen.has(p)) continue;
    seen.add(p);
    out[k] = { prefix: p, value: k };
    k++;
  }
  return out;
}

// uniform: every prefix equally likely (worst case for caches). skewed: prefix index n * u^4,
// u uniform, so a few thousand destinations take most calls, as in real traffic.
function numbers(entries: PrefixEntry[], skewed: boolean): string[] {
  const out: string[] = new Array(NUMBERS);
  let x = 42;
  for (let i = 0; i < NUMBERS; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const u = x / 2 ** 32;
    const idx = skewed ? Math.floor(entries.length * u ** 4) : x % entries.length;
    // 3 of 4 numbers extend a real prefix; 1 of 4 is random digits (mostly misses or short hits)
    const base = (x & 3) !== 0 ? entries[idx]!.prefix : String(x % 1000);
    out[i] = (base + String(1_000_000_000 + (x % 999_999_999))).slice(0, 12);
  }
  return out;
}

function stats(xs: number[]): { med: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { med: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! };
}
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);

function opsPerSec(fn: () => number): number {
  const t0 = performance.now();
  const sink = fn();
  const ms = performance.now() - t0;
  if (sink < 0) console.log(sink); // keep the work observable
  return (NUMBERS / ms) * 1000;
}

async function main(): Promise<void> {
  const pool = createCompilePool();
  try {
    for (const n of SIZES) {
      const entries = prefixes(n);
      const nums = numbers(entries, false);
      const hot = numbers(entries, true);
      let t0 = performance.now();
      const table = PrefixTable.build(entries);
      const buildMs = performance.now() - t0;
      t0 = performance.now();
      const base = new MapPrefixTable(entries);
      const mapBuildMs = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      t0 = performance.now();
      const pooled = await PrefixTable.buildInPool(entries, pool);
      const poolMs = performance.now() - t0;
      h.disable();
      pooled.release();

      const wasmCount: number[] = [], wasmHot: number[] = [], mapHot: number[] = [], wasmObj: number[] = [], mapObj: number[] = [], wasmLong: number[] = [], mapLong: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        wasmCount.push(opsPerSec(() => { let s = 0; for (const x of nums) s += table.matchCount(x); return s; }));
        wasmHot.push(opsPerSec(() => { let s = 0; for (const x of hot) s += table.longest(x)?.length ?? 0; return s; }));
        mapHot.push(opsPerSec(() => { let s = 0; for (const x of hot) s += base.longest(x)?.length ?? 0; return s; }));
        wasmLong.push(opsPerSec(() => { let s = 0; for (const x of nums) s += table.longest(x)?.length ?? 0; return s; }));
        mapLong.push(opsPerSec(() => { let s = 0; for (const x of nums) s += base.longest(x)?.length ?? 0; return s; }));
        wasmObj.push(opsPerSec(() => { let s = 0; for (const x of nums) s += table.lookup(x).length; return s; }));
        mapObj.push(opsPerSec(() => { let s = 0; for (const x of nums) s += base.lookup(x).length; return s; }));
      }
      const line = (name: string, xs: number[], ref?: number[]) => {
        const s = stats(xs);
        const ratio = ref ? `  x${(s.med / stats(ref).med).toFixed(2)} vs Map (min-max x${(s.min / stats(ref).max).toFixed(2)}-x${(s.max / stats(ref).min).toFixed(2)})` : '';
        console.log(`  ${name.padEnd(26)} ${fmt(s.med).padStart(9)} lookups/s  [${fmt(s.min)}-${fmt(s.max)}]${ratio}`);
      };
      console.log(`\n${n.toLocaleString('en')} prefixes: image ${table.imageBytes} B = ${(table.imageBytes / n).toFixed(2)} B/prefix, ${table.nodes} nodes`);
      console.log(`  build: in-thread ${buildMs.toFixed(0)} ms, in pool ${poolMs.toFixed(0)} ms (max event-loop delay ${(h.max / 1e6).toFixed(1)} ms), Map baseline ${mapBuildMs.toFixed(0)} ms`);
      line('WASM matchCount', wasmCount, mapLong);
      line('WASM longest()', wasmLong, mapLong);
      line('Map longest() [baseline]', mapLong);
      line('WASM longest() skewed', wasmHot, mapHot);
      line('Map longest() skewed', mapHot);
      line('WASM lookup() all matches', wasmObj, mapObj);
      line('Map lookup() [baseline]', mapObj);
      table.release();
    }
  } finally {
    await pool.destroy();
  }
}

await main();
