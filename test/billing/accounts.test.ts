import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AccountBook, RateGroup, money, makeBillingSettings, type AccountInit, type RateRow, type LedgerEntry, type Grant,
} from '../../src/billing/index.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

function row(prefix: string, rate: string, extra: Partial<RateRow> = {}): RateRow {
  return {
    prefix, areaName: prefix, callType: 'international', ratePerMinute: money(rate), firstPeriod: 1, nextPeriod: 1,
    connectionFee: 0n, sections: [], effectiveFrom: 0, locked: false, ...extra,
  };
}

function customer(extra: Partial<AccountInit> = {}): AccountInit {
  return {
    id: 'c1', kind: 'customer', prepaid: true, balance: money('0.1'), creditLimit: 0n, expiresAt: NOW + DAY,
    locked: false, maxConcurrent: 0, rateGroup: 'sell', ...extra,
  };
}

/** 0.06/min = 0.001/s on 44, a locked 449 row, a vendor group at 0.03/min. */
function book(opts: ConstructorParameters<typeof AccountBook>[0] = {}, rows: RateRow[] = [row('44', '0.06'), row('449', '0.06', { locked: true })]): AccountBook {
  const b = new AccountBook(opts);
  b.setRateGroup(new RateGroup('sell', rows));
  b.setRateGroup(new RateGroup('buy', [row('44', '0.03')]));
  return b;
}

function granted(r: ReturnType<AccountBook['authorize']>): Grant {
  assert.equal(r.ok, true, r.ok ? '' : r.reason);
  return r as Grant;
}

test('a locked account can be unlocked by a patch; the next call passes', () => {
  const b = book();
  b.addAccount(customer({ locked: true }));
  assert.equal((b.authorize('c1', '447700', NOW) as { reason: string }).reason, 'Account locked');
  b.updateAccount('c1', { locked: false });
  granted(b.authorize('c1', '447700', NOW));
});

test('refusals come in the issue order with their end reasons and SIP codes', () => {
  const b = book();
  b.addAccount(customer());
  b.addAccount(customer({ id: 'locked', locked: true }));
  b.addAccount(customer({ id: 'expired', expiresAt: NOW }));
  b.addAccount(customer({ id: 'poor', balance: money('0.0009') }));
  b.addAccount(customer({ id: 'norate', rateGroup: 'missing', locked: true }));
  const reason = (id: string, callee = '447700') => { const r = b.authorize(id, callee, NOW); return r.ok ? 'ok' : `${r.reason}/${r.sipStatus}/${r.endReasonCode}`; };
  assert.equal(reason('c1', '33123'), 'No matching rate/404/SSW_ERR_BILLING_NO_RATE');
  assert.equal(reason('c1', '449123'), 'No matching rate/404/SSW_ERR_BILLING_NO_RATE'); // locked rate row
  assert.equal(reason('norate'), 'No matching rate/404/SSW_ERR_BILLING_NO_RATE'); // rate before lock
  assert.equal(reason('locked'), 'Account locked/403/SSW_ERR_BILLING_ACCOUNT_LOCKED');
  assert.equal(reason('expired'), 'Account expired/403/SSW_ERR_BILLING_ACCOUNT_EXPIRED');
  assert.equal(reason('poor'), 'Insufficient balance/402/SSW_ERR_BILLING_INSUFFICIENT_BALANCE');
  assert.equal(reason('nobody'), 'No such account/403/SSW_ERR_BILLING_NO_ACCOUNT');
  assert.equal(reason('c1'), 'ok');
  assert.equal(b.activeReservations, 1);
});

test('the grant says when to cut: balance / rate, in whole periods, minus the connection fee', () => {
  const b = book({}, [row('44', '0.06'), row('45', '0.06', { firstPeriod: 6, nextPeriod: 6 }), row('46', '0.06', { firstPeriod: 6, nextPeriod: 6, connectionFee: money('0.05') })]);
  b.addAccount(customer());
  const g1 = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g1.maxDurationMs, 100_000); // 0.1 / 0.001 per s
  assert.equal(g1.reserved, money('0.1'));
  b.release(g1.reservationId);
  assert.equal(granted(b.authorize('c1', '457700', NOW)).maxDurationMs, 96_000); // 6/6: 16 periods
  b.addAccount(customer({ id: 'c2' }));
  assert.equal(granted(b.authorize('c2', '467700', NOW)).maxDurationMs, 48_000); // 0.05 left after the fee
});

