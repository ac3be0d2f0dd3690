import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, GatewayHealth, admitCall, type HealthChange } from '../../src/routing/index.js';
import { mgw } from './helpers.js';

test('capacity: slots are taken and released', () => {
  const l = new Limiter();
  const lim = { capacity: 2, cps: 0 };
  assert.equal(l.tryAcquire('routing', 1, lim, 0), 'ok');
  assert.equal(l.tryAcquire('routing', 1, lim, 0), 'ok');
  assert.equal(l.tryAcquire('routing', 1, lim, 0), 'capacity-full');
  assert.equal(l.active('routing', 1), 2);
  l.release('routing', 1);
  assert.equal(l.check('routing', 1, lim, 0), 'ok');
  assert.equal(l.tryAcquire('mapping', 1, lim, 0), 'ok', 'mapping and routing keys are separate');
});

test('token bucket: burst of cps, then refill at cps per second', () => {
  const l = new Limiter();
  const lim = { capacity: 0, cps: 5 };
  for (let i = 0; i < 5; i++) assert.equal(l.tryAcquire('routing', 9, lim, 1000), 'ok');
  assert.equal(l.tryAcquire('routing', 9, lim, 1000), 'cps-exceeded');
  assert.equal(l.tryAcquire('routing', 9, lim, 1199), 'cps-exceeded', '199 ms refills 0.995 token');
  assert.equal(l.tryAcquire('routing', 9, lim, 1200), 'ok', '200 ms refills one token');
  assert.equal(l.tryAcquire('routing', 9, lim, 1200), 'cps-exceeded');
  // after a long idle the bucket holds at most cps tokens
  let ok = 0;
  for (let i = 0; i < 20; i++) if (l.tryAcquire('routing', 9, lim, 100_000) === 'ok') ok++;
  assert.equal(ok, 5);
});

test('check does not consume; a refused acquire takes nothing', () => {
  const l = new Limiter();
  const lim = { capacity: 1, cps: 1 };
  assert.equal(l.check('routing', 2, lim, 0), 'ok');
  assert.equal(l.check('routing', 2, lim, 0), 'ok');
  assert.equal(l.tryAcquire('routing', 2, lim, 0), 'ok');
  assert.equal(l.tryAcquire('routing', 2, lim, 5000), 'capacity-full');
  l.release('routing', 2);
  assert.equal(l.tryAcquire('routing', 2, lim, 5000), 'ok', 'the refused attempt spent no token');
});

test('admitCall refuses a full customer with 486 (capacity) or 503 (CPS), replaceable', () => {
  const l = new Limiter();
  const m = mgw({ capacity: 1, cps: 0 });
  assert.equal(admitCall(m, l, 0), null);
  assert.deepEqual(admitCall(m, l, 0), { reason: 'customer-capacity-full', sipCode: 486, remoteCode: null });
  const c = mgw({ name: 'c2', cps: 1, errorCodes: { 'customer-cps-exceeded': 480 } });
  assert.equal(admitCall(c, l, 0), null);
  assert.deepEqual(admitCall(c, l, 0), { reason: 'customer-cps-exceeded', sipCode: 480, remoteCode: null });
  assert.equal(admitCall(mgw({ locked: true }), l, 0)?.reason, 'customer-locked');
});

test('gateway health flips after the configured streaks and reports each change once', () => {
  const changes: HealthChange[] = [];
  const h = new GatewayHealth((c) => changes.push(c), { downAfter: 2, upAfter: 2 });
  assert.equal(h.isUp(4), true);
  h.report(4, false, 1);
  assert.equal(h.isUp(4), true);
  h.report(4, false, 2);
  h.report(4, false, 3);
  assert.equal(h.isUp(4), false);
  h.report(4, true, 4);
  assert.equal(h.isUp(4), false);
  h.report(4, true, 5);
  assert.equal(h.isUp(4), true);
  assert.deepEqual(changes, [{ gatewayId: 4, up: false, at: 2 }, { gatewayId: 4, up: true, at: 5 }]);
});
