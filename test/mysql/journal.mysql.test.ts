import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { openCdrPipeline } from '../../src/cdr/index.js';
import { openStore } from '../../src/store/index.js';
import { sampleCdr } from '../store/fixtures.js';
import { tempDir, until } from '../cdr/helpers.js';
import { mysqlDb, Relay } from './helpers.js';

test('MariaDB going away: CDRs stay journaled and drain once it is back, none lost or doubled', { timeout: 30_000 }, async () => {
  const db = mysqlDb('journal');
  await db.drop();
  const relay = new Relay();
  await relay.up();
  const dir = tempDir('jmysql');
  const store = await openStore(`mysql://root@127.0.0.1:${relay.port}/${db.name}`, { connectTimeoutMs: 500 });
  const p = await openCdrPipeline({ dataDir: dir, store, backoffMinMs: 10, backoffMaxMs: 100, drainBatch: 300 });
  const T = Date.UTC(2026, 5, 1, 12, 0, 0);
  const write = (from: number, n: number) => Promise.all(Array.from({ length: n }, (_, k) => {
    const rec = sampleCdr(`m-${from + k}`, T + from + k, { fee: BigInt(from + k + 1) });
    return p.write(rec, { ledger: [{ account: 'acct-1', amount: -rec.fee, reason: 'call' }] });
  }));
  try {
    await write(0, 1000);
    assert.ok(await p.waitDrained(10_000));
    await relay.down();
    await write(1000, 2000);
    await until(() => p.errorCount >= 2, 10_000, 'drain errors while MariaDB is away');
    assert.equal(p.depth, 2000);
    await relay.up();
    assert.ok(await p.waitDrained(15_000), `depth still ${p.depth}`);
    await p.close();
    const direct = await openStore(db.url);
    const page = await direct.queryCdrs({ from: T, to: T + 10_000 });
    assert.equal(page.total, 3000);
    const n = 3000n;
    assert.equal(await direct.balance('acct-1'), -(n * (n + 1n)) / 2n);
    assert.equal((await direct.ledger('acct-1')).length, 3000);
    await direct.close();
  } finally {
    await p.close();
    await store.close();
    await relay.down();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a MariaDB that refuses (wrong port) fails openStore quickly with the driver error', { timeout: 10_000 }, async () => {
  const t0 = Date.now();
  await assert.rejects(openStore('mysql://root@127.0.0.1:1/ssw_nowhere', { connectTimeoutMs: 1000 }), /ECONNREFUSED/);
  assert.ok(Date.now() - t0 < 3000);
});
