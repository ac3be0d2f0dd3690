import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RateGroup, MapPrefixIndex, PackedPrefixIndex, packRateRows, editPacked, checkPacked, importRateDeck, rateDeckToCsv, packedTransferList, packedPrefixes, parseRateDeck, money, type RateRow, type PackedRates,
} from '../../src/billing/index.js';

const rowArb: fc.Arbitrary<RateRow> = fc.record({
  prefix: fc.stringMatching(/^[0-9]{1,4}$/),
  areaName: fc.string({ maxLength: 8 }),
  callType: fc.constantFrom('on-net', 'local', 'national', 'international', 'other') as fc.Arbitrary<RateRow['callType']>,
  ratePerMinute: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  firstPeriod: fc.integer({ min: 1, max: 60 }),
  nextPeriod: fc.integer({ min: 1, max: 60 }),
  connectionFee: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  sections: fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { maxLength: 2 }).map((a) => a.sort((x, y) => x - y).map((s) => ({ afterSeconds: s, ratePerMinute: BigInt(s) }))),
  effectiveFrom: fc.integer({ min: 0, max: 100 }),
  locked: fc.boolean(),
}).map((r) => ({ ...r }));

test('property: a packed group (after a transfer) answers every lookup like the row group', () => {
  fc.assert(fc.property(
    fc.uniqueArray(rowArb, { selector: (r) => `${r.prefix}@${r.effectiveFrom}`, maxLength: 40 }),
    fc.array(fc.tuple(fc.stringMatching(/^[0-9]{0,6}$/), fc.integer({ min: 0, max: 110 })), { maxLength: 30 }),
    (rows, probes) => {
      const plain = new RateGroup('g', rows);
      const packed = packRateRows(rows);
      // what Piscina does with a transfer list: the worker's buffers move, nothing is copied
      const moved = structuredClone(packed, { transfer: packedTransferList(packed) }) as PackedRates;
      assert.equal(packed.rate.length, 0, 'buffers were transferred');
      const group = RateGroup.fromPacked('g', moved); // the packed hash table as index
      const viaMap = RateGroup.fromPacked('g', moved, new MapPrefixIndex(packedPrefixes(moved)));
      assert.equal(group.size, rows.length);
      for (const [callee, at] of probes) {
        assert.deepEqual(group.lookup(callee, at), plain.lookup(callee, at), `${callee} @ ${at}`);
        assert.deepEqual(viaMap.lookup(callee, at), plain.lookup(callee, at), `${callee} @ ${at} (Map index)`);
      }
      // every stored prefix is found by the packed hash index, with all its shorter prefixes
      const idx = new PackedPrefixIndex(moved);
      const names = packedPrefixes(moved);
      for (const [s, p] of names.entries()) {
        const hits = idx.lookup(p + '9');
        assert.deepEqual(hits.map((h) => names[h.value]), names.filter((q) => (p + '9').startsWith(q)).sort((a, b) => b.length - a.length));
        assert.ok(hits.some((h) => h.value === s));
      }
      const key = (r: RateRow) => `${r.prefix}@${r.effectiveFrom}`;
      assert.deepEqual([...group.rows()].sort((a, b) => (key(a) < key(b) ? -1 : 1)), [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    },
  ), { numRuns: 300 });
});

test('a parsed deck packs, and a torn transfer is refused', () => {
  const deck = parseRateDeck('prefix,rate,effective_from\n44,0.1,\n44,0.2,2026-01-01T00:00:00Z\n447,0.3,\n');
  assert.ok(deck.ok);
  const p = packRateRows(deck.rows);
  assert.deepEqual(packedPrefixes(p), ['44', '447']);
  assert.equal(p.slotStart[1], 2); // both 44 rows in one slot, older first
  assert.ok(p.effectiveFrom[0]! < p.effectiveFrom[1]!);
  const g = RateGroup.fromPacked('d', p);
  const r = g.lookup('4412', Date.parse('2026-02-01'));
  assert.ok(r.ok && r.row.ratePerMinute === money('0.2'));
  assert.throws(() => RateGroup.fromPacked('bad', { ...p, count: p.count + 1 }), { code: 'SSW_ERR_BILLING_PACKED' });
});

test('property: importRateDeck packs exactly what parse-then-pack gives', () => {
  fc.assert(fc.property(fc.uniqueArray(rowArb, { selector: (r) => `${r.prefix}@${r.effectiveFrom}`, maxLength: 40 }), (rows) => {
    const csv = rateDeckToCsv(rows.map((r) => ({ ...r, areaName: r.areaName.trim() })));
    const a = importRateDeck(csv);
    const parsed = parseRateDeck(csv);
    assert.ok(a.ok && parsed.ok);
    assert.deepEqual(a.packed, packRateRows(parsed.rows));
  }), { numRuns: 200 });
  const bad = importRateDeck('prefix,rate\n44,x\n');
  assert.ok(!bad.ok && bad.errors[0]!.line === 2);
});

test('property: editPacked (rows put and taken out, shared arrays) gives the group that packing the edited rows gives', () => {
  const key = (r: { prefix: string; effectiveFrom: number }) => `${r.prefix}@${r.effectiveFrom}`;
  fc.assert(fc.property(
    fc.uniqueArray(rowArb, { selector: key, maxLength: 40 }),
    fc.uniqueArray(rowArb, { selector: key, maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 6 }),
    fc.array(fc.tuple(fc.stringMatching(/^[0-9]{0,6}$/), fc.integer({ min: 0, max: 110 })), { maxLength: 30 }),
    (rows, put, removeAt, probes) => {
      // take out some existing rows (and a key that is not there), unless a put row names them
      const putKeys = new Set(put.map(key));
      const remove = rows.length === 0 ? [] : removeAt.map((i) => rows[i % rows.length]!).filter((r) => !putKeys.has(key(r)));
      remove.push({ ...(rows[0] ?? put[0] ?? ({} as RateRow)), prefix: '999999', effectiveFrom: 7 });
      const gone = new Set([...remove.map(key), ...putKeys]);
      const expected = [...rows.filter((r) => !gone.has(key(r))), ...put];
      const base = packRateRows(rows, undefined, { shared: true });
      const edited = editPacked(base, put, remove.map((r) => ({ prefix: r.prefix, effectiveFrom: r.effectiveFrom })), { shared: true });
      assert.ok(edited.rate.buffer instanceof SharedArrayBuffer && edited.text.buffer instanceof SharedArrayBuffer);
      checkPacked(edited);
      const got = RateGroup.fromPacked('g', edited);
      const want = new RateGroup('g', expected);
      assert.equal(got.size, expected.length);
      assert.deepEqual([...got.rows()].sort((a, b) => (key(a) < key(b) ? -1 : 1)), [...expected].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
      for (const [callee, at] of probes) assert.deepEqual(got.lookup(callee, at), want.lookup(callee, at), `${callee} @ ${at}`);
      for (const r of expected) assert.deepEqual(got.lookup(r.prefix, 200).ok, want.lookup(r.prefix, 200).ok);
      // the base is untouched (it is the group still in force while the edit is built)
      assert.equal(RateGroup.fromPacked('b', base).size, rows.length);
    },
  ), { numRuns: 400 });
});
