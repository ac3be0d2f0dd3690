import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../src/sip/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('timers fire after their delay, in order, never early', async () => {
  const w = new TimerWheel(5);
  w.start();
  const t0 = performance.now();
  const fired: Array<[number, number]> = [];
  for (const d of [60, 10, 30, 0]) w.schedule(d, (x: number) => fired.push([x, performance.now() - t0]), d);
  await sleep(120);
  w.stop();
  assert.deepEqual(fired.map((f) => f[0]), [0, 10, 30, 60]);
  for (const [d, at] of fired) assert.ok(at >= d - 1, `timer ${d} fired at ${at}`);
  assert.equal(w.size, 0);
});

test('cancel removes a timer (also from the middle of a slot), and is idempotent', async () => {
  const w = new TimerWheel(5);
  w.start();
  const fired: number[] = [];
  const ts = [1, 2, 3, 4].map((i) => w.schedule(20, (x: number) => fired.push(x), i));
  w.cancel(ts[1]);
  w.cancel(ts[1]);
  w.cancel(ts[3]);
  assert.equal(w.size, 2);
  await sleep(60);
  w.stop();
  assert.deepEqual(fired.sort(), [1, 3]);
});

test('timers beyond one turn of the wheel wait their full delay', async () => {
  const w = new TimerWheel(1); // 4096 slots of 1 ms: one turn is ~4.1 s
  let fired = 0;
  w.schedule(4200, () => fired++, null);
  w.start();
  await sleep(50);
  assert.equal(fired, 0);
  w.stop();
  assert.equal(w.size, 1);
});

test('a throwing callback does not stop the others', async () => {
  const w = new TimerWheel(5);
  w.start();
  let ok = 0;
  w.schedule(5, () => { throw new Error('boom'); }, null);
  w.schedule(5, () => ok++, null);
  await sleep(40);
  w.stop();
  assert.equal(ok, 1);
});

test('100,000 live timers schedule and cancel quickly', () => {
  const w = new TimerWheel(10);
  const ts = [];
  for (let i = 0; i < 100_000; i++) ts.push(w.schedule(500 + (i % 30_000), () => {}, i));
  assert.equal(w.size, 100_000);
  for (const t of ts) w.cancel(t);
  assert.equal(w.size, 0);
});
