// Sustained CDR throughput into each store through the journal (fsync'd group commit) and the
// batched drainer, against single-row writes (one transaction per CDR and its debit, what a naive
// CDR writer does) in the same run; CPU and memory of each; and how long the main thread stalls
// while a backlog of journaled CDRs drains (a restart after the database was away).
//   node dist/bench/cdr.bench.js [--n 10000] [--base-n 500] [--reps 3] [--batch <store default>] [--ledger 0|1]
//                                [--only sqlite|mysql] [--writers inline,worker]
// MySQL: MariaDB at 127.0.0.1:3306, root, no password; a scratch database is dropped afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { makeCdr, openCdrPipeline, type CdrPipeline, type CdrRecord } from '../src/cdr/index.js';
import { openStore, type Store } from '../src/store/index.js';

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
const WRITERS = arg('writers', 'inline,worker').split(',') as ('inline' | 'worker')[];
const T = Date.UTC(2026, 5, 1, 12, 0, 0);
let seq = 0;

function cdr(): CdrRecord {
  const n = seq++;
  // Two local days per run: the batch spans two daily tables, as it does around midnight.
  const start = T + (n % 2) * 86_400_000 + n;
  return makeCdr({
    flowNo: `bench-${process.pid}-${n}`, startTime: start, answerTime: start + 3000, endTime: start + 63_000,
    callerAccess: '15551230000', callerBilling: '15551230000', callerGateway: '15551230000',
    calleeAccess: `00442012${String(n % 100000).padStart(5, '0')}`, calleeBilling: '44201234567', calleeGateway: '9944201234567',
    ingressGateway: 'demo-customer', ingressIp: '10.0.0.1', egressGateway: 'carrier-a', egressIp: '10.0.0.2',
    account: `acct-${n % 50}`, holdTimeMs: 60_000, billedSeconds: 60, fee: 1_234_567n, ratePrefix: '44',
    vendorCost: 987_654n, vendorAccount: 'vendor-a', endDirection: 0, endReason: 'normal clearing', endReasonText: '',
    callerSipCode: 200, calleeSipCode: 200, callerPdd: 1200, calleePdd: 1100,
    callerCallId: `in-${n}@10.0.0.1`, calleeCallId: `out-${n}@switch`, gatewaysTried: 1,
  });
}
const ledgerOf = (c: CdrRecord) => (LEDGER ? { ledger: [{ account: c.account, amount: -c.fee, reason: 'call' }] } : {});

interface Stats { mean: number; min: number; max: number }
const stats = (xs: number[]): Stats => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });
const int = (v: number) => Math.round(v).toLocaleString('en');
const fmt = (s: Stats) => `${int(s.mean)} CDR/s (min ${int(s.min)}, max ${int(s.max)})`;

/** CPU ms of this process (every thread, the writer thread included) and of the database server, if one runs here. */
function serverPid(): number | null {
  try {
    return Number(execFileSync('pgrep', ['-x', 'mariadbd'], { encoding: 'utf8' }).split('\n')[0]) || null;
  } catch {
    return null;
  }
}
const TICK_MS = 10; // USER_HZ 100
function procCpuMs(pid: number | null): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) * TICK_MS; // utime + stime
  } catch {
    return 0;
  }
}
const selfCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

interface Phase { rate: number; selfCpuPerK: number; dbCpuPerK: number; lagMax: number; lagP99: number; samples: number }

/** Runs fn over `count` CDRs and measures rate, CPU per 1,000 CDRs and the main thread's event-loop delay. */
async function phase(count: number, db: number | null, fn: () => Promise<void>): Promise<Phase> {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const c0 = selfCpuMs();
  const d0 = procCpuMs(db);
  lag.enable();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  // Let the delay sampler run once more: a stall that lasts to the end of fn is only recorded when
  // the loop turns (an inline SQLite drain never yields on its own, and read 0 samples without this).
  await new Promise((r) => setTimeout(r, 3));
  lag.disable();
  return {
    rate: count / (ms / 1000), selfCpuPerK: (selfCpuMs() - c0) / (count / 1000), dbCpuPerK: (procCpuMs(db) - d0) / (count / 1000),
    lagMax: lag.max / 1e6, lagP99: lag.percentile(99) / 1e6, samples: lag.count,
  };
}

async function journalAll(p: CdrPipeline, n: number): Promise<void> {
  // Calls end 500 at a time, each CDR with its debit.
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => { const c = cdr(); return p.write(c, ledgerOf(c)); }));
  }
}

