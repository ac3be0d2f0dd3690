import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RateGroup, MapPrefixIndex, money, rateCall, makeBillingSettings, roundHoldMs, billedSecondsFor, costOfBilled,
  maxAffordableBilledSeconds, maxHoldMsFor, MAX_GRANT_SECONDS, type RateRow, type PrefixIndex,
} from '../../src/billing/index.js';
import { searchPeriods } from '../../src/billing/rating.js';

function row(prefix: string, rate: string, extra: Partial<RateRow> = {}): RateRow {
  return {
    prefix, areaName: prefix, callType: 'international', ratePerMinute: money(rate), firstPeriod: 6, nextPeriod: 6,
    connectionFee: 0n, sections: [], effectiveFrom: 0, locked: false, ...extra,
  };
}

test('longest prefix wins', () => {
  const g = new RateGroup('g', [row('4', '0.5'), row('44', '0.1'), row('447', '0.2')]);
  const at = Date.parse('2026-01-01');
  const look = (n: string) => { const r = g.lookup(n, at); return r.ok ? r.row.prefix : r.why; };
  assert.equal(look('447700900123'), '447');
  assert.equal(look('441632960000'), '44');
  assert.equal(look('49301234'), '4');
  assert.equal(look('33123'), 'no-rate');
  assert.equal(look(''), 'no-rate');
});

test('the newest row in force at the start time rates the call; future rows fall through', () => {
  const midnight = Date.parse('2026-01-01T00:00:00Z');
  const g = new RateGroup('g', [row('44', '0.1'), row('44', '0.2', { effectiveFrom: midnight }), row('447', '0.3', { effectiveFrom: midnight })]);
  const before = g.lookup('447700', midnight - 1);
  const after = g.lookup('447700', midnight);
  assert.ok(before.ok && after.ok);
  assert.equal(before.row.ratePerMinute, money('0.1')); // 447 not yet in force -> 44's old row
  assert.equal(after.row.ratePerMinute, money('0.3'));
  const after44 = g.lookup('441632', midnight + 1);
  assert.ok(after44.ok && after44.row.ratePerMinute === money('0.2'));
});

test('a locked row refuses its prefix instead of falling through to a shorter one', () => {
  const g = new RateGroup('g', [row('44', '0.1'), row('447', '0.2', { locked: true })]);
  assert.deepEqual(g.lookup('447700', 1), { ok: false, why: 'locked' });
  assert.ok(g.lookup('441632', 1).ok);
});

test('bad rows are rejected with the row number and reason', () => {
  assert.throws(() => new RateGroup('g', [row('44', '0.1'), row('4a', '0.1')]), /row 2 \(4a\): prefix/);
  assert.throws(() => new RateGroup('g', [row('44', '-0.1')]), /rate must be/);
  assert.throws(() => new RateGroup('g', [row('44', '0.1', { firstPeriod: 0 })]), /first period/);
  assert.throws(() => new RateGroup('g', [row('44', '0.1', { nextPeriod: 1.5 })]), /next period/);
  assert.throws(() => new RateGroup('g', [row('44', '0.1', { sections: [{ afterSeconds: 60, ratePerMinute: 1n }, { afterSeconds: 30, ratePerMinute: 1n }] })]), /section times/);
  assert.throws(() => new RateGroup('g', [row('44', '0.1'), row('44', '0.2')]), { code: 'SSW_ERR_BILLING_RATE_GROUP' });
});

test('any PrefixIndex can be plugged in (the WASM PrefixTable has the same lookup)', () => {
  let calls = 0;
  const linear = (prefixes: readonly string[]): PrefixIndex => ({
    lookup(n) {
      calls++;
      return prefixes.map((p, i) => ({ value: i, length: p.length })).filter((h) => n.startsWith(prefixes[h.value]!)).sort((a, b) => b.length - a.length);
    },
  });
  const g = new RateGroup('g', [row('1', '0.01'), row('1212', '0.02')], linear);
  const r = g.lookup('12125551234', 0);
  assert.ok(r.ok && r.row.prefix === '1212');
  assert.equal(calls, 1);
  assert.deepEqual(new MapPrefixIndex(['1', '1212', '9']).lookup('12129'), [{ value: 1, length: 4 }, { value: 0, length: 1 }]);
});