test('credit limit counts as money; SS_MAX_CALL_DURATION and the gateway cap bound the grant', () => {
  const b = book({ settings: makeBillingSettings({ maxCallDurationS: 60 }) });
  b.addAccount(customer({ balance: 0n, creditLimit: money('0.1') }));
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g.maxDurationMs, 60_000);
  assert.equal(g.reserved, money('0.06')); // reserves only what the capped call can spend
  const g2 = granted(b.authorize('c1', '447700', NOW, { maxDurationS: 30 }));
  assert.equal(g2.maxDurationMs, 30_000);
  assert.deepEqual(b.availableTime('c1', '447700', NOW), { ok: true, seconds: 10, maxDurationMs: 10_000 });
});

test('the per-account concurrency limit refuses the call over the limit', () => {
  const b = book();
  b.addAccount(customer({ balance: money('100'), maxConcurrent: 2 }));
  b.updateAccount('c1', { locked: undefined, maxConcurrent: undefined });
  assert.equal(b.account('c1')!.maxConcurrent, 2);
  assert.throws(() => b.updateAccount('c1', { creditLimit: -1n }), { code: 'SSW_ERR_BILLING_ACCOUNT' });
  const g = granted(b.authorize('c1', '447700', NOW, { maxDurationS: 60 }));
  granted(b.authorize('c1', '447700', NOW, { maxDurationS: 60 }));
  const r = b.authorize('c1', '447700', NOW, { maxDurationS: 60 });
  assert.equal(r.ok ? 'ok' : r.reason, 'Account concurrency limit');
  b.release(g.reservationId);
  granted(b.authorize('c1', '447700', NOW, { maxDurationS: 60 }));
});

test('unrated calls (occupy) share the concurrency limit with rated calls; lock and expiry refuse them', () => {
  const b = book();
  b.addAccount(customer({ balance: money('100'), maxConcurrent: 2 }));
  const s = b.occupy('c1', NOW);
  assert.ok(s.ok);
  const g = granted(b.authorize('c1', '447700', NOW, { maxDurationS: 60 }));
  assert.equal(b.account('c1')!.activeCalls, 2);
  const over = b.occupy('c1', NOW);
  assert.equal(over.ok ? 'ok' : over.reason, 'Account concurrency limit');
  const rated = b.authorize('c1', '447700', NOW, { maxDurationS: 60 });
  assert.equal(rated.ok ? 'ok' : rated.reason, 'Account concurrency limit', 'an unrated call holds a slot rated calls see');
  assert.equal(b.vacate(s.slot), true);
  assert.equal(b.vacate(s.slot), false, 'a slot is given back once');
  granted(b.authorize('c1', '447700', NOW, { maxDurationS: 60 }));
  b.release(g.reservationId);
  b.updateAccount('c1', { locked: true });
  const locked = b.occupy('c1', NOW);
  assert.equal(locked.ok ? 'ok' : locked.reason, 'Account locked');
  b.updateAccount('c1', { locked: false, expiresAt: NOW });
  const expired = b.occupy('c1', NOW);
  assert.equal(expired.ok ? 'ok' : expired.reason, 'Account expired');
  const missing = b.occupy('nobody', NOW);
  assert.equal(missing.ok ? 'ok' : missing.reason, 'No such account');
});