async function bench(kind: string, url: string, db: number | null, writer?: 'inline' | 'worker'): Promise<void> {
  const label = writer ? `${kind}/${writer}` : kind;
  const store: Store = await openStore(url, writer ? { sqliteWriter: writer } : {});
  // The 50 accounts are configured (rows in accounts): each batch's debits go through the balance UPDATE.
  await store.ensureAccounts(Array.from({ length: 50 }, (_, i) => ({
    id: `acct-${i}`, name: '', prepaid: true, balance: '1000000', creditLimit: '0', rateGroup: '', locked: false, capacity: 0, kind: 'customer', expiresAt: '',
  })));
  const base: Phase[] = [];
  const live: Phase[] = [];
  const journalOnly: Phase[] = [];
  const replay: Phase[] = [];
  const openMs: number[] = [];
  let peakRss = 0;
  const rss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
  for (let r = 0; r < REPS; r++) {
    // Baseline: one transaction per CDR (its row and its debit), awaited in turn.
    base.push(await phase(BASE_N, db, async () => {
      for (let i = 0; i < BASE_N; i++) { const c = cdr(); await store.writeBatch([{ cdr: c, ...ledgerOf(c) }]); }
    }));
    rss();
    // Live: the journal acknowledges while the drainer moves batches; done when all are in the store.
    let dir = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
    let p = await openCdrPipeline({ dataDir: dir, store, drainBatch: BATCH || undefined });
    live.push(await phase(N, db, async () => {
      await journalAll(p, N);
      rss();
      if (!(await p.waitDrained(120_000))) throw new Error(`${label}: drain did not finish`);
    }));
    await p.close();
    rmSync(dir, { recursive: true, force: true });
    // Backlog: N CDRs journaled while the store was away, drained at the next start (decoded from disk).
    dir = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
    p = await openCdrPipeline({ dataDir: dir, store, drain: false });
    journalOnly.push(await phase(N, db, () => journalAll(p, N)));
    await p.close();
    // Opening scans the journal once, synchronously, before the switch serves calls: timed on its
    // own, and the stall measured from when it returns (the drain has started by then).
    const t0 = performance.now();
    const q = await openCdrPipeline({ dataDir: dir, store, drainBatch: BATCH || undefined });
    openMs.push(performance.now() - t0);
    replay.push(await phase(N, db, async () => {
      if (!(await q.waitDrained(120_000))) throw new Error(`${label}: backlog drain did not finish`);
      rss();
      await q.close();
    }));
    rmSync(dir, { recursive: true, force: true });
  }
  await store.close();
  const b = stats(base.map((x) => x.rate));
  const batch = store.drainBatch;
  const line = (name: string, xs: Phase[]) => {
    const q = stats(xs.map((x) => x.rate));
    const cpu = `CPU ${stats(xs.map((x) => x.selfCpuPerK)).mean.toFixed(0)} ms/1k CDRs switch${db ? ` + ${stats(xs.map((x) => x.dbCpuPerK)).mean.toFixed(0)} ms/1k mariadbd` : ''}`;
    // Per rep: on a shared 2-core machine one rep's max may be the OS running something else.
    const lag = `main-thread stall per rep: max ${xs.map((x) => x.lagMax.toFixed(1)).join(' / ')} ms, p99 ${xs.map((x) => x.lagP99.toFixed(1)).join(' / ')} ms (${xs.map((x) => x.samples).join('/')} samples)`;
    console.log(`${label}: ${name}: ${fmt(q)}  x${(q.mean / b.mean).toFixed(1)} (range x${(q.min / b.max).toFixed(1)}..x${(q.max / b.min).toFixed(1)}); ${cpu}; ${lag}`);
  };
  console.log(`${label}: single-row (baseline, ${BASE_N}/rep, one transaction per CDR${LEDGER ? ' and its debit' : ''}): ${fmt(b)}; CPU ${stats(base.map((x) => x.selfCpuPerK)).mean.toFixed(0)} ms/1k CDRs switch${db ? ` + ${stats(base.map((x) => x.dbCpuPerK)).mean.toFixed(0)} ms/1k mariadbd` : ''}`);
  line(`journal + batched drain (${N}/rep, batch ${BATCH || batch}, ${LEDGER ? 'with' : 'without'} debits)`, live);
  line('journal alone, no drain (the load generator\'s own share of the stall)', journalOnly);
  line(`backlog of ${N} drained at start`, replay);
  console.log(`${label}: opening the backlog's journal (recovery scan, before calls are served): ${stats(openMs).mean.toFixed(0)} ms (max ${Math.max(...openMs).toFixed(0)} ms)`);
  console.log(`${label}: peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`);
}

console.log(`cdr bench: ${REPS} reps, node ${process.version}`);
if (ONLY !== 'mysql') {
  for (const w of WRITERS) {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-db-'));
    try { await bench('sqlite', `sqlite:${join(dir, 'ssw.db')}`, null, w); } finally { rmSync(dir, { recursive: true, force: true }); }
  }
}
if (ONLY !== 'sqlite') {
  const name = `ssw_bench_${process.pid}`;
  try {
    await bench('mariadb', `mysql://root@127.0.0.1:3306/${name}`, serverPid());
  } finally {
    const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.end();
  }
}
