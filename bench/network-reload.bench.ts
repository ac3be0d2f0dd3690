// Live reload of network.yaml with N routing gateways (two prefixes and a one-rule dial plan each):
// the event-loop delay (monitorEventLoopDelay at 1 ms: max and p99) while the switch's
// reloadNetwork() runs, against two references measured in the same run: the machine's noise floor
// (the same monitor over an idle loop of about the same length) and the main-thread baseline (the
// same read, validation and compile done on the event loop, whose delay is the whole reload).
//   node dist/bench/network-reload.bench.js [--reps 3] [--sizes 1000,10000]
import { writeFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../test/helpers/switch.js';
import { loadConfig, readNetworkRaw } from '../src/config/index.js';
import { Softswitch } from '../src/switch.js';
import { NetworkPolicy } from '../src/call/index.js';
import { effectiveNetwork } from '../src/live-network.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const REPS = Number(arg('reps', '3'));
const SIZES = arg('sizes', '1000,10000').split(',').map(Number);

const IP = '127.0.0.164';
// `shift` changes every gateway's prefixes, so each reload is a real change of the whole table.
const net = (n: number, shift = 0) => ({
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.165'], account: 'acc' }],
  routingGateways: Array.from({ length: n }, (_, i) => ({
    name: `gw${i}`, address: '127.0.0.166', port: 5080, prefixes: [String(100000 + i + shift), String(200000 + i + shift)], calleeRules: [{ from: '00', to: '' }],
  })),
});

interface Watch { readonly ms: number; readonly max: number; readonly p99: number; readonly gcMax: number; readonly gcMs: number }

/**
 * Runs fn with the loop-delay monitor on; its duration, the longest delay and the p99, and the
 * event loop's own GC pauses meanwhile (longest and total), all in ms.
 */
async function watched(fn: () => Promise<unknown> | unknown): Promise<Watch> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let gcMax = 0;
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcMs += e.duration;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  h.enable();
  // The monitor drops its first sample: let it take a few before the work starts.
  await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  gc.disconnect();
  return { ms, max: h.max / 1e6, p99: h.percentile(99) / 1e6, gcMax, gcMs };
}

const range = (xs: number[], digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 1 ? s[0]!.toFixed(digits) : `${s[0]!.toFixed(digits)}-${s[s.length - 1]!.toFixed(digits)}`;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const n of SIZES) {
  const dir = writeNetworkConfig({ ip: IP, network: net(10) });
  const sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  const load = loadavg()[0]!.toFixed(2);
  writeFileSync(join(dir, 'network.yaml'), stringify(net(n)));
  const base = await watched(() => {
    const network = effectiveNetwork(readNetworkRaw(dir), [], 'network.yaml', sw.config.server);
    (sw.policy as NetworkPolicy).next({ ...sw.config, network }).retire();
  });
  const live: Watch[] = [];
  const idle: Watch[] = [];
  for (let r = 0; r < REPS; r++) {
    writeFileSync(join(dir, 'network.yaml'), stringify(net(n, r + 1)));
    const w = await watched(() => sw.reloadNetwork());
    live.push(w);
    idle.push(await watched(() => new Promise((res) => setTimeout(res, w.ms))));
  }
  const maxes = live.map((w) => w.max);
  console.log(`${n} gateways (load average ${load}, ${REPS} reloads):`);
  console.log(`  main-thread baseline  ${base.ms.toFixed(0)} ms, loop delay max ${base.max.toFixed(0)} ms; GC pauses max ${base.gcMax.toFixed(1)} ms, total ${base.gcMs.toFixed(0)} ms`);
  console.log(`  reloadNetwork()       ${range(live.map((w) => w.ms))} ms, loop delay max ${range(maxes, 1)} ms (each: ${maxes.map((m) => m.toFixed(1)).join(', ')}), p99 ${range(live.map((w) => w.p99), 1)} ms; GC pauses max ${range(live.map((w) => w.gcMax), 1)} ms, total ${range(live.map((w) => w.gcMs))} ms`);
  console.log(`  idle loop (noise)     loop delay max ${range(idle.map((w) => w.max), 1)} ms, p99 ${range(idle.map((w) => w.p99), 1)} ms`);
  console.log(`  ratio of max delays, reloadNetwork / baseline: ${(median(maxes) / base.max).toFixed(3)}x (${range(maxes.map((m) => m / base.max), 3)})`);
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
}
