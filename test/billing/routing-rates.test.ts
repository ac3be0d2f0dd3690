import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateGroup, money, vendorRatePerMinute, compareRates, meetsMinProfit, withinMaxRate, type RateRow } from '../../src/billing/index.js';

const row = (prefix: string, rate: string, locked = false): RateRow => ({
  prefix, areaName: '', callType: 'international', ratePerMinute: money(rate), firstPeriod: 6, nextPeriod: 6,
  connectionFee: 0n, sections: [], effectiveFrom: 0, locked,
});

test('vendor rate by longest prefix; none when missing or locked', () => {
  const g = new RateGroup('v', [row('44', '0.01'), row('447', '0.03'), row('449', '0.02', true)]);
  assert.equal(vendorRatePerMinute(g, '447700', 1), money('0.03'));
  assert.equal(vendorRatePerMinute(g, '4420', 1), money('0.01'));
  assert.equal(vendorRatePerMinute(g, '4490', 1), null);
  assert.equal(vendorRatePerMinute(g, '33', 1), null);
});

test('least-cost order puts the cheapest first and missing rates last', () => {
  const rates = [money('0.03'), null, money('0.01'), money('0.02')];
  assert.deepEqual([...rates].sort(compareRates), [money('0.01'), money('0.02'), money('0.03'), null]);
});

test('minimum profit percent and maximum rate are exact at the boundary', () => {
  assert.equal(meetsMinProfit(money('0.1'), money('0.09'), 10), true); // exactly 10 %
  assert.equal(meetsMinProfit(money('0.1'), money('0.0900001'), 10), false);
  assert.equal(meetsMinProfit(money('0.1'), money('0.0975'), 2.5), true);
  assert.equal(meetsMinProfit(money('0.1'), money('0.11'), 0), false); // a loss
  assert.equal(withinMaxRate(money('0.05'), money('0.05')), true);
  assert.equal(withinMaxRate(money('0.0500001'), money('0.05')), false);
  assert.equal(withinMaxRate(money('9'), null), true);
});
