import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMoney, money, formatMoney, roundUp, roundHalfUp, ceilDiv, floorDiv, MONEY_SCALE } from '../../src/billing/index.js';

test('parses decimal strings exactly', () => {
  assert.equal(money('0.0125'), 125_000n);
  assert.equal(money('1'), 10_000_000n);
  assert.equal(money('-0.0000001'), -1n);
  assert.equal(money('+3.'), 30_000_000n);
  assert.equal(money('.5'), 5_000_000n);
  assert.equal(money('0.12500000000'), 1_250_000n); // trailing zeros beyond the scale carry nothing
  assert.equal(money('123456789012.1234567'), 1_234_567_890_121_234_567n);
});

test('rejects what is not an exact decimal, with a code, without throwing', () => {
  for (const bad of ['', '.', '-', '1e3', '1,5', ' 1', '0x10', 'NaN', '1.2.3', '--1']) {
    const r = parseMoney(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.code, 'SSW_ERR_BILLING_MONEY_SYNTAX');
  }
  const r = parseMoney('0.00000001');
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'SSW_ERR_BILLING_MONEY_PRECISION');
  assert.throws(() => money('abc'), { code: 'SSW_ERR_BILLING_MONEY' });
});

test('formats at a precision and refuses to drop digits', () => {
  assert.equal(formatMoney(125_000n), '0.0125000');
  assert.equal(formatMoney(-1n), '-0.0000001');
  assert.equal(formatMoney(10_000_000n, 0), '1');
  assert.equal(formatMoney(roundUp(1_250_000n, 2), 2), '0.13');
  assert.throws(() => formatMoney(125_000n, 2), { code: 'SSW_ERR_BILLING_MONEY' });
  assert.throws(() => formatMoney(1n, 8), { code: 'SSW_ERR_BILLING_MONEY' });
});

test('rounding: up toward +infinity, half-up away from zero', () => {
  assert.equal(roundUp(1n, 2), 100_000n);
  assert.equal(roundUp(-99_999n, 2), 0n);
  assert.equal(roundUp(100_000n, 2), 100_000n);
  assert.equal(roundHalfUp(50_000n, 2), 100_000n);
  assert.equal(roundHalfUp(49_999n, 2), 0n);
  assert.equal(roundHalfUp(-50_000n, 2), -100_000n);
  assert.equal(ceilDiv(-7n, 2n), -3n);
  assert.equal(floorDiv(-7n, 2n), -4n);
});

const amount = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });

test('property: format then parse is the identity at full scale', () => {
  fc.assert(fc.property(amount, (v) => money(formatMoney(v)) === v), { numRuns: 2000 });
});

test('property: parse of a generated decimal string matches its digits', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: MONEY_SCALE }), fc.boolean(), (digits, decimals, neg) => {
    const s = digits.toString().padStart(decimals + 1, '0');
    const text = (neg ? '-' : '') + (decimals === 0 ? s : `${s.slice(0, -decimals)}.${s.slice(-decimals)}`);
    const expected = digits * 10n ** BigInt(MONEY_SCALE - decimals);
    return money(text) === (neg ? -expected : expected);
  }), { numRuns: 2000 });
});

test('property: roundUp gives the least multiple of the step not below the value', () => {
  fc.assert(fc.property(amount, fc.integer({ min: 0, max: MONEY_SCALE }), (v, d) => {
    const step = 10n ** BigInt(MONEY_SCALE - d);
    const r = roundUp(v, d);
    return r % step === 0n && r >= v && r - v < step && money(formatMoney(r, d)) === r;
  }), { numRuns: 2000 });
});
