import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRateDeck, rateDeckToCsv, RateGroup, money, type RateRow } from '../../src/billing/index.js';

const DECK = [
  'prefix,area_name,call_type,rate,first_period,next_period,connection_fee,sections,effective_from,locked',
  '44,UK,international,0.0125,6,6,,,,0',
  '447,"UK, mobile",international,0.021,30,6,0.01,60:0.018;300:0.015,2026-01-01T00:00:00Z,0',
  '',
  '1,USA,national,0.004,1,1,,,1767225600000,yes',
].join('\n');

test('a good deck parses whole, with defaults and every field', () => {
  const r = parseRateDeck(DECK);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  assert.equal(r.rows.length, 3);
  const mobile = r.rows[1]!;
  assert.equal(mobile.areaName, 'UK, mobile');
  assert.equal(mobile.ratePerMinute, money('0.021'));
  assert.equal(mobile.connectionFee, money('0.01'));
  assert.deepEqual(mobile.sections, [{ afterSeconds: 60, ratePerMinute: money('0.018') }, { afterSeconds: 300, ratePerMinute: money('0.015') }]);
  assert.equal(mobile.effectiveFrom, Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(r.rows[2]!.locked, true);
  assert.equal(r.rows[2]!.effectiveFrom, 1767225600000);
  const minimal = parseRateDeck('prefix,rate\n33,0.1\n');
  assert.ok(minimal.ok);
  assert.equal(minimal.rows[0]!.firstPeriod, 60);
  assert.equal(minimal.rows[0]!.callType, 'international');
});

test('a deck with bad rows is refused whole, each bad row with its line and reason', () => {
  const bad = [
    'prefix,rate,first_period,next_period,effective_from,sections',
    '44,0.1,6,6,,',
    '4x,0.1,6,6,,', // line 3
    '45,0.1.2,6,6,,', // line 4
    '46,0.1,0,6,,', // line 5
    '47,0.1,6,6,yesterday,', // line 6
    '',
    '44,0.2,6,6,,', // line 8: same prefix and time as line 2
    '48,0.123456789,6,6,,', // line 9
    '49,0.1,6,6,,60;0.1', // line 10
  ].join('\n');
  const r = parseRateDeck(bad);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.errors.map((e) => e.line), [3, 4, 5, 6, 8, 9, 10]);
  assert.match(r.errors[0]!.reason, /prefix/);
  assert.match(r.errors[1]!.reason, /rate/);
  assert.match(r.errors[2]!.reason, /first period/);
  assert.match(r.errors[3]!.reason, /effective_from/);
  assert.match(r.errors[4]!.reason, /line 2/);
  assert.match(r.errors[5]!.reason, /decimal places/);
  assert.match(r.errors[6]!.reason, /sections/);
});

test('header problems and CSV syntax errors are reported, never thrown', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['prefix,price\n44,1', /unknown column "price"/],
    ['area_name,rate\nUK,1', /missing column "prefix"/],
    ['prefix,rate,rate\n44,1,1', /twice/],
    ['prefix,rate\n44,"0.1\n', /CSV syntax/],
  ];
  for (const [text, re] of cases) {
    const r = parseRateDeck(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.errors[0]!.reason, re, text);
  }
  const many = 'prefix,rate\n' + 'x,1\n'.repeat(500);
  const r = parseRateDeck(many, { maxErrors: 10 });
  assert.ok(!r.ok && r.errors.length === 10);
});

test('progress is reported while reading', () => {
  const text = 'prefix,rate\n' + Array.from({ length: 2500 }, (_, i) => `${100000 + i},0.01`).join('\n');
  const seen: number[] = [];
  const r = parseRateDeck(text, { progressEvery: 1000, onProgress: (n) => seen.push(n) });
  assert.ok(r.ok);
  assert.deepEqual(seen, [1000, 2000, 2500]);
});

const rowArb: fc.Arbitrary<RateRow> = fc.record({
  prefix: fc.stringMatching(/^[0-9]{1,12}$/),
  areaName: fc.string({ maxLength: 20 }).map((s) => s.trim()),
  callType: fc.constantFrom('on-net', 'local', 'national', 'international', 'other') as fc.Arbitrary<RateRow['callType']>,
  ratePerMinute: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  firstPeriod: fc.integer({ min: 1, max: 3600 }),
  nextPeriod: fc.integer({ min: 1, max: 3600 }),
  connectionFee: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  sections: fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 3 }).chain((afters) =>
    fc.tuple(...afters.sort((a, b) => a - b).map((a) => fc.bigInt({ min: 0n, max: 10n ** 9n }).map((r) => ({ afterSeconds: a, ratePerMinute: r }))))),
  effectiveFrom: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  locked: fc.boolean(),
});

test('property: export then import gives back the same rows', () => {
  fc.assert(fc.property(fc.uniqueArray(rowArb, { selector: (r) => `${r.prefix}@${r.effectiveFrom}`, maxLength: 20 }), (rows) => {
    const back = parseRateDeck(rateDeckToCsv(rows));
    assert.ok(back.ok, back.ok ? '' : JSON.stringify(back.errors));
    assert.deepEqual(back.rows, rows.map((r) => ({ ...r, sections: r.sections.map((s) => ({ ...s })) })));
    new RateGroup('rt', back.rows);
  }), { numRuns: 200 });
});
