// Sustained CDR throughput into each store through the journal (fsync'd group commit) and the
// batched drainer, against single-row inserts (what a naive CDR writer does) in the same run.
//   node dist/bench/cdr.bench.js [--n 10000] [--base-n 500] [--reps 3] [--batch <store default>] [--ledger 0|1] [--only sqlite|mysql]
// MySQL: MariaDB at 127.0.0.1:3306, root, no password; a scratch database is dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { makeCdr, openCdrPipeline, type CdrRecord } from '../src/cdr/index.js';
import { openStore } from '../src/store/index.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('n', '10000'));
const REPS = Number(arg('reps', '3'));
const BASE_N = Number(arg('base-n', '500'));
const ONLY = arg('only', '');
const BATCH = Number(arg('batch', '0')); // 0: the store's own drainBatch
const LEDGER = arg('ledger', '1') !== '0';
const T = Date.UTC(2026, 5, 1, 12, 0, 0);
let seq = 0;
let peakRss = 0;
const rss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };

function cdr(): CdrRecord {
  const n = seq++;
  return makeCdr({
    flowNo: `bench-${process.pid}-${n}`, startTime: T + n, answerTime: T + n + 3000, endTime: T + n + 63_000,
    callerAccess: '15551230000', callerBilling: '15551230000', callerGateway: '15551230000',
    calleeAccess: `00442012${String(n % 100000).padStart(5, '0')}`, calleeBilling: '44201234567', calleeGateway: '9944201234567',
    ingressGateway: 'demo-customer', ingressIp: '10.0.0.1', egressGateway: 'carrier-a', egressIp: '10.0.0.2',
    account: `acct-${n % 50}`, holdTimeMs: 60_000, billedSeconds: 60, fee: 1_234_567n, ratePrefix: '44',
    vendorCost: 987_654n, vendorAccount: 'vendor-a', endDirection: 0, endReason: 'normal clearing', endReasonText: '',
    callerSipCode: 200, calleeSipCode: 200, callerPdd: 1200, calleePdd: 1100,
    callerCallId: `in-${n}@10.0.0.1`, calleeCallId: `out-${n}@switch`, gatewaysTried: 1,
  });
}

interface Stats { mean: number; min: number; max: number }
const stats = (xs: number[]): Stats => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });
const fmt = (s: Stats) => `${Math.round(s.mean).toLocaleString('en')} CDR/s (min ${Math.round(s.min).toLocaleString('en')}, max ${Math.round(s.max).toLocaleString('en')})`;

async function bench(kind: string, url: string): Promise<void> {
  const store = await openStore(url);
  const base: number[] = [];
  const piped: number[] = [];
  const acked: number[] = [];
  const lagP99: number[] = [];
  const lagMax: number[] = [];
  for (let r = 0; r < REPS; r++) {
    // Baseline: one INSERT (one commit) per CDR, awaited in turn.
    let t0 = performance.now();
    for (let i = 0; i < BASE_N; i++) await store.insertCdrs([cdr()]);
    base.push(BASE_N / ((performance.now() - t0) / 1000));
    rss();
    // Journal + drain: calls end 500 at a time; each CDR carries its debit. Sustained rate = until all are in the store.
    const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
    const p = await openCdrPipeline({ dataDir: dir, store, drainBatch: BATCH || undefined });
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    t0 = performance.now();
    for (let i = 0; i < N; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => {
        const c = cdr();
        return p.write(c, LEDGER ? { ledger: [{ account: c.account, amount: -c.fee, reason: 'call' }] } : {});
      }));
      rss();
    }
    const tAck = performance.now();
    if (!(await p.waitDrained(60_000))) throw new Error(`${kind}: drain did not finish`);
    const t1 = performance.now();
    lag.disable();
    lagP99.push(lag.percentile(99) / 1e6);
    lagMax.push(lag.max / 1e6);
    acked.push(N / ((tAck - t0) / 1000));
    piped.push(N / ((t1 - t0) / 1000));
    rss();
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await store.close();
  const b = stats(base);
  const q = stats(piped);
  console.log(`${kind}: single-row inserts (baseline, ${BASE_N}/rep): ${fmt(b)}`);
  console.log(`${kind}: journal + batched drain, ${N}/rep, ${LEDGER ? 'with' : 'without'} ledger: ${fmt(q)}  ratio x${(q.mean / b.mean).toFixed(1)} (range x${(q.min / b.max).toFixed(1)}..x${(q.max / b.min).toFixed(1)})`);
  console.log(`${kind}: journal acknowledgements alone: ${fmt(stats(acked))}`);
  console.log(`${kind}: event-loop delay while draining: p99 ${Math.max(...lagP99).toFixed(0)} ms, max ${Math.max(...lagMax).toFixed(0)} ms (worst rep)`);
}

console.log(`cdr bench: ${REPS} reps, node ${process.version}`);
if (ONLY !== 'mysql') {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-db-'));
  try { await bench('sqlite', `sqlite:${join(dir, 'ssw.db')}`); } finally { rmSync(dir, { recursive: true, force: true }); }
}
if (ONLY !== 'sqlite') {
  const name = `ssw_bench_${process.pid}`;
  try {
    await bench('mariadb', `mysql://root@127.0.0.1:3306/${name}`);
  } finally {
    const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.end();
  }
}
console.log(`peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`);
