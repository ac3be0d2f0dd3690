// Runs the hand-checkable table in test/fixtures/billing/known-answers.csv through the real
// lookup (rate change at midnight) and rateCall, and compares every intermediate figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { RateGroup, makeBillingSettings, money, rateCall, formatMoney, type RateRow } from '../../src/billing/index.js';

const file = new URL('../../../test/fixtures/billing/known-answers.csv', import.meta.url);
const records: Record<string, string>[] = parse(readFileSync(file), { columns: true, comment: '#', skip_empty_lines: true, trim: true });

function row(r: Record<string, string>, rate: string, effectiveFrom: number): RateRow {
  const sections = r['sections'] === '' ? [] : r['sections']!.split(';').map((s) => {
    const [after, secRate] = s.split(':');
    return { afterSeconds: Number(after), ratePerMinute: money(secRate!) };
  });
  return {
    prefix: '44', areaName: 'UK', callType: 'international', ratePerMinute: money(rate),
    firstPeriod: Number(r['first']), nextPeriod: Number(r['next']), connectionFee: money(r['conn_fee'] || '0'),
    sections, effectiveFrom, locked: false,
  };
}

test('the known-answer table has every kind of case the issue lists', () => {
  assert.ok(records.length >= 70, `only ${records.length} rows`);
  for (const kind of ['60/60', '6/6', '30/6', '1/1', 'conn fee', 'sections', 'midnight', 'package', 'fee precision 2', 'fee precision 4', 'fee precision 7', 'hold precision 1 ms', 'hold precision 100 ms', 'hold precision 1000 ms']) {
    assert.ok(records.some((r) => r['case']!.includes(kind)), `no case for ${kind}`);
  }
});

for (const r of records) {
  test(`known answer: ${r['case']}`, () => {
    const settings = makeBillingSettings({
      feePrecision: r['fee_prec'] === '' ? 7 : Number(r['fee_prec']),
      holdTimePrecisionMs: r['hold_prec_ms'] === '' ? 1000 : Number(r['hold_prec_ms']),
    });
    const rows = [row(r, r['rate']!, 0)];
    if (r['new_rate'] !== '') rows.push(row(r, r['new_rate']!, Date.parse(r['new_rate_from_utc']!)));
    const group = new RateGroup('kat', rows);
    const start = Date.parse(r['start_utc'] || '2026-06-01T12:00:00Z');
    const found = group.lookup('447700900123', start);
    assert.ok(found.ok);
    const rated = rateCall(found.row, Number(r['hold_ms']), settings, Number(r['package_s'] || '0'));
    assert.equal(rated.roundedHoldMs, Number(r['exp_rounded_hold_ms']), 'rounded hold');
    assert.equal(rated.billedSeconds, Number(r['exp_billed_s']), 'billed seconds');
    assert.equal(rated.packageSeconds, Number(r['exp_package_s']), 'package seconds');
    assert.equal(rated.chargedSeconds, rated.billedSeconds - rated.packageSeconds);
    assert.equal(rated.fee, money(r['exp_fee']!), `fee ${formatMoney(rated.fee)} != ${r['exp_fee']}`);
    // the fee is representable at its precision (formatMoney throws otherwise)
    assert.doesNotThrow(() => formatMoney(rated.fee, settings.feePrecision));
  });
}
