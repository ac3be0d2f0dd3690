// Trie benchmark: build time and lookups/s for 10k, 100k and 1M prefixes, WASM PrefixTable against
// the plain-TS Map baseline measured in the same run, image bytes per prefix, and the event-loop
// delay while tables are compiled in the pool and swapped in.
//   node --expose-gc dist/bench/trie.bench.js [--quick]     (npm run bench:micro passes --expose-gc)
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { PrefixTable, MapPrefixTable, createCompilePool, type PrefixEntry } from '../src/routing/index.js';

const SIZES = process.argv.includes('--quick') ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const ROUNDS = 7; // WASM rounds per figure, after two warm-up rounds
const MAP_ROUNDS = 3; // the baseline is ~20x slower: fewer rounds keep the run under a minute
const SWAPS = 3; // pool builds + swaps per size, each watched by the event-loop monitor
const NUMBERS = 200_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// Prefixes of 5-8 digits, distinct: i * K mod 9e7 (K coprime to 9e7), then cut to a length taken
// from i, the way rate decks mix country, area and exchange codes.
function prefixes(n: number): PrefixEntry[] {
  const out: PrefixEntry[] = new Array(n);
  const seen = new Set<string>();
  let k = 0;
  for (let i = 0; k < n; i++) {
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

// One round: lookups per wall-clock second, and per second of this process's CPU time (the
// machine is shared: when other processes take the cores, wall time grows but CPU time does not).
interface Rate { readonly wall: number; readonly cpu: number }
function once(fn: () => number): Rate {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const sink = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (sink < 0) console.log(sink); // keep the work observable
  return { wall: (NUMBERS / ms) * 1000, cpu: (NUMBERS / ((c.user + c.system) / 1000)) * 1000 };
}

// Rates of each round: garbage collected first, then a pause (V8 sweeps a big heap concurrently
// afterwards, and that competes for the caches), then two warm-up rounds (JIT and caches).
async function rounds(n: number, fn: () => number): Promise<Rate[]> {
  gc();
  await new Promise((r) => setTimeout(r, 150));
  once(fn);
  once(fn);
  return Array.from({ length: n }, () => once(fn));
}

// Evicts the trie from the caches (64 MiB of other memory touched) before each measured round.
const junk = new Int32Array(16 << 20);
async function coldRounds(n: number, fn: () => number): Promise<Rate[]> {
  await rounds(0, fn);
  return Array.from({ length: n }, () => {
    for (let i = 0; i < junk.length; i += 16) junk[i]!++;
    return once(fn);
  });
}

async function main(): Promise<void> {
  const pool = createCompilePool();
  try {
    for (const n of SIZES) {
      const entries = prefixes(n);
      const nums = numbers(entries, false);
      const hot = numbers(entries, true);
      gc();
      let t0 = performance.now();
      let table = PrefixTable.build(entries);
      const buildMs = performance.now() - t0;
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      t0 = performance.now();
      const base = new MapPrefixTable(entries);
      const mapBuildMs = performance.now() - t0;
      gc();
      const mapBytes = process.memoryUsage().heapUsed - heap0;

      // Compile in the pool and swap the new table in, as a live configuration change does; the
      // monitor sees the packing (main thread, in slices), the wait, and adopting the image.
      // Each swap is followed by an idle window of the same length under the same monitor: the
      // machine's own noise (other processes taking the cores) shows there too. The event loop's
      // GC pauses during the swap are recorded apart.
      const poolMs: number[] = [];
      const delay: number[] = [];
      const idle: number[] = [];
      const gcMax: number[] = [];
      await new Promise((r) => setTimeout(r, 20));
      for (let s = 0; s < SWAPS; s++) {
        let gcLongest = 0;
        const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) gcLongest = Math.max(gcLongest, e.duration); });
        obs.observe({ entryTypes: ['gc'] });
        const h = monitorEventLoopDelay({ resolution: 1 });
        h.enable();
        await new Promise((r) => setTimeout(r, 10)); // the monitor drops its first sample
        t0 = performance.now();
        const next = await PrefixTable.buildInPool(entries, pool);
        const old = table;
        table = next; // the swap: calls that took `old` keep it until they drop it
        old.release();
        const ms = performance.now() - t0;
        poolMs.push(ms);
        h.disable();
        obs.disconnect();
        delay.push(h.max / 1e6);
        gcMax.push(gcLongest);
        const hi = monitorEventLoopDelay({ resolution: 1 });
        hi.enable();
        await new Promise((r) => setTimeout(r, 10 + ms));
        hi.disable();
        idle.push(hi.max / 1e6);
      }
      const t = table;

      const wasmCount = await rounds(ROUNDS, () => { let s = 0; for (const x of nums) s += t.matchCount(x); return s; });
      const wasmLong = await rounds(ROUNDS, () => { let s = 0; for (const x of nums) s += t.longest(x)?.length ?? 0; return s; });
      const wasmHot = await rounds(ROUNDS, () => { let s = 0; for (const x of hot) s += t.longest(x)?.length ?? 0; return s; });
      const wasmObj = await rounds(ROUNDS, () => { let s = 0; for (const x of nums) s += t.lookup(x).length; return s; });
      const wasmCold = await coldRounds(ROUNDS, () => { let s = 0; for (const x of nums) s += t.longest(x)?.length ?? 0; return s; });
      const mapLong = await rounds(MAP_ROUNDS, () => { let s = 0; for (const x of nums) s += base.longest(x)?.length ?? 0; return s; });
      const mapHot = await rounds(MAP_ROUNDS, () => { let s = 0; for (const x of hot) s += base.longest(x)?.length ?? 0; return s; });
      const mapObj = await rounds(MAP_ROUNDS, () => { let s = 0; for (const x of nums) s += base.lookup(x).length; return s; });

      const line = (name: string, rs: Rate[], ref?: Rate[]) => {
        const s = stats(rs.map((r) => r.wall));
        const cpu = stats(rs.map((r) => r.cpu));
        let ratio = '';
        if (ref) {
          const b = stats(ref.map((r) => r.wall));
          ratio = `  x${(s.med / b.med).toFixed(2)} vs Map (min-max x${(s.min / b.max).toFixed(2)}-x${(s.max / b.min).toFixed(2)})`;
        }
        console.log(`  ${name.padEnd(28)} ${fmt(s.med).padStart(9)} lookups/s  [${fmt(s.min)}-${fmt(s.max)}]  per CPU s ${fmt(cpu.med).padStart(8)}${ratio}`);
      };
      const p = stats(poolMs);
      console.log(`\n${n.toLocaleString('en')} prefixes: image ${t.imageBytes} B = ${(t.imageBytes / n).toFixed(2)} B/prefix (${t.nodes} nodes, top table K=${t.topDigits}); Map baseline heap ${(mapBytes / n).toFixed(1)} B/prefix`);
      const per = (xs: number[]) => xs.map((d) => d.toFixed(1)).join(', ');
      console.log(`  build: in-thread ${buildMs.toFixed(0)} ms; in pool + swap ${p.med.toFixed(0)} ms [${p.min.toFixed(0)}-${p.max.toFixed(0)}], max event-loop delay ${Math.max(...delay).toFixed(1)} ms (per swap ${per(delay)}; idle loop after each, same length: ${per(idle)}; longest GC pause of the loop in each swap: ${per(gcMax)}); Map baseline ${mapBuildMs.toFixed(0)} ms`);
      line('WASM matchCount', wasmCount, mapLong);
      line('WASM longest()', wasmLong, mapLong);
      line('WASM longest() cold caches', wasmCold, mapLong);
      line('Map longest() [baseline]', mapLong);
      line('WASM longest() skewed', wasmHot, mapHot);
      line('Map longest() skewed', mapHot);
      line('WASM lookup() all matches', wasmObj, mapObj);
      line('Map lookup() [baseline]', mapObj);
      t.release();
    }
  } finally {
    await pool.destroy();
  }
}

await main();
