import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixTable, MapPrefixTable, createCompilePool, compileImage, compileInto, packPrefixes, MAX_TOP_DIGITS, type PrefixEntry } from '../../src/routing/index.js';

const E = (prefix: string, value: number): PrefixEntry => ({ prefix, value });

test('lookup returns every match longest first, shared prefixes in insertion order', () => {
  const t = PrefixTable.build([E('4', 1), E('44', 2), E('4420', 3), E('44', 4), E('', 5), E('1', 6)]);
  assert.deepEqual(t.lookup('442071234'), [
    { value: 3, length: 4 }, { value: 2, length: 2 }, { value: 4, length: 2 }, { value: 1, length: 1 }, { value: 5, length: 0 },
  ]);
  assert.deepEqual(t.longest('1555'), { value: 6, length: 1 });
  assert.deepEqual(t.lookup('9'), [{ value: 5, length: 0 }]);
  assert.equal(t.size, 6);
  assert.ok(t.imageBytes > 32);
});

test('a non-digit ends the walk; no match gives null', () => {
  const t = PrefixTable.build([E('12', 7), E('123', 8)]);
  assert.deepEqual(t.lookup('12#3'), [{ value: 7, length: 2 }]);
  assert.equal(t.longest('+123'), null);
  assert.equal(t.longest(''), null);
  assert.deepEqual(t.lookup('1\u01303'), [], 'U+0130 must not truncate to the digit 0');
});

test('bad prefixes and too many values are coded errors', () => {
  assert.throws(() => PrefixTable.build([E('1a', 1)]), { code: 'SSW_ERR_TRIE_BAD_PREFIX' });
  assert.throws(() => PrefixTable.build([E('1'.repeat(65), 1)]), { code: 'SSW_ERR_TRIE_BAD_PREFIX' });
  assert.deepEqual(PrefixTable.build([E('1'.repeat(64), 1)]).lookup('1'.repeat(80)), [{ value: 1, length: 64 }]);
  assert.deepEqual(PrefixTable.build([]).lookup('123'), []);
  const many = Array.from({ length: 64 }, (_, i) => E('7', i));
  assert.throws(() => PrefixTable.build(many), { code: 'SSW_ERR_TRIE_TOO_MANY_VALUES' });
  assert.equal(PrefixTable.build(many.slice(0, 63)).lookup('7').length, 63);
});

test('release frees the table; later use throws', () => {
  const t = PrefixTable.build([E('1', 1)]);
  t.release();
  assert.throws(() => t.lookup('1'), { code: 'SSW_ERR_TRIE_RELEASED' });
});

test('property: lookup equals the Map baseline on random tables and numbers', () => {
  const digits = (max: number) => fc.array(fc.constantFrom(...'0123456789'), { maxLength: max }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.array(digits(6), { maxLength: 60 }), fc.array(digits(9), { minLength: 1, maxLength: 20 }), (prefixes, numbers) => {
      const entries = prefixes.map((p, i) => E(p, i));
      // the trie caps values per prefix at 63; keep within it
      const t = PrefixTable.build(entries);
      const base = new MapPrefixTable(entries);
      for (const n of numbers) assert.deepEqual(t.lookup(n), base.lookup(n));
      t.release();
    }),
    { numRuns: 200 },
  );
});

const digitString = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));

test('property: every top-table depth K gives the Map baseline, all matches and longest', () => {
  // K cuts the trie into a top table and clusters; each K moves matches between the top trie,
  // the table's shallow refs and the clusters, so every K must agree with the oracle.
  fc.assert(
    fc.property(
      fc.array(digitString(0, 8), { maxLength: 80 }),
      fc.array(fc.oneof(digitString(0, 10), fc.tuple(digitString(0, 7), fc.constantFrom('#', '+', 'a', '\u0130'), digitString(0, 3)).map((t) => t.join(''))), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: MAX_TOP_DIGITS }),
      (prefixes, numbers, k) => {
        const entries = prefixes.map((p, i) => E(p, i * 7 - 100)); // negative values too
        const t = PrefixTable.build(entries, { topDigits: k });
        const base = new MapPrefixTable(entries);
        for (const n of [...numbers, ...prefixes]) {
          assert.deepEqual(t.lookup(n), base.lookup(n), `lookup ${n} at K=${k}`);
          assert.deepEqual(t.longest(n), base.longest(n), `longest ${n} at K=${k}`);
          assert.equal(t.matchCount(n), base.lookup(n).length);
        }
        t.release();
      },
    ),
    { numRuns: 400 },
  );
});