test('100 parallel calls on a small balance never overspend, and settle to exact totals', () => {
  for (const grantSeconds of [null, 7]) {
    const b = book({ grantSeconds });
    b.addAccount(customer({ balance: money('0.05'), creditLimit: money('0.0234567') }));
    const limit = money('0.05') + money('0.0234567');
    const grants: Grant[] = [];
    for (let i = 0; i < 100; i++) {
      const r = b.authorize('c1', '447700', NOW);
      if (r.ok) grants.push(r);
      else assert.equal(r.reason, 'Insufficient balance');
    }
    const reserved = grants.reduce((s, g) => s + g.reserved, 0n);
    assert.ok(reserved <= limit, `reserved ${reserved} > ${limit}`);
    assert.ok(grants.length >= 1);
    if (grantSeconds !== null) {
      // 0.0734567 buys ten 7-s slices (0.007 each) and one 3-s call on the 0.0034567 left
      assert.equal(grants.length, 11);
      assert.equal(grants[10]!.maxDurationMs, 3000);
    }
    let fees = 0n;
    for (const g of grants) {
      const s = b.settle(g.reservationId, g.maxDurationMs, NOW + g.maxDurationMs);
      assert.ok(s.ok);
      fees += s.rated.fee;
      assert.ok(s.rated.fee <= g.reserved);
    }
    const a = b.account('c1')!;
    assert.equal(a.balance, money('0.05') - fees);
    assert.ok(a.balance >= -money('0.0234567'));
    assert.equal(a.reserved, 0n);
    assert.equal(a.activeCalls, 0);
  }
});

test('slice mode: extend lengthens a grant while money lasts, then says it is final', () => {
  const b = book({ grantSeconds: 30 });
  b.addAccount(customer());
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g.maxDurationMs, 30_000);
  assert.equal(g.extendable, true);
  const other = granted(b.authorize('c1', '447700', NOW));
  const e1 = b.extend(g.reservationId);
  assert.ok(e1.ok);
  assert.equal(e1.maxDurationMs, 60_000);
  const e2 = b.extend(g.reservationId);
  assert.ok(e2.ok);
  assert.equal(e2.maxDurationMs, 70_000); // 0.1 - 0.03 held by the other call
  assert.equal(e2.extendable, false);
  assert.equal(b.account('c1')!.reserved, money('0.1'));
  b.release(other.reservationId);
  const e3 = b.extend(g.reservationId);
  assert.ok(e3.ok && e3.maxDurationMs === 100_000);
  assert.deepEqual(b.extend(999), { ok: false, code: 'SSW_ERR_BILLING_NO_RESERVATION' });
});

test('settle debits the customer, costs the clearing account, keeps the margin; twice is refused', () => {
  const b = book();
  b.addAccount(customer({ balance: money('10') }));
  b.addAccount(customer({ id: 'carrier-a', kind: 'clearing', prepaid: false, balance: money('100'), rateGroup: 'buy', expiresAt: null }));
  const g = granted(b.authorize('c1', '447700', NOW, { maxDurationS: 3600 }));
  const s = b.settle(g.reservationId, 61_500, NOW + 70_000, { accountId: 'carrier-a', callee: '447700' });
  assert.ok(s.ok);
  assert.equal(s.rated.billedSeconds, 62);
  assert.equal(s.rated.fee, money('0.062'));
  assert.equal(s.vendor!.cost, money('0.031'));
  assert.equal(s.margin, money('0.031'));
  assert.equal(b.account('c1')!.balance, money('9.938'));
  assert.equal(b.account('carrier-a')!.balance, money('99.969'));
  assert.equal(s.entry!.reason, 'call');
  assert.deepEqual(b.settle(g.reservationId, 1000, NOW), { ok: false, code: 'SSW_ERR_BILLING_NO_RESERVATION' });
});

test('a rate change at midnight during a call: the row in force at the start rates it all', () => {
  const midnight = Date.parse('2026-01-01T00:00:00Z');
  const b = book();
  b.addAccount(customer({ balance: money('10'), expiresAt: null }));
  const g = granted(b.authorize('c1', '447700', midnight - 30_000, { maxDurationS: 3600 }));
  b.setRateGroup(new RateGroup('sell', [row('44', '0.06'), row('44', '0.6', { effectiveFrom: midnight })]));
  const s = b.settle(g.reservationId, 120_000, midnight + 90_000);
  assert.ok(s.ok && s.rated.fee === money('0.12'));
  const g2 = granted(b.authorize('c1', '447700', midnight + 1, { maxDurationS: 3600 }));
  const s2 = b.settle(g2.reservationId, 120_000, midnight + 121_000);
  assert.ok(s2.ok && s2.rated.fee === money('1.2'));
});

