// The routing fields of network.yaml as the engine uses them, seen through explain (the same code
// path as real calls): strategy, least-cost order by the clearing account's rate, max rate,
// minimum profit against the customer's rate, schedules in SSW_TIME_ZONE, required rates, and
// error-code replacement; plus the account's expiry and the loader's checks of the new fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';
import { NetworkPolicy, type CallRecord } from '../../src/call/index.js';
import { openEngines, type Engines } from '../../src/engines.js';
import { isSswError } from '../../src/util/errors.js';

const RATE = (prefix: string, rate: string) => `${prefix},X,international,${rate},60,60,0,,2020-01-01T00:00:00Z,0\n`;
const NETWORK = {
  accounts: [
    { id: 'cust', rateGroup: 'sell', prepaid: false, balance: '10' },
    { id: 'v1', kind: 'clearing', rateGroup: 'buy1', prepaid: false },
    { id: 'v2', kind: 'clearing', rateGroup: 'buy2', prepaid: false },
    { id: 'old', prepaid: false, expiresAt: '2020-01-01T00:00:00Z' },
    { id: 'one', prepaid: false, capacity: 1 },
  ],
  mappingGateways: [
    {
      name: 'm1', remoteIps: ['127.0.0.151'], account: 'cust', leastCostRouting: true, strategy: { first: ['pref'] },
      errorCodes: { 'no-available-router': 480 }, carrierCodes: [{ code: 503, send: 486 }],
    },
    { name: 'm-old', remoteIps: ['127.0.0.152'], account: 'old' },
    { name: 'm-one', remoteIps: ['127.0.0.153'], account: 'one' },
  ],
  routingGateways: [
    { name: 'a-low-profit', id: 1, address: '127.0.0.160', prefixes: ['44'], account: 'v1', minProfitPercent: 10 },
    { name: 'b-over-max', id: 2, address: '127.0.0.160', prefixes: ['44'], account: 'v2', maxRate: '0.04' },
    { name: 'c-cheap', id: 3, address: '127.0.0.160', prefixes: ['44'], account: 'v2' },
    { name: 'd-dear', id: 4, address: '127.0.0.160', prefixes: ['44'], account: 'v1' },
    { name: 'e-preferred', id: 5, address: '127.0.0.160', prefixes: ['44'], groups: ['pref'] },
    { name: 'f-nights-off', id: 6, address: '127.0.0.160', prefixes: ['44'], account: 'v2', schedules: [{ mode: 'deny', prefixes: ['44'], from: '22:00', to: '06:00' }] },
    { name: 'g-needs-rate', id: 7, address: '127.0.0.160', prefixes: ['44'], requireRate: true },
    { name: 'h-weekdays-only', id: 8, address: '127.0.0.160', prefixes: ['4420'], account: 'v2', schedules: [{ mode: 'allow', weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] }] },
  ],
};

let dir: string;
let cfg: LoadedConfig;
let engines: Engines;
let policy: NetworkPolicy;

// Wednesday 2026-11-25: 14:00 UTC is 23:00 in Tokyo (night), 03:00 UTC is 12:00 there.
const NIGHT_TOKYO = Date.parse('2026-11-25T14:00:00Z');
const NOON_TOKYO = Date.parse('2026-11-25T03:00:00Z');
const SATURDAY = Date.parse('2026-11-28T03:00:00Z');

before(async () => {
  dir = writeNetworkConfig({
    ip: '127.0.0.150', network: NETWORK,
    rates: { sell: RATE('44', '0.10'), buy1: RATE('44', '0.095'), buy2: RATE('44', '0.05') },
  });
  writeFileSync(join(dir, 'params.yaml'), stringify({ SSW_TIME_ZONE: 'Asia/Tokyo' }));
  cfg = loadConfig(dir, { env: {} });
  engines = await openEngines(cfg);
  policy = new NetworkPolicy(cfg, { book: engines.book, settings: engines.settings, cdr: null });
});

after(async () => {
  policy.close();
  await engines.close(0);
  rmSync(dir, { recursive: true, force: true });
});

function explain(number: string, at: number) {
  const ingress = cfg.network.mappingGateways.find((m) => m.name === 'm1')!;
  const r = policy.explain({ ingress, callee: { received: number, billed: number, sent: '' }, params: cfg.paramSet }, at);
  return {
    order: r.candidates.map((c) => c.gateway.name),
    filtered: Object.fromEntries(r.considered.filter((c) => c.filtered !== null).map((c) => [c.gateway.name, c.filtered])),
    rates: Object.fromEntries(r.candidates.map((c) => [c.gateway.name, c.vendorRate])),
    r,
  };
}

test('the new fields load with their defaults and in engine form', () => {
  const m = cfg.network.mappingGateways[0]!;
  assert.deepEqual(m.strategy, { first: ['pref'], second: [] });
  assert.equal(m.errorCodes['no-available-router'], 480);
  assert.equal(m.errorCodes['user-busy'], 0);
  const f = cfg.network.routingGateways.find((g) => g.name === 'f-nights-off')!;
  assert.deepEqual(f.schedules, [{ mode: 'deny', prefixes: ['44'], weekdays: [], from: '22:00', to: '06:00' }]);
  assert.equal(f.requireRate, false);
  assert.equal(f.switchAfterBusy, undefined, 'tri-state switches stay absent: the parameter decides');
  assert.equal(cfg.network.accounts.find((a) => a.id === 'v1')!.kind, 'clearing');
  assert.equal(cfg.network.accounts.find((a) => a.id === 'cust')!.expiresAt, '');
});