test('a large table gets a top table (K > 0) and still equals the Map baseline', () => {
  // Dense 3-9 digit prefixes, some nested, so the default K lands at 3 or more and numbers cross
  // from the top trie into clusters.
  const entries: PrefixEntry[] = [];
  let x = 7;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  for (let i = 0; i < 60_000; i++) entries.push(E(String(next()).slice(0, 3 + (next() % 7)), i));
  const r = compileImage(packPrefixes(entries.map((e) => e.prefix), entries.map((e) => e.value)));
  assert.ok(r.ok);
  const k = new Uint32Array(r.image, 0, 4)[3]!;
  assert.ok(k >= 3, `K = ${k}`);
  const t = PrefixTable.build(entries);
  const base = new MapPrefixTable(entries);
  for (let i = 0; i < 20_000; i++) {
    const n = i % 3 === 0 ? entries[next() % entries.length]!.prefix + String(next()) : String(next()) + String(next());
    assert.deepEqual(t.lookup(n), base.lookup(n), n);
    assert.deepEqual(t.longest(n), base.longest(n), n);
  }
  t.release();
});

test('topDigits outside 0-6 and an image too large for its memory are coded errors', () => {
  const r = compileImage(packPrefixes(['1'], [1]), { topDigits: 7 });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'SSW_ERR_TRIE_BAD_INPUT');
  const big = compileInto(packPrefixes(['1'], [1]), () => null);
  assert.equal(!big.ok && big.code, 'SSW_ERR_TRIE_IMAGE_TOO_LARGE');
});

test('buildInPool gives the same table as build', async () => {
  const entries = Array.from({ length: 5000 }, (_, i) => E(String((i * 7919) % 100000), i));
  const pool = createCompilePool();
  try {
    const a = await PrefixTable.buildInPool(entries, pool);
    const b = PrefixTable.build(entries);
    for (const n of ['1234567', '99999', '0', '31337']) {
      assert.deepEqual(a.lookup(n), b.lookup(n));
      assert.deepEqual(a.longest(n), b.longest(n));
    }
    assert.equal(a.imageBytes, b.imageBytes);
    assert.equal(a.topDigits, b.topDigits);
    // options reach the worker, and the image the worker wrote into the shared memory is the one used
    const c = await PrefixTable.buildInPool(entries, pool, { topDigits: 1 });
    assert.equal(c.topDigits, 1);
    assert.notEqual(c.imageBytes, a.imageBytes);
    const base = new MapPrefixTable(entries);
    for (let i = 0; i < 2000; i++) {
      const n = String((i * 104_729) % 10_000_000);
      assert.deepEqual(c.lookup(n), base.lookup(n), n);
      assert.deepEqual(a.longest(n), base.longest(n), n);
    }
  } finally {
    await pool.destroy();
  }
});

test('buildInPool reports a bad prefix as a coded error', async () => {
  await assert.rejects(PrefixTable.buildInPool([E('12x', 1)]), { code: 'SSW_ERR_TRIE_BAD_PREFIX' });
});


test('a 1,000,000-prefix table compiles in the pool while the main thread keeps running', async () => {
  // Latency figures (max event-loop delay) live in bench/trie.bench.ts; here the fact that counts:
  // the main thread is not the one compiling, so its timers keep firing throughout.
  const entries: PrefixEntry[] = new Array(1_000_000);
  // i * K mod 9e6 with K coprime to 9e6: a million distinct, scattered 7-digit prefixes.
  for (let i = 0; i < entries.length; i++) entries[i] = E(String(1_000_000 + ((i * 7_654_321) % 9_000_000)), i);
  const pool = createCompilePool();
  try {
    let ticks = 0;
    const iv = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const t = await PrefixTable.buildInPool(entries, pool);
    const ms = performance.now() - t0;
    clearInterval(iv);
    console.log(`# 1M build in pool: ${ms.toFixed(0)} ms, ${ticks} main-thread ticks, image ${t.imageBytes} B (${(t.imageBytes / t.size).toFixed(2)} B/prefix)`);
    assert.ok(ticks >= Math.min(5, Math.floor(ms / 50)), `main thread ticked ${ticks} times during a ${ms.toFixed(0)} ms build`);
    assert.equal(t.size, 1_000_000);
    const p = entries[777]!.prefix;
    assert.deepEqual(t.longest(p + '55'), { value: 777, length: 7 });
    t.release();
  } finally {
    await pool.destroy();
  }
});