test('packages: free seconds first on listed prefixes, shared between calls, then money', () => {
  const b = book();
  b.addAccount(customer({ packages: [{ id: 'uk30', prefixes: ['44'], freeSeconds: 30, expiresAt: null }] }));
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g.maxDurationMs, 130_000); // 30 free + 100 paid
  assert.equal(g.packageSeconds, 30);
  const other = b.authorize('c1', '447700', NOW); // everything is reserved by the first call
  assert.equal(other.ok ? 'ok' : other.reason, 'Insufficient balance');
  const s = b.settle(g.reservationId, 40_000, NOW + 40_000);
  assert.ok(s.ok);
  assert.equal(s.rated.packageSeconds, 30);
  assert.equal(s.rated.fee, money('0.01'));
  assert.equal(s.entry!.packageId, 'uk30');
  assert.equal(b.account('c1')!.packages[0]!.remainingSeconds, 0);
  const g2 = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g2.packageSeconds, 0);
  assert.equal(g2.maxDurationMs, 90_000);
});

test('postpaid accounts are refused only below the first period and are never cut for money', () => {
  const b = book({ settings: makeBillingSettings({ maxCallDurationS: 7200 }) });
  b.addAccount(customer({ prepaid: false, balance: 0n, creditLimit: money('0.001') }));
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g.maxDurationMs, 7_200_000);
  assert.equal(g.reserved, 0n);
  const s = b.settle(g.reservationId, 600_000, NOW);
  assert.ok(s.ok);
  assert.equal(b.account('c1')!.balance, money('-0.6'));
  const r = b.authorize('c1', '447700', NOW);
  assert.equal(r.ok ? 'ok' : r.reason, 'Insufficient balance');
});

test('recharge adds money and extends expiry by SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY', () => {
  const b = book({ settings: makeBillingSettings({ payDelayExpireDays: 30 }) });
  b.addAccount(customer({ expiresAt: NOW - DAY }));
  assert.equal((b.authorize('c1', '447700', NOW) as { reason: string }).reason, 'Account expired');
  const e = b.recharge('c1', money('5'), NOW, 'bank transfer 123');
  assert.equal(e.reason, 'recharge');
  assert.equal(e.balance, money('5.1'));
  assert.equal(e.expiresAt, NOW + 30 * DAY); // from now, because it had already expired
  b.recharge('c1', money('1'), NOW);
  assert.equal(b.account('c1')!.expiresAt, NOW + 60 * DAY);
  granted(b.authorize('c1', '447700', NOW));
  assert.throws(() => b.recharge('c1', 0n, NOW), { code: 'SSW_ERR_BILLING_AMOUNT' });
  assert.throws(() => b.recharge('nobody', 1n, NOW), { code: 'SSW_ERR_BILLING_NO_ACCOUNT' });
});

test('the sink sees each entry first; a sink that throws leaves the book unchanged', () => {
  const seen: LedgerEntry[] = [];
  let fail = false;
  const b = book({ sink: { onLedgerEntry(e) { if (fail) throw new Error('disk full'); seen.push(e); } } });
  b.addAccount(customer());
  b.recharge('c1', money('1'), NOW);
  fail = true;
  assert.throws(() => b.adjust('c1', money('-0.5'), NOW, 'refund'), /disk full/);
  assert.equal(b.account('c1')!.balance, money('1.1'));
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.throws(() => b.settle(g.reservationId, 10_000, NOW), /disk full/);
  fail = false;
  const s = b.settle(g.reservationId, 10_000, NOW); // the reservation survived the failed write
  assert.ok(s.ok);
  assert.deepEqual(seen, b.ledger('c1'));
  assert.equal(seen.length, 2);
});

test('a cut-off timer set from the grant fires within a second of the limit', async () => {
  const b = book();
  b.addAccount(customer({ balance: money('0.001') })); // one second of talk
  const g = granted(b.authorize('c1', '447700', NOW));
  assert.equal(g.maxDurationMs, 1000);
  const t0 = performance.now();
  const held = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - t0), g.maxDurationMs));
  assert.ok(held >= 999 && held < 2000, `cut after ${held} ms`);
  const s = b.settle(g.reservationId, held, NOW + held);
  assert.ok(s.ok);
  // a timer that fires a few ms late costs at most one more period
  assert.ok(b.account('c1')!.balance >= -money('0.001'));
});

