import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMinor, parseStoreUrl, toMinor, DayNamer } from '../../src/store/index.js';
import { storeContract } from './store-contract.js';

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
