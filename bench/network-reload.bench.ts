// Live reload of network.yaml with N routing gateways (two prefixes and a one-rule dial plan each):
// the longest event-loop stall (a 1 ms timer watches it) of the switch's reloadNetwork(), which
// reads and validates in a worker thread, against a baseline in the same run: the same read,
// validation and compile done on the main thread.   node dist/bench/network-reload.bench.js
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../test/helpers/switch.js';
import { loadConfig, readNetworkRaw } from '../src/config/index.js';
import { Softswitch } from '../src/switch.js';
import { NetworkPolicy } from '../src/call/index.js';
import { effectiveNetwork } from '../src/live-network.js';

const IP = '127.0.0.164';
const net = (n: number) => ({
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.165'], account: 'acc' }],
  routingGateways: Array.from({ length: n }, (_, i) => ({
    name: `gw${i}`, address: '127.0.0.166', port: 5080, prefixes: [String(100000 + i), String(200000 + i)], calleeRules: [{ from: '00', to: '' }],
  })),
});

/** Runs fn and reports its duration and the longest gap between 1 ms timer ticks meanwhile. */
async function watched(fn: () => Promise<unknown> | unknown): Promise<{ ms: number; stall: number }> {
  let last = performance.now();
  let stall = 0;
  const iv = setInterval(() => {
    const t = performance.now();
    stall = Math.max(stall, t - last);
    last = t;
  }, 1);
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(iv);
  stall = Math.max(stall, performance.now() - last);
  return { ms, stall };
}

for (const n of [1000, 10000]) {
  const dir = writeNetworkConfig({ ip: IP, network: net(10) });
  const sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  writeFileSync(join(dir, 'network.yaml'), stringify(net(n)));
  const base = await watched(() => {
    const network = effectiveNetwork(readNetworkRaw(dir), [], 'network.yaml', sw.config.server);
    (sw.policy as NetworkPolicy).next({ ...sw.config, network }).retire();
  });
  const live = await watched(() => sw.reloadNetwork());
  console.log(`${n} gateways: main-thread baseline ${base.ms.toFixed(0)} ms, stall ${base.stall.toFixed(0)} ms | reloadNetwork ${live.ms.toFixed(0)} ms, stall ${live.stall.toFixed(0)} ms | stall ratio ${(live.stall / base.stall).toFixed(2)}x`);
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
}
