import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { openCdrPipeline } from '../../src/cdr/index.js';
import type { Account } from '../../src/config/types.js';
import { openStore, type CdrEntry, type Store } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { isSswError } from '../../src/util/errors.js';
import { tempDir, until } from '../cdr/helpers.js';
import { NETWORK, sampleCdr } from './fixtures.js';

const account = (id: string, balance: string): Account => ({ id, name: id, prepaid: true, balance, creditLimit: '0', rateGroup: '', locked: false, capacity: 0, kind: 'customer', expiresAt: '' });
const MAJOR = 10_000_000n; // minor units per currency unit

// Fixed instants. 2026-03-10T23:30:00Z is 2026-03-11 00:30 in Europe/Berlin (UTC+1 then).
const T0 = Date.UTC(2026, 2, 10, 23, 30, 0);
const DAY = 86_400_000;

/**
 * The store's contract, run unchanged against every back end: `url()` returns a fresh store URL
 * (a new database or file) and `cleanup()` removes it.
 */
export function storeContract(name: string, url: string | (() => Promise<string> | string), cleanup: () => Promise<void> | void = () => {}): void {
  let store: Store;
  let u: string;
  before(async () => {
    u = typeof url === 'string' ? url : await url();
    store = await openStore(u, { timeZone: 'Europe/Berlin' });
  });
  after(async () => {
    await store?.close();
    await cleanup();
  });

  test(`${name}: admin network changes are kept per entity, newest last, deletions as null bodies`, async () => {
    const a = await store.recordNetworkChange({ kind: 'routing', name: 'gw-x', body: { name: 'gw-x', address: '10.0.0.1', prefixes: ['1'] } });
    const b = await store.recordNetworkChange({ kind: 'account', name: '1001', body: { id: '1001' } });
    const c = await store.recordNetworkChange({ kind: 'routing', name: 'gw-x', body: null });
    assert.ok(a.seq < b.seq && b.seq < c.seq);
    const all = await store.networkChanges();
    assert.deepEqual(all.map((x) => [x.kind, x.name, x.body]), [['account', '1001', { id: '1001' }], ['routing', 'gw-x', null]]);
  });

  test(`${name}: migrations are versioned and idempotent`, async () => {
    assert.equal(store.schemaVersion, MIGRATIONS.length);
    if (u.includes(':memory:')) return; // a second handle on :memory: is another database
    const again = await openStore(u, { timeZone: 'Europe/Berlin' });
    try {
      assert.equal(again.schemaVersion, MIGRATIONS.length);
      const rows = await again.db.selectFrom('schema_version').selectAll().execute();
      assert.equal(rows.length, MIGRATIONS.length);
    } finally {
      await again.close();
    }
  });

  test(`${name}: config import/export round trip`, async () => {
    await store.importNetwork(NETWORK);
    assert.deepEqual(await store.exportNetwork(), NETWORK);
    // Importing again replaces, never duplicates.
    await store.importNetwork({ ...NETWORK, phones: [] });
    const back = await store.exportNetwork();
    assert.deepEqual(back.phones, []);
    assert.equal(back.accounts.length, 2);
    assert.equal(await store.balance('acct-1'), 1_005_000_000n);
  });

  test(`${name}: batch insert, every field round trips, duplicate flowNo ignored`, async () => {
    const recs = Array.from({ length: 1200 }, (_, i) => sampleCdr(`b-${i}`, T0 - 3 * 3600_000 + i * 1000));
    assert.equal(await store.insertCdrs(recs), 1200);
    assert.equal(await store.insertCdrs(recs.slice(0, 10)), 0);
    // A replay whose content differs is still ignored: the first CDR of a flowNo wins.
    assert.equal(await store.insertCdrs([sampleCdr('b-0', recs[0]!.startTime, { fee: 999n })]), 0);
    const page = await store.queryCdrs({ from: recs[0]!.startTime, to: recs[0]!.startTime });
    assert.equal(page.total, 1);
    assert.deepEqual(page.rows[0], recs[0]);
    const nulls = sampleCdr('b-null', T0 - 7200_000, { answerTime: null, codec: null, media: null, fee: 2n ** 62n, serverRestart: true });
    assert.equal(await store.insertCdrs([nulls]), 1);
    assert.deepEqual((await store.queryCdrs({ from: nulls.startTime, to: nulls.startTime, account: 'acct-1' })).rows.find((r) => r.flowNo === 'b-null'), nulls);
  });

  test(`${name}: daily tables follow the configured time zone`, async () => {
    await store.insertCdrs([sampleCdr('tz-before', T0 - 3600_000 - 1000), sampleCdr('tz-after', T0 - 1800_000 + 1)]);
    // 22:29:59Z = 23:29:59 Berlin on the 10th; 23:00:00.001Z = 00:00:00.001 Berlin on the 11th.
    assert.equal(store.tableFor(T0 - 3600_000 - 1000), 'cdr_20260310');
    assert.equal(store.tableFor(T0 - 1800_000 + 1), 'cdr_20260311');
    const tables = await store.listCdrTables();
    assert.ok(tables.includes('cdr_20260310') && tables.includes('cdr_20260311'));
    const inNext = await store.db.selectFrom('cdr_20260311').select('flow_no').where('flow_no', '=', 'tz-after').execute();
    assert.equal(inNext.length, 1);
  });

  test(`${name}: query filters and paging across daily tables`, async () => {
    const base = T0 + 5 * DAY;
    const recs = [];
    for (let i = 0; i < 50; i++) {
      recs.push(sampleCdr(`q-${String(i).padStart(2, '0')}`, base + i * 3600_000, {
        account: i % 2 ? 'odd' : 'even',
        ingressGateway: i % 5 === 0 ? 'gw-in-5' : 'demo-customer',
        egressGateway: i % 7 === 0 ? 'gw-out-7' : 'carrier-a',
        callerAccess: i < 10 ? `4420${i}` : `331${i}`,
        calleeAccess: i % 3 === 0 ? `1212${i}` : `4930${i}`,
        endReason: i % 4 === 0 ? 'user busy' : 'normal clearing',
      }));
    }
    await store.insertCdrs(recs);
    const range = { from: base, to: base + 49 * 3600_000 };
    const all = await store.queryCdrs({ ...range, pageSize: 20 });
    assert.equal(all.total, 50);
    assert.deepEqual(all.rows.map((r) => r.flowNo), recs.slice(0, 20).map((r) => r.flowNo));
    const p3 = await store.queryCdrs({ ...range, pageSize: 20, page: 3 });
    assert.deepEqual(p3.rows.map((r) => r.flowNo), recs.slice(40).map((r) => r.flowNo));
    const count = async (f: object) => (await store.queryCdrs({ ...range, ...f })).total;
    assert.equal(await count({ account: 'odd' }), 25);
    assert.equal(await count({ gateway: 'gw-in-5' }), 10);
    assert.equal(await count({ gateway: 'gw-out-7' }), 8);
    assert.equal(await count({ callerPrefix: '4420' }), 10);
    assert.equal(await count({ calleePrefix: '1212' }), 17);
    assert.equal(await count({ endReason: 'user busy' }), 13);
    assert.equal(await count({ account: 'even', endReason: 'user busy', calleePrefix: '1212' }), 5);
    // Bounds are inclusive and apply to startTime.
    assert.equal(await count({ from: base + 3600_000, to: base + 2 * 3600_000 }), 2);
    const sink: string[] = [];
    const n = await store.exportCdrsCsv({ ...range, account: 'odd' }, new Writable({ write(c, _e, cb) { sink.push(String(c)); cb(); } }));
    assert.equal(n, 25);
    const lines = sink.join('').trim().split('\n');
    assert.equal(lines.length, 26);
    assert.match(lines[0]!, /^flowNo,startTime,answerTime,endTime,account,/);
    assert.ok(lines[1]!.startsWith(`q-01,${base + 3600_000},`));
    assert.ok(lines[1]!.includes(',0.1234567,44,0.0987654,'));
  });

  test(`${name}: ranges over the day cap are refused with a coded error`, async () => {
    await assert.rejects(store.queryCdrs({ from: T0, to: T0 + 31 * DAY }), (e) => isSswError(e) && e.code === 'SSW_ERR_STORE_RANGE_TOO_LONG');
    const t = Date.now();
    await assert.rejects(store.queryCdrs({ from: 0, to: 4_000_000_000_000 }), (e) => isSswError(e) && e.code === 'SSW_ERR_STORE_RANGE_TOO_LONG');
    assert.ok(Date.now() - t < 100, 'a huge range is refused without walking it');
    const ok = await store.queryCdrs({ from: T0, to: T0 + 30 * DAY });
    assert.ok(ok.total > 0);
    await assert.rejects(store.queryCdrs({ from: T0, to: T0 - 1 }), (e) => isSswError(e) && e.code === 'SSW_ERR_STORE_BAD_RANGE');
  });

  test(`${name}: ledger applies each change once and keeps a running balance`, async () => {
    const c1 = sampleCdr('l-1', T0 + 10 * DAY, { fee: 5_000_000n });
    const c2 = sampleCdr('l-2', T0 + 10 * DAY + 1, { fee: 7_000_000n });
    const before = await store.balance('acct-1');
    const entries = [c1, c2].map((cdr) => ({ cdr, ledger: [{ account: 'acct-1', amount: -cdr.fee, reason: 'call' }, { account: 'vendor-x', amount: cdr.vendorCost, reason: 'vendor' }] }));
    const r = await store.writeBatch(entries);
    assert.equal(r.inserted, 2);
    assert.equal(r.applied.length, 4);
    const again = await store.writeBatch(entries);
    assert.deepEqual([again.inserted, again.applied.length], [0, 0]);
    // A caller wrongly sure the batch is new: the unique key catches it and nothing is applied twice.
    const sure = await store.writeBatch(entries, { assumeNew: true });
    assert.deepEqual([sure.inserted, sure.applied.length], [0, 0]);
    assert.equal(await store.balance('acct-1'), before - 12_000_000n);
    assert.equal(await store.balance('vendor-x'), 2n * 987_654n);
    const l = await store.ledger('acct-1');
    assert.deepEqual(l.map((x) => x.balanceAfter), [before - 5_000_000n, before - 12_000_000n]);
  });

  test(`${name}: package seconds ride on the call's ledger entry, once, and sum per package`, async () => {
    const c1 = sampleCdr('p-1', T0 + 11 * DAY, { fee: 0n });
    const c2 = sampleCdr('p-2', T0 + 11 * DAY + 1, { fee: 3_000_000n });
    const c3 = sampleCdr('p-3', T0 + 11 * DAY + 2, { fee: 0n });
    const entries = [
      { cdr: c1, ledger: [{ account: 'pk-1', amount: 0n, reason: 'call', packageId: 'uk', packageSeconds: 60 }] },
      { cdr: c2, ledger: [{ account: 'pk-1', amount: -3_000_000n, reason: 'call', packageId: 'uk', packageSeconds: 18 }] },
      { cdr: c3, ledger: [{ account: 'pk-2', amount: 0n, reason: 'call', packageId: 'uk', packageSeconds: 6 }] },
    ];
    await store.writeBatch(entries);
    await store.writeBatch(entries); // a replay gives nothing twice
    assert.deepEqual(await store.packageUsage(), new Map([['pk-1\u0000uk', 78], ['pk-2\u0000uk', 6]]));
    assert.deepEqual(await store.packageUsage(['pk-2']), new Map([['pk-2\u0000uk', 6]]));
    assert.deepEqual(await store.packageUsage([]), new Map());
    const l = await store.ledger('pk-1');
    assert.deepEqual(l.map((x) => [x.amount, x.packageId, x.packageSeconds]), [[0n, 'uk', 60], [-3_000_000n, 'uk', 18]]);
  });

  test(`${name}: retention drops whole days older than the limit`, async () => {
    const now = T0 + 10 * DAY;
    const dropped = await store.dropCdrTablesOlderThan(5, now);
    assert.deepEqual(dropped, ['cdr_20260310', 'cdr_20260311']);
    const left = await store.listCdrTables();
    assert.ok(!left.includes('cdr_20260310') && left.includes('cdr_20260316'));
    assert.equal((await store.queryCdrs({ from: T0 - DAY, to: T0 + DAY })).total, 0);
    // The same flowNo can be written again after its table is gone (a table is created on demand).
    assert.equal(await store.insertCdrs([sampleCdr('tz-after', T0 - 1800_000 + 1)]), 1);
  });

  /** Rows per daily table, read straight from the tables. */
  async function rowsPerTable(tables: Iterable<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const present = new Set(await store.listCdrTables());
    for (const t of tables) {
      const r = present.has(t) ? await store.db.selectFrom(t).select(sql<number>`count(*)`.as('n')).executeTakeFirst() : { n: 0 };
      out.set(t, Number(r?.n ?? 0));
    }
    return out;
  }

  test(`${name}: one batch across two days' tables lands every row with exact balances; a replay stores and debits nothing`, async () => {
    await store.ensureAccounts([account('bat-a', '100'), account('bat-b', '0')]);
    const N = 3000;
    // 2026-03-30T23:30Z is 03-31 01:30 in Berlin (summer time since the 29th); 30 s apart, 3000 CDRs span two local days.
    const start = T0 + 20 * DAY;
    const entries: CdrEntry[] = Array.from({ length: N }, (_, i) => {
      const cdr = sampleCdr(`bat-${i}`, start + i * 30_000, { account: i % 3 ? 'bat-a' : 'bat-b', fee: BigInt(i + 1), vendorCost: 7n });
      return { cdr, ledger: [{ account: cdr.account, amount: -cdr.fee, reason: 'call' }, { account: 'bat-vendor', amount: cdr.vendorCost, reason: 'vendor' }] };
    });
    const want = new Map<string, number>();
    for (const e of entries) want.set(store.tableFor(e.cdr.startTime), (want.get(store.tableFor(e.cdr.startTime)) ?? 0) + 1);
    assert.deepEqual([...want.keys()], ['cdr_20260331', 'cdr_20260401']);
    const fees = (acct: string, es: readonly CdrEntry[]) => es.filter((e) => e.cdr.account === acct).reduce((a, e) => a + e.cdr.fee, 0n);

    const r = await store.writeBatch(entries, { assumeNew: true });
    assert.equal(r.inserted, N);
    assert.equal(r.applied.length, 2 * N);
    assert.deepEqual(await rowsPerTable(want.keys()), want);
    assert.equal(await store.balance('bat-a'), 100n * MAJOR - fees('bat-a', entries));
    assert.equal(await store.balance('bat-b'), -fees('bat-b', entries));
    assert.equal(await store.balance('bat-vendor'), 7n * BigInt(N)); // no accounts row: the ledger's running balance
    const la = await store.ledger('bat-a');
    assert.equal(la.length, entries.filter((e) => e.cdr.account === 'bat-a').length);
    // Each ledger row's balance follows from the one before it.
    for (let i = 1; i < la.length; i++) assert.equal(la[i]!.balanceAfter, la[i - 1]!.balanceAfter + la[i]!.amount);
    assert.equal(la.at(-1)!.balanceAfter, await store.balance('bat-a'));

    // A replay, first as a caller that knows it is one, then as one wrongly sure it is not.
    for (const assumeNew of [false, true]) {
      const again = await store.writeBatch(entries, { assumeNew });
      assert.deepEqual([again.inserted, again.applied.length], [0, 0], `replay, assumeNew ${assumeNew}`);
    }
    // Part replay: the stored CDRs now carry a debit under another reason (the ledger's unique key
    // would let it through), yet a stored CDR is never debited again; only the 100 new ones are.
    const old = entries.slice(N - 100).map((e) => ({ cdr: e.cdr, ledger: [{ account: e.cdr.account, amount: -1n, reason: 'call-again' }] }));
    const fresh = Array.from({ length: 100 }, (_, i) => {
      const cdr = sampleCdr(`bat-new-${i}`, start + i * 30_000 + 1, { account: 'bat-a', fee: 1000n });
      return { cdr, ledger: [{ account: 'bat-a', amount: -cdr.fee, reason: 'call' }] };
    });
    const part = await store.writeBatch([...old, ...fresh], { assumeNew: true });
    assert.deepEqual([part.inserted, part.applied.length], [100, 100]);
    want.set('cdr_20260331', want.get('cdr_20260331')! + 100);
    assert.deepEqual(await rowsPerTable(want.keys()), want);
    assert.equal(await store.balance('bat-a'), 100n * MAJOR - fees('bat-a', entries) - 100_000n);
    assert.equal(await store.balance('bat-b'), -fees('bat-b', entries));
    assert.equal((await store.ledger('bat-a')).length, la.length + 100);
  });

  test(`${name}: a failure mid-batch rolls the whole batch back; the journal keeps it and it lands once, after a restart`, { timeout: 30_000 }, async () => {
    await store.ensureAccounts([account('mid-a', '50')]);
    const opening = await store.balance('mid-a');
    // The CDR rows of both days go in first, then the ledger insert fails: a failure in the middle of the transaction.
    const trigger = store.kind === 'mysql'
      ? `create trigger ssw_test_fail before insert on balance_ledger for each row signal sqlstate '45000' set message_text = 'injected failure'`
      : `create trigger ssw_test_fail before insert on balance_ledger begin select raise(abort, 'injected failure'); end`;
    await sql.raw(trigger).execute(store.db);
    const dir = tempDir('midbatch');
    const start = T0 + 25 * DAY;
    const range = { from: start, to: start + 600 * 200_000 };
    let sum = 0n;
    try {
      let p = await openCdrPipeline({ dataDir: dir, store, backoffMinMs: 10, backoffMaxMs: 50 });
      await Promise.all(Array.from({ length: 600 }, (_, i) => {
        const cdr = sampleCdr(`mid-${i}`, start + i * 200_000, { account: 'mid-a', fee: BigInt(1000 + i) });
        sum += cdr.fee;
        return p.write(cdr, { ledger: [{ account: 'mid-a', amount: -cdr.fee, reason: 'call' }] });
      }));
      await until(() => p.errorCount >= 3, 10_000, 'the drainer to fail and retry');
      assert.match(p.lastError ?? '', /injected failure/);
      assert.equal(p.depth, 600);
      assert.equal((await store.queryCdrs(range)).total, 0, 'no CDR row of the failed batch stays');
      assert.equal(await store.balance('mid-a'), opening);
      assert.equal((await store.ledger('mid-a')).length, 0);
      await p.close(100); // the switch stops with the batch still journaled
      await sql.raw('drop trigger ssw_test_fail').execute(store.db);
      p = await openCdrPipeline({ dataDir: dir, store, backoffMinMs: 10, backoffMaxMs: 50 });
      assert.ok(await p.waitDrained(10_000), `still ${p.depth} journaled`);
      await p.close();
      const page = await store.queryCdrs(range);
      assert.equal(page.total, 600);
      assert.ok(new Set(page.rows.map((c) => store.tableFor(c.startTime))).size >= 2, 'the batch spanned two daily tables');
      assert.equal(await store.balance('mid-a'), opening - sum);
      assert.equal((await store.ledger('mid-a')).length, 600);
    } finally {
      await sql.raw('drop trigger if exists ssw_test_fail').execute(store.db);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
