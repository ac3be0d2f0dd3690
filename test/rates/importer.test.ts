// RateImporter on an SQLite file: decks larger than one parse slice (rows are stored while the
// worker reads), a bad row late in a big deck rolls back what was stored, quoted fields with
// newlines across slice boundaries, merge mode, one import per group at a time; single-row changes
// queued behind an import; the start-up load in the pool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountBook, RateGroup, parseRateDeck } from '../../src/billing/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { RateImporter, listStoredRates, loadStoredRateGroups, type ImportStatus } from '../../src/rates/index.js';

const HEADER = 'prefix,area_name,call_type,rate,first_period,next_period,connection_fee,sections,effective_from,locked\n';
let dir: string;
let store: Store;
let book: AccountBook;
let importer: RateImporter;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssw-rates-'));
  store = await openStore(`sqlite:${join(dir, 'ssw.db')}`);
  book = new AccountBook();
  importer = new RateImporter({ store, book });
});

after(async () => {
  await importer.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** n rows of distinct prefixes; area names with a quoted comma and newline when `quoted`. */
function deck(n: number, quoted = false, rate = '0.01'): string {
  let s = HEADER;
  for (let i = 0; i < n; i++) s += `${200_000 + i},${quoted ? `"Area ${i},\nline two"` : `Area ${i}`},,${rate},60,60,,,,0\n`;
  return s;
}

async function stored(group: string): Promise<number> {
  return (await listStoredRates(store, group, { page: 1, pageSize: 1 })).total;
}

test('a 60,000-row deck (many parse slices) is stored while read, swapped in, and reported with progress', async () => {
  const seen: ImportStatus[] = [];
  const s = await importer.run('big', Buffer.from(deck(60_000)), 'replace', (st) => seen.push(st));
  assert.equal(s.phase, 'done', JSON.stringify(s.errors));
  assert.equal(s.totalLines, 60_000);
  assert.equal(s.rowsStored, 60_000);
  assert.equal(await stored('big'), 60_000);
  assert.equal(book.rateGroup('big')!.size, 60_000);
  assert.ok(seen.some((x) => x.phase === 'storing' && x.rowsStored > 0 && x.rowsStored < 60_000), 'rows were stored before the end');
  assert.ok(seen.some((x) => x.phase === 'storing' && x.rowsRead > 0 && x.rowsRead < 60_000), 'progress while reading');
  const r = book.rateGroup('big')!.lookup('2599991234', Date.now());
  assert.ok(r.ok);
  assert.equal(r.row.areaName, 'Area 59999');
});

test('a bad row near the end of a big deck rolls back every row stored before it; the old table stays', async () => {
  const old = book.rateGroup('big');
  const text = deck(60_000, false, '0.02').replace('259990,Area 59990,,0.02', '259990,Area 59990,,0.0.2');
  const s = await importer.run('big', Buffer.from(text));
  assert.equal(s.phase, 'refused');
  assert.deepEqual(s.errors.map((e) => e.line), [59_992]);
  assert.match(s.errors[0]!.reason, /rate: not a decimal amount/);
  assert.equal(book.rateGroup('big'), old, 'the same table object is in force');
  const page = await listStoredRates(store, 'big', { prefix: '200000', page: 1, pageSize: 1 });
  assert.equal(page.total, 1);
  assert.equal(page.rows[0]!.ratePerMinute, 100_000n, 'the stored rows are the old ones (0.01), not the refused deck\'s');
  assert.equal(await stored('big'), 60_000);
});

test('quoted fields with commas and newlines survive slicing; the group loads back from the store at start', async () => {
  const text = deck(20_000, true);
  assert.ok(Buffer.byteLength(text) > 3 * (1 << 18), 'the deck spans several slices');
  const s = await importer.run('quoted', Buffer.from(text));
  assert.equal(s.phase, 'done', JSON.stringify(s.errors));
  const parsed = parseRateDeck(text);
  assert.ok(parsed.ok);
  assert.equal(parsed.rows.length, 20_000);
  const fresh = new AccountBook();
  await loadStoredRateGroups(store, fresh);
  const g = fresh.rateGroup('quoted')!;
  assert.equal(g.size, 20_000);
  const r = g.lookup('2123456', Date.now());
  assert.ok(r.ok);
  assert.equal(r.row.areaName, 'Area 12345,\nline two');
  // line numbers count the lines inside quoted fields: row i starts on line 2 + 2i
  const bad = await importer.run('quoted', Buffer.from(text.replace('212345,"Area 12345,\nline two",,0.01,60,60', '212345,"Area 12345,\nline two",,0.01,0,60')));
  assert.equal(bad.phase, 'refused');
  assert.deepEqual(bad.errors.map((e) => e.line), [2 + 2 * 12_345], "the line where the bad row starts");
});

test('merge keeps rows the deck does not give; a second import of the same group waits its turn (409-style busy)', async () => {
  book.setRateGroup(new RateGroup('m', [
    { prefix: '1', areaName: 'a', callType: 'international', ratePerMinute: 1n, firstPeriod: 60, nextPeriod: 60, connectionFee: 0n, sections: [], effectiveFrom: 0, locked: false },
  ]));
  const first = importer.start('m', Buffer.from(HEADER + '2,b,,0.5,1,1,,,,0\n'), 'merge');
  assert.throws(() => importer.start('m', Buffer.from(HEADER + '3,c,,0.5,1,1,,,,0\n')), { code: 'SSW_ERR_RATES_IMPORT_BUSY' });
  const s = await first.done;
  assert.equal(s.phase, 'done');
  assert.equal(s.rowsTotal, 2);
  assert.deepEqual((await listStoredRates(store, 'm', { page: 1, pageSize: 10 })).rows.map((r) => r.prefix), ['1', '2']);
  assert.equal(importer.job(first.id)!.phase, 'done');
  assert.throws(() => importer.start('bad name', Buffer.from(HEADER)), { code: 'SSW_ERR_RATES_BAD_NAME' });
});

const row = (prefix: string, rate: bigint, effectiveFrom = 0) => ({
  prefix, areaName: `A ${prefix}`, callType: 'international' as const, ratePerMinute: rate, firstPeriod: 60, nextPeriod: 60, connectionFee: 0n, sections: [], effectiveFrom, locked: false,
});

test('a change queued behind an import of its group starts from the imported group; changes take turns; memory and store agree', async () => {
  // a group only in memory (as from the config folder) is stored whole at its first change
  book.setRateGroup(new RateGroup('e', [row('31', 100n), row('32', 200n)]));
  const c0 = await importer.change('e', async () => ({ put: row('33', 300n) }));
  assert.equal(c0.put.prefix, '33');
  assert.deepEqual((await listStoredRates(store, 'e', { page: 1, pageSize: 10 })).rows.map((r) => r.prefix), ['31', '32', '33']);
  // an import (7,000 rows: the change after it is built in the pool) with two changes queued behind it
  const imp = importer.start('e', Buffer.from(deck(7000)));
  const seen: number[] = [];
  const [c1, c2] = await Promise.all([
    importer.change('e', async (g) => (seen.push(g.size), { put: row('200001', 77n) })),
    importer.change('e', async (g) => (seen.push(g.size), { remove: { prefix: '200002', effectiveFrom: 0 } })),
  ]);
  assert.equal((await imp.done).phase, 'done');
  assert.deepEqual(seen, [7000, 7000], 'each change saw the group the one before it left');
  assert.ok('put' in c1 && 'remove' in c2);
  const g = book.rateGroup('e')!;
  assert.equal(g.size, 6999);
  const hit = g.lookup('2000019', 0);
  assert.ok(hit.ok && hit.row.ratePerMinute === 77n);
  assert.equal(g.lookup('2000029', 0).ok, false);
  assert.equal(await stored('e'), 6999);
  const s1 = await listStoredRates(store, 'e', { prefix: '200001', page: 1, pageSize: 10 });
  assert.deepEqual(s1.rows.filter((r) => r.prefix === '200001').map((r) => r.ratePerMinute), [77n]);
  // a change naming a group that is gone changes nothing
  await assert.rejects(importer.change('gone', async () => ({ put: row('1', 1n) })), { code: 'SSW_ERR_RATES_NO_GROUP' });
});

test('start-up load packs every stored group in the pool; a group with a bad stored row is skipped', async () => {
  await store.db.insertInto('rate_groups').values({ name: 'broken' }).execute();
  await store.db.insertInto('rates').values({ rate_group: 'broken', prefix: '4x', area_name: '', rate: 1, connection_fee: 0, first_period: 60, next_period: 60, effective_time: 0, locked: 0 }).execute();
  const fresh = new AccountBook();
  const loaded = await loadStoredRateGroups(store, fresh);
  assert.ok(!loaded.includes('broken'));
  assert.ok(loaded.includes('e') && loaded.includes('m'));
  assert.equal(fresh.rateGroup('e')!.size, 6999);
  const hit = fresh.rateGroup('e')!.lookup('2000019', 0);
  assert.ok(hit.ok && hit.row.ratePerMinute === 77n && hit.row.areaName === 'A 200001');
  assert.equal(fresh.rateGroup('broken'), undefined);
});
