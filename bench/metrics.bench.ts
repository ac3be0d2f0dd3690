/**
 * /metrics scrape cost with 1,000 routing gateways configured, each with traffic (attempts,
 * answers, failures by code, talk and PDD histograms), against two baselines measured in the
 * same run on the same admin server code: GET /api/v1/health (the HTTP + auth floor), and
 * /metrics on a switch with 2 gateways (what the gateway count costs).
 * Run: node dist/bench/metrics.bench.js [--rounds 5] [--scrapes 20]
 * Output: median scrapes/s, spread (min..max over rounds), ms per scrape, body size, ratios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { Softswitch } from '../src/switch.js';
import { startAdmin, type AdminServer } from '../src/admin/index.js';
import { SswMetrics } from '../src/metrics/index.js';
import { logger } from '../src/util/log.js';
import type { CallRecord, EndReason } from '../src/call/index.js';
import { writeConfig } from '../test/helpers/switch.js';

logger.level = process.env.SSW_LOG_LEVEL ?? 'silent';
const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = arg('--rounds', 5);
const SCRAPES = arg('--scrapes', 20);
const TOKEN = 'bench-token-0123456789abcdef';

interface Rig { sw: Softswitch; admin: AdminServer; metrics: SswMetrics; dirs: string[] }

async function rig(gateways: number, ip: string): Promise<Rig> {
  const carriers = Array.from({ length: gateways }, (_, i) => ({ name: `carrier-${String(i).padStart(4, '0')}`, address: '127.0.0.1', port: 20000 + i }));
  const cfgDir = writeConfig({ ip, customers: [{ name: 'cust-a', ips: ['127.0.0.2'] }, { name: 'cust-b', ips: ['127.0.0.3'] }], carriers });
  const dataDir = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
  const sw = new Softswitch(loadConfig(cfgDir, { env: {} }));
  const metrics = new SswMetrics(sw);
  // Every gateway carries calls: one answered, one busy, one timed out; both customers.
  const gws = sw.config.network.routingGateways;
  const reasons: EndReason[] = ['normal-clearing', 'callee-failure', 'response-timeout'];
  let n = 0;
  for (const gw of gws) {
    for (const [k, status] of [200, 486, 408].entries()) {
      const answered = status === 200;
      const rec = {
        flowNo: `f${n++}`, ingress: sw.config.network.mappingGateways[n % 2]!, attempts: [{ gateway: gw, startMono: 0, firstProvisionalMono: 1200, status, provisional: 180, sdpSeen: false }],
        answerWall: answered ? 1 : 0, answerMono: answered ? 2000 : 0, endMono: answered ? 2000 + (n % 600) * 1000 : 3000, endReason: reasons[k]!,
      } as unknown as CallRecord;
      for (const l of sw.onCallEnded) l(rec);
    }
  }
  const admin = await startAdmin(sw, { port: 0, dataDir, tokens: [{ name: 'bench', token: TOKEN, role: 'read-only' }], rateLimit: { burst: 1e9, perSecond: 1e9 }, metrics, printToken: () => {} });
  return { sw, admin, metrics, dirs: [cfgDir, dataDir] };
}

async function get(url: string): Promise<number> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return body.byteLength;
}

interface Stat { median: number; min: number; max: number; bytes: number }
async function measure(url: string, scrapes: number): Promise<Stat> {
  let bytes = 0;
  for (let i = 0; i < 3; i++) bytes = await get(url); // warm-up (JIT, keep-alive)
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < scrapes; i++) await get(url);
    rates.push(scrapes / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)]!, min: rates[0]!, max: rates[rates.length - 1]!, bytes };
}

const fmt = (s: Stat): string =>
  `${s.median.toFixed(1)} scrapes/s = ${(1000 / s.median).toFixed(2)} ms each (spread ${s.min.toFixed(1)}..${s.max.toFixed(1)}, ±${(((s.max - s.min) / 2 / s.median) * 100).toFixed(0)} %), ${Math.round(s.bytes / 1024)} KiB`;

const big = await rig(1000, '127.0.0.60');
const small = await rig(2, '127.0.0.61');
try {
  const health = await measure(`${big.admin.url}/api/v1/health`, SCRAPES * 10);
  const smallScrape = await measure(`${small.admin.url}/metrics`, SCRAPES * 5);
  // The scrape runs on the thread that owns SIP: its longest event-loop stall is what calls feel.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const bigScrape = await measure(`${big.admin.url}/metrics`, SCRAPES);
  loop.disable();
  const series = (await (await fetch(`${big.admin.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
  console.log(`/metrics with 1,000 routing gateways (${series.toLocaleString('en')} series)`);
  console.log(`  ours                 ${fmt(bigScrape)}`);
  console.log(`  baseline 2 gateways  ${fmt(smallScrape)}`);
  console.log(`  baseline /health     ${fmt(health)}`);
  console.log(`  ratio vs 2 gateways  ${(bigScrape.median / smallScrape.median).toFixed(3)}x (scrape rate; <1 = slower)`);
  console.log(`  ratio vs /health     ${(bigScrape.median / health.median).toFixed(3)}x`);
  console.log(`  event-loop delay while scraping 1,000 gateways: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
} finally {
  for (const r of [big, small]) {
    await r.admin.close();
    r.metrics.close();
    for (const d of r.dirs) rmSync(d, { recursive: true, force: true });
  }
}
