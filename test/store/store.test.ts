import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMinor, openStore, parseStoreUrl, toMinor, DayNamer } from '../../src/store/index.js';
import { storeContract } from './store-contract.js';
import { sampleCdr } from './fixtures.js';
import { SqliteWriter } from '../../src/store/sqlite-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'ssw-store-'));
describe('sqlite file store', () => storeContract('sqlite', `sqlite:${join(dir, 'ssw.db')}`, () => rmSync(dir, { recursive: true, force: true })));
describe('sqlite memory store', () => storeContract('sqlite-memory', 'sqlite::memory:'));

test('money: toMinor/formatMinor round trip exactly', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), (v) => toMinor(formatMinor(v)) === v));
  assert.equal(toMinor('0.0000001'), 1n);
  assert.equal(formatMinor(-120_000_000n), '-12');
  assert.throws(() => toMinor('0.00000001'), /SSW_ERR_STORE_BAD_MONEY|more than 7/);
  assert.throws(() => toMinor('1e3'));
});

test('store URLs parse or fail with a code', () => {
  assert.deepEqual(parseStoreUrl('sqlite:data/ssw.db'), { kind: 'sqlite', path: 'data/ssw.db' });
  assert.deepEqual(parseStoreUrl('mysql://u:p%40ss@db.example:3307/ssw'), { kind: 'mysql', host: 'db.example', port: 3307, user: 'u', password: 'p@ss', database: 'ssw' });
  assert.throws(() => parseStoreUrl('postgres://x/y'), (e: any) => e.code === 'SSW_ERR_STORE_BAD_URL');
  assert.throws(() => parseStoreUrl('mysql://root@127.0.0.1/bad-name'), (e: any) => e.code === 'SSW_ERR_STORE_BAD_URL');
});

test('day naming matches Intl for any instant and zone (15-minute slot cache is exact)', () => {
  const zones = ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham'];
  const namers = zones.map((z) => new DayNamer(z));
  fc.assert(fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: zones.length - 1 }), (ms, zi) => {
    const f = new Intl.DateTimeFormat('en-CA', { timeZone: zones[zi], year: 'numeric', month: '2-digit', day: '2-digit' });
    return namers[zi]!.day(ms) === f.format(new Date(ms)).replaceAll('-', '');
  }), { numRuns: 3000 });
});

test('a SQLite file store writes on its writer thread: the event loop turns during a 2000-CDR batch (inline, not once)', async () => {
  const d = mkdtempSync(join(tmpdir(), 'ssw-writer-'));
  const url = `sqlite:${join(d, 'ssw.db')}`;
  try {
    const ticks: Record<string, number> = {};
    let n = 0;
    for (const mode of ['inline', 'worker'] as const) {
      const store = await openStore(url, { sqliteWriter: mode });
      try {
        assert.equal(store.writer, mode);
        // Only the writer thread takes the journal's encoding (and decodes it there).
        assert.equal(store.encodedWrites, mode === 'worker');
        if (mode === 'inline') {
          await assert.rejects(store.writeEncoded({ bytes: new Uint8Array(0), lengths: new Uint32Array(0) }), (e: any) => e.code === 'SSW_ERR_STORE_NO_WRITER');
        }
        const entries = Array.from({ length: 2000 }, () => {
          const cdr = sampleCdr(`w-${n++}`, Date.UTC(2026, 0, 1) + n);
          return { cdr, ledger: [{ account: 'acct-w', amount: -cdr.fee, reason: 'call' }] };
        });
        let count = 0;
        let on = true;
        const spin = () => { if (on) { count++; setImmediate(spin); } };
        setImmediate(spin);
        const r = await store.writeBatch(entries, { assumeNew: true });
        on = false;
        ticks[mode] = count;
        assert.equal(r.inserted, 2000);
        // The main thread's connection reads what the writer thread committed.
        assert.equal((await store.queryCdrs({ from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) })).total, n);
        assert.equal(await store.balance('acct-w'), -1_234_567n * BigInt(n));
      } finally {
        await store.close();
      }
    }
    // Inline, better-sqlite3 resolves every step in a microtask: the loop never turns for the whole transaction.
    assert.equal(ticks.inline, 0);
    assert.ok(ticks.worker! >= 3, `the loop turned ${ticks.worker} times while the writer thread worked`);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('the writer thread killed mid-batch: the call fails, the batch is all or nothing, the next call starts a new thread and completes it once', async () => {
  const d = mkdtempSync(join(tmpdir(), 'ssw-writer-kill-'));
  const url = `sqlite:${join(d, 'ssw.db')}`;
  const store = await openStore(url, { sqliteWriter: 'inline' }); // migrates; reads below
  const w = await SqliteWriter.start({ url, timeZone: 'UTC' });
  try {
    const T = Date.UTC(2026, 0, 5);
    const entries = Array.from({ length: 5000 }, (_, i) => {
      const cdr = sampleCdr(`k-${i}`, T + i, { fee: BigInt(i + 1) });
      return { cdr, ledger: [{ account: 'acct-k', amount: -cdr.fee, reason: 'call' }] };
    });
    const sum = entries.reduce((a, e) => a + e.cdr.fee, 0n);
    const first = w.call('writeBatch', [entries, { assumeNew: true }]);
    first.catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    await w.terminate();
    await assert.rejects(first);
    const landed = (await store.queryCdrs({ from: T, to: T + 5000 })).total;
    assert.ok(landed === 0 || landed === 5000, `${landed} CDRs of a killed batch`);
    assert.equal(await store.balance('acct-k'), landed ? -sum : 0n);
    const again = await w.call<{ inserted: number }>('writeBatch', [entries, {}]);
    assert.equal(again.inserted, 5000 - landed);
    assert.equal((await store.queryCdrs({ from: T, to: T + 5000 })).total, 5000);
    assert.equal(await store.balance('acct-k'), -sum);
    assert.equal((await store.ledger('acct-k')).length, 5000);
  } finally {
    await w.close();
    await store.close();
    rmSync(d, { recursive: true, force: true });
  }
});