type Op =
  | { k: 'auth'; callee: string; cap: number }
  | { k: 'settle'; pick: number; frac: number }
  | { k: 'release'; pick: number }
  | { k: 'recharge'; amount: bigint }
  | { k: 'adjust'; amount: bigint };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('auth' as const), callee: fc.constantFrom('447700', '4420', '33'), cap: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ k: fc.constant('settle' as const), pick: fc.nat(), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ k: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ k: fc.constant('recharge' as const), amount: fc.bigInt({ min: 1n, max: 10_000_000n }) }),
  fc.record({ k: fc.constant('adjust' as const), amount: fc.bigInt({ min: 1n, max: 1_000_000n }) }),
);

test('property: the ledger audits the balance and reservations never exceed balance + credit', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.bigInt({ min: 0n, max: 1_000_000n }), fc.boolean(), (ops, credit, sliced) => {
    const sunk: LedgerEntry[] = [];
    const b = book({ grantSeconds: sliced ? 20 : null, sink: { onLedgerEntry: (e) => void sunk.push(e) } },
      [row('44', '0.06', { firstPeriod: 6, nextPeriod: 6, connectionFee: money('0.0012345') }), row('442', '0.013', { firstPeriod: 30, nextPeriod: 6 })]);
    b.addAccount(customer({ balance: money('0.05'), creditLimit: credit, packages: [{ id: 'p', prefixes: ['442'], freeSeconds: 45, expiresAt: null }] }));
    const open: Grant[] = [];
    for (const op of ops) {
      if (op.k === 'auth') { const r = b.authorize('c1', op.callee, NOW, { maxDurationS: op.cap }); if (r.ok) open.push(r); }
      else if (op.k === 'settle' && open.length > 0) { const g = open.splice(op.pick % open.length, 1)[0]!; if (!b.settle(g.reservationId, g.maxDurationMs * op.frac, NOW).ok) return false; }
      else if (op.k === 'release' && open.length > 0) b.release(open.splice(op.pick % open.length, 1)[0]!.reservationId);
      else if (op.k === 'recharge') b.recharge('c1', op.amount, NOW);
      else if (op.k === 'adjust') b.adjust('c1', op.amount, NOW, 'goodwill');
      const a = b.account('c1')!;
      if (a.reserved > a.balance + a.creditLimit) return false;
      if (a.balance < -a.creditLimit) return false;
      if (a.packages[0]!.reservedSeconds > a.packages[0]!.remainingSeconds) return false;
    }
    const a = b.account('c1')!;
    const ledger = b.ledger('c1');
    let running = a.opening;
    for (const e of ledger) { running += e.amount; if (e.balance !== running) return false; }
    return running === a.balance && a.reserved === open.reduce((s, g) => s + g.reserved, 0n) && sunk.length === ledger.length;
  }), { numRuns: 300 });
});

test('100 interleaved async calls (authorize, talk, settle) on one balance end at the exact total', async () => {
  const b = book({ grantSeconds: 5 });
  b.addAccount(customer({ balance: money('0.2'), creditLimit: money('0.05') }));
  let refused = 0;
  let peakReserved = 0n;
  const fees: bigint[] = [];
  await Promise.all(Array.from({ length: 100 }, async (_, i) => {
    await new Promise((r) => setTimeout(r, i % 7));
    const g = b.authorize('c1', '447700', NOW);
    if (!g.ok) { refused++; return; }
    const reserved = b.account('c1')!.reserved;
    if (reserved > peakReserved) peakReserved = reserved;
    await new Promise((r) => setTimeout(r, (i * 13) % 11));
    // each call talks a different share of its grant, some to the limit
    const s = b.settle(g.reservationId, (g.maxDurationMs * ((i % 4) + 1)) / 4, NOW);
    assert.ok(s.ok);
    fees.push(s.rated.fee);
  }));
  const a = b.account('c1')!;
  assert.ok(peakReserved <= money('0.25'), `peak reserved ${peakReserved}`);
  assert.ok(refused > 0, 'the small balance refused some calls');
  assert.equal(a.balance, money('0.2') - fees.reduce((x, y) => x + y, 0n));
  assert.ok(a.balance >= -money('0.05'));
  assert.equal(a.reserved, 0n);
  assert.equal(b.ledger('c1').length, fees.filter((f) => f !== 0n).length);
});
