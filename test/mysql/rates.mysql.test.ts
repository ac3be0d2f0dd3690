// Rate-deck imports persisted in MariaDB (database ssw_rates_test): a 20,000-row deck stored in one
// transaction and read back by a fresh store at start; a refused deck leaves the stored rows alone;
// merge mode; the streamed export reads back to the same rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import mysql from 'mysql2/promise';
import { AccountBook, parseRateDeck, type RateRow } from '../../src/billing/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { RateImporter, exportStoredGroupCsv, listStoredRates, loadStoredRateGroups } from '../../src/rates/index.js';

const DB = 'ssw_rates_test';
const URL_ = `mysql://root@127.0.0.1:3306/${DB}`;
const HEADER = 'prefix,area_name,call_type,rate,first_period,next_period,connection_fee,sections,effective_from,locked\n';
let store: Store;
let book: AccountBook;
let importer: RateImporter;

async function dropDb(): Promise<void> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try { await c.query(`DROP DATABASE IF EXISTS \`${DB}\``); } finally { await c.end(); }
}

async function count(group: string): Promise<number> {
  const r = await store.db.selectFrom('rates').select((eb) => eb.fn.countAll().as('n')).where('rate_group', '=', group).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** 20,000 rows: distinct prefixes, a few with sections, call types and a future row. */
function bigDeck(): string {
  let s = HEADER;
  for (let i = 0; i < 20_000; i++) {
    const p = String(100_000 + i * 7);
    if (i % 1000 === 0) s += `${p},Area ${i},national,0.${String(i).padStart(4, '0')}1,30,6,0.05,"60:0.01;300:0.005",,0\n`;
    else if (i % 1000 === 1) s += `${p},Area ${i},,0.02,1,1,,,2031-01-01T00:00:00Z,1\n`;
    else s += `${p},"Area, ${i}",,0.0${(i % 90) + 10},60,60,,,,0\n`;
  }
  return s;
}

before(async () => {
  await dropDb();
  store = await openStore(URL_);
  book = new AccountBook();
  importer = new RateImporter({ store, book });
});

after(async () => {
  await importer.close();
  await store.close();
  await dropDb();
});

test('a 20,000-row deck is stored in MariaDB and a fresh store start loads the same table', async () => {
  const deck = bigDeck();
  const s = await importer.run('big', Buffer.from(deck));
  assert.equal(s.phase, 'done', JSON.stringify(s.errors));
  assert.equal(s.rowsStored, 20_000);
  assert.equal(await count('big'), 20_000);
  const again = await openStore(URL_);
  try {
    const fresh = new AccountBook();
    assert.deepEqual(await loadStoredRateGroups(again, fresh), ['big']);
    const g = fresh.rateGroup('big')!;
    assert.equal(g.size, 20_000);
    const sections = g.lookup('1000009', Date.now());
    assert.ok(sections.ok);
    assert.equal(sections.row.callType, 'national');
    assert.deepEqual(sections.row.sections.map((x) => [x.afterSeconds, x.ratePerMinute]), [[60, 100_000n], [300, 50_000n]]);
    assert.equal(sections.row.connectionFee, 500_000n);
    // the future row (2031) is not in force now, and locked then
    assert.equal(g.lookup('1000079', Date.now()).ok, false);
    const later = g.lookup('1000079', Date.parse('2031-06-01T00:00:00Z'));
    assert.deepEqual(later, { ok: false, why: 'locked' });
    const live = book.rateGroup('big')!.lookup('1000149', Date.now());
    const loaded = g.lookup('1000149', Date.now());
    assert.deepEqual(loaded, live);
  } finally {
    await again.close();
  }
});

test('a refused deck leaves the stored rows and the live table alone', async () => {
  const before = book.rateGroup('big');
  const s = await importer.run('big', Buffer.from(HEADER + '1,x,,0.1,60,60,,,,0\n2,y,,0.1,60,60,,,,0\n3,z,,-1,60,60,,,,0\n'));
  assert.equal(s.phase, 'refused');
  assert.deepEqual(s.errors.map((e) => e.line), [4]);
  assert.equal(await count('big'), 20_000);
  assert.equal(book.rateGroup('big'), before, 'the same table object is still in force');
});

test('merge mode replaces same prefix + effective time, keeps the rest; export reads back to the stored rows', async () => {
  const s = await importer.run('big', Buffer.from(HEADER + '100000,Area 0,national,0.9,30,6,0.05,,,0\n999,New,,0.1,60,60,,,,0\n'), 'merge');
  assert.equal(s.phase, 'done');
  assert.equal(s.rowsTotal, 20_001);
  assert.equal(await count('big'), 20_001);
  const p = await listStoredRates(store, 'big', { prefix: '100000', page: 1, pageSize: 10 });
  assert.deepEqual(p.rows.map((r) => [r.prefix, r.ratePerMinute, r.sections.length]), [['100000', 9_000_000n, 0]]);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const n = await exportStoredGroupCsv(store, 'big', out);
  assert.equal(n, 20_001);
  const parsed = parseRateDeck(Buffer.concat(chunks));
  assert.ok(parsed.ok);
  const key = (r: RateRow) => `${r.prefix}@${r.effectiveFrom}`;
  const stored = book.rateGroup('big')!.rows();
  assert.deepEqual(new Map(parsed.rows.map((r) => [key(r), r])), new Map(stored.map((r) => [key(r), r])));
});