test('strategy first, then least cost by the clearing account\'s rate; max rate, min profit and required rate filter', () => {
  const e = explain('44123', NOON_TOKYO);
  assert.deepEqual(e.order, ['e-preferred', 'c-cheap', 'f-nights-off', 'd-dear']);
  assert.deepEqual(e.rates, { 'e-preferred': null, 'c-cheap': 500_000, 'f-nights-off': 500_000, 'd-dear': 950_000 }, 'vendor rates in 1e-7 units per minute');
  assert.deepEqual(e.filtered, { 'a-low-profit': 'min-profit', 'b-over-max': 'max-rate', 'g-needs-rate': 'no-rate' });
  assert.ok(e.r.steps.includes('rate'), 'leastCostRouting puts the rate step in the sort');
});

test('a deny schedule is evaluated in SSW_TIME_ZONE (23:00 in Tokyo is 14:00 UTC)', () => {
  const night = explain('44123', NIGHT_TOKYO);
  assert.equal(night.filtered['f-nights-off'], 'schedule-deny');
  assert.ok(!night.order.includes('f-nights-off'));
  assert.ok(explain('44123', NOON_TOKYO).order.includes('f-nights-off'));
});

test('an allow schedule on weekdays: offered on Wednesday, filtered on Saturday', () => {
  assert.equal(explain('4420123', NOON_TOKYO).order[1], 'h-weekdays-only', 'longest prefix 4420 right after the strategy step');
  assert.equal(explain('4420123', SATURDAY).filtered['h-weekdays-only'], 'schedule-deny');
});

test('error-code replacement: by reason, and by the carrier\'s own code', () => {
  const call = { ingress: cfg.network.mappingGateways[0]!, attempts: [] } as unknown as CallRecord;
  assert.deepEqual(policy.failureStatus(call, 'no-route', 0), { status: 480, reason: 'No Available Router' });
  assert.deepEqual(policy.failureStatus(call, 'callee-failure', 503), { status: 486 });
  assert.deepEqual(policy.failureStatus(call, 'callee-failure', 502), { status: 502 }, 'a code not listed passes through');
});

test('an expired account is refused with "Account expired"', () => {
  const ingress = cfg.network.mappingGateways.find((m) => m.name === 'm-old')!;
  const call = { ingress, callee: { received: '44', billed: '44', sent: '' }, startWall: Date.now(), ext: {} } as unknown as CallRecord;
  const r = policy.authorize(call);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.text, 'Account expired');
});

test('an unrated account\'s concurrent-call limit holds, and a call that ends gives its slot back', () => {
  const ingress = cfg.network.mappingGateways.find((m) => m.name === 'm-one')!;
  const mk = () => ({
    flowNo: 'f', ingress, source: { address: '127.0.0.153', port: 5060 }, callee: { received: '44', billed: '44', sent: '' }, caller: { received: '1', billed: '1', sent: '' },
    startWall: Date.now(), endWall: Date.now(), ext: {}, attempts: [], answerMono: 0, endMono: 0, endDirection: 0, params: cfg.paramSet,
  }) as unknown as CallRecord;
  const first = mk();
  assert.equal(policy.authorize(first).ok, true);
  const second = policy.authorize(mk());
  assert.equal(!second.ok && second.text, 'Account concurrency limit');
  policy.callEnded(first);
  assert.equal(policy.authorize(mk()).ok, true);
});

test('the loader names bad values of the new fields', () => {
  const bad = writeNetworkConfig({
    ip: '127.0.0.150',
    network: {
      accounts: [{ id: 'a', expiresAt: 'tomorrow', kind: 'vendor' }],
      mappingGateways: [{ name: 'm', remoteIps: ['127.0.0.151'], account: 'a', errorCodes: { 'user-busy': 200 }, carrierCodes: [{ code: 503, send: 99 }] }],
      routingGateways: [{
        name: 'r', address: '127.0.0.160', prefixes: ['1'], account: 'nobody', maxRate: 0.5, minProfitPercent: 120,
        schedules: [{ mode: 'sometimes', weekdays: ['funday'], from: '25:00' }],
      }],
    },
  });
  try {
    assert.throws(() => loadConfig(bad, { env: {} }), (err: unknown) => {
      assert.ok(isSswError(err));
      const m = err.message;
      for (const s of ['accounts[0].expiresAt', 'accounts[0].kind', 'errorCodes.user-busy', 'carrierCodes[0].send', 'routingGateways[0].account',
        'maxRate', 'minProfitPercent', 'schedules[0].mode', 'schedules[0].weekdays[0]', 'schedules[0].from']) assert.ok(m.includes(s), `names ${s}: ${m}`);
      return true;
    });
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
