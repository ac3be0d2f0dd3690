import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { openCdrPipeline } from '../../src/cdr/index.js';
import { openStore } from '../../src/store/index.js';
import { sampleCdr } from '../store/fixtures.js';
import { tempDir, until } from '../cdr/helpers.js';
import { mysqlDb } from './helpers.js';

/** A TCP relay to MariaDB that can be cut (every connection reset, port refusing) and restored. */
class Relay {
  #server: Server | null = null;
  #socks = new Set<Socket>();
  port = 0;
  async up(): Promise<void> {
    const s = createServer((c) => {
      const u = connect(3306, '127.0.0.1');
      for (const x of [c, u]) { this.#socks.add(x); x.on('close', () => this.#socks.delete(x)); x.on('error', () => {}); }
      c.pipe(u).pipe(c);
    });
    await new Promise<void>((r) => s.listen(this.port, '127.0.0.1', r));
    this.port = (s.address() as { port: number }).port;
    this.#server = s;
  }
  async down(): Promise<void> {
    for (const x of this.#socks) x.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    this.#server = null;
  }
}

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