test('negative, NaN and zero hold times bill nothing', () => {
  const r = row('44', '1', { connectionFee: money('1') });
  for (const h of [0, -1, NaN, -0]) {
    const c = rateCall(r, h, makeBillingSettings());
    assert.equal(c.billedSeconds, 0);
    assert.equal(c.fee, 0n);
  }
});

const rowArb = fc.record({
  rate: fc.bigInt({ min: 1n, max: 100_000_000n }),
  conn: fc.bigInt({ min: 0n, max: 10_000_000n }),
  first: fc.constantFrom(1, 6, 30, 60),
  next: fc.constantFrom(1, 6, 60),
  section: fc.option(fc.record({ after: fc.integer({ min: 1, max: 600 }), rate: fc.bigInt({ min: 1n, max: 100_000_000n }) }), { nil: undefined }),
}).map(({ rate, conn, first, next, section }): RateRow => row('1', '0', {
  ratePerMinute: rate, connectionFee: conn, firstPeriod: first, nextPeriod: next,
  sections: section === undefined ? [] : [{ afterSeconds: section.after, ratePerMinute: section.rate }],
}));

test('property: the fee never decreases with hold time and is a multiple of the precision', () => {
  fc.assert(fc.property(rowArb, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7_200_000 }), fc.integer({ min: 0, max: 600_000 }), (r, prec, h, d) => {
    const s = makeBillingSettings({ feePrecision: prec });
    const a = rateCall(r, h, s);
    const b = rateCall(r, h + d, s);
    const step = 10n ** BigInt(7 - prec);
    return b.fee >= a.fee && a.fee % step === 0n && a.billedSeconds * 1000 >= a.roundedHoldMs && a.roundedHoldMs >= h;
  }), { numRuns: 1000 });
});

test('property: billing per second at fee precision 7 is exact: fee x 60 >= rate x seconds, short by less than one unit', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 100_000 }), (rate, secs) => {
    const r = row('1', '0', { ratePerMinute: rate, firstPeriod: 1, nextPeriod: 1 });
    const fee = rateCall(r, secs * 1000, makeBillingSettings()).fee;
    const exact = rate * BigInt(secs);
    return fee * 60n >= exact && fee * 60n - exact < 60n;
  }), { numRuns: 1000 });
});

test('property: the max duration is affordable and one precision step more is not', () => {
  fc.assert(fc.property(rowArb, fc.bigInt({ min: 0n, max: 50_000_000n }), fc.constantFrom(1, 100, 1000), fc.integer({ min: 0, max: 7 }), (r, avail, holdPrec, prec) => {
    const billed = maxAffordableBilledSeconds(r, avail, 0, prec, Infinity);
    if (billed === 0) return costOfBilled(r, r.firstPeriod, 0, prec) > avail;
    const ms = maxHoldMsFor(billed, Infinity, holdPrec);
    const at = billedSecondsFor(roundHoldMs(ms, holdPrec), r.firstPeriod, r.nextPeriod);
    const over = billedSecondsFor(roundHoldMs(ms + 1, holdPrec), r.firstPeriod, r.nextPeriod);
    // at the 7-day search limit the cap, not the money, is what stops the call
    return costOfBilled(r, at, 0, prec) <= avail && (billed >= MAX_GRANT_SECONDS || costOfBilled(r, over, 0, prec) > avail);
  }), { numRuns: 1000 });
});

test('property: the closed-form affordable time equals the binary search, packages included', () => {
  fc.assert(fc.property(rowArb, fc.bigInt({ min: -1_000_000n, max: 50_000_000n }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 20_000 }), (r, avail, pkg, prec, cap) => {
    const flat = { ...r, sections: [] };
    const fast = maxAffordableBilledSeconds(flat, avail, pkg, prec, cap);
    if (costOfBilled(flat, flat.firstPeriod, pkg, prec) > avail) return fast === 0;
    const kCap = Math.max(0, Math.ceil((cap - flat.firstPeriod) / flat.nextPeriod));
    return fast === flat.firstPeriod + searchPeriods(flat, avail, pkg, prec, kCap) * flat.nextPeriod;
  }), { numRuns: 3000 });
});
