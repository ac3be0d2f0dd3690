import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCdrPipeline } from '../../src/cdr/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/kill-child.js', import.meta.url));
const T = Date.UTC(2026, 5, 1, 12, 0, 0);

/** Runs the child until it has acknowledged `acks` CDRs, SIGKILLs it, and returns what it acknowledged. */
async function runAndKill(dataDir: string, dbUrl: string, tag: string, acks: number): Promise<Map<string, bigint>> {
  const child = spawn(process.execPath, [CHILD, dataDir, dbUrl, tag], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SSW_LOG_LEVEL: 'silent' } });
  const acked = new Map<string, bigint>();
  let buf = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000); // bound: never leave it running
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^ack (\S+) (\d+)$/.exec(line);
      if (m) acked.set(m[1]!, BigInt(m[2]!));
      if (acked.size >= acks) child.kill('SIGKILL');
    }
  });
  const sig = await exited;
  clearTimeout(killer);
  assert.equal(sig, 'SIGKILL');
  return acked;
}

async function storedFlows(store: Store): Promise<Map<string, { fee: bigint; endReason: string }>> {
  const out = new Map<string, { fee: bigint; endReason: string }>();
  for (let page = 1; ; page++) {
    const p = await store.queryCdrs({ from: T - 86_400_000, to: T + 86_400_000, page, pageSize: 10_000 });
    for (const r of p.rows) out.set(r.flowNo, { fee: r.fee, endReason: r.endReason });
    if (page * p.pageSize >= p.total) break;
  }
  return out;
}

test('kill -9 under load loses no acknowledged CDR; calls that were up are billed as server restart', { timeout: 60_000 }, async () => {
  const dir = tempDir('kill9');
  const dbUrl = `sqlite:${join(dir, 'ssw.db')}`;
  try {
    const acked = await runAndKill(join(dir, 'data'), dbUrl, 'k', 3000);
    assert.ok(acked.size >= 3000);
    const store = await openStore(dbUrl);
    const p = await openCdrPipeline({ dataDir: join(dir, 'data'), store });
    assert.equal(p.restartCdrs, 3);
    assert.ok(await p.waitDrained(20_000), `still ${p.depth} CDRs in the journal`);
    await p.close();
    const stored = await storedFlows(store);
    const missing = [...acked.keys()].filter((f) => !stored.has(f));
    assert.deepEqual(missing, [], `${missing.length} acknowledged CDRs lost`);
    for (let c = 0; c < 3; c++) assert.equal(stored.get(`k-up-${c}`)?.endReason, 'server restart');
    // Every stored CDR was debited exactly once, whether or not its ack reached us before the kill.
    let sum = 0n;
    for (const v of stored.values()) sum += v.fee;
    assert.equal(await store.balance('acct-1'), -sum);
    assert.equal((await store.ledger('acct-1')).length, stored.size);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
