// Sliced jobs: runSliced gives the event loop turns while a long job runs and returns what the
// job returns; runSync returns the same; a job's error comes out of both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { SliceClock, runSliced, runSync, type SlicedJob } from '../../src/util/slices.js';

// About `ms` of busy work, yielding every 0.1 ms.
function* busy(ms: number, fail = false): SlicedJob<number> {
  const end = performance.now() + ms;
  let steps = 0;
  while (performance.now() < end) {
    const t = performance.now() + 0.1;
    while (performance.now() < t);
    steps++;
    yield;
  }
  if (fail) throw new Error('job failed');
  return steps;
}

test('runSliced lets timers run between slices; runSync holds the loop; both return the job value', async () => {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 1);
  await new Promise((r) => setTimeout(r, 5));
  ticks = 0;
  const clock = new SliceClock(2);
  const steps = await runSliced(busy(60), clock);
  const slicedTicks = ticks;
  ticks = 0;
  const syncSteps = runSync(busy(30));
  const syncTicks = ticks;
  clearInterval(iv);
  assert.ok(steps > 0 && syncSteps > 0);
  assert.ok(clock.yields >= 10, `yielded ${clock.yields} times over 60 ms of 2 ms slices`);
  assert.ok(slicedTicks >= 5, `a 1 ms timer ran ${slicedTicks} times during the sliced job`);
  assert.equal(syncTicks, 0, 'nothing runs while runSync holds the loop');
});

test('a job that throws rejects runSliced and throws from runSync', async () => {
  await assert.rejects(runSliced(busy(5, true)), /job failed/);
  assert.throws(() => runSync(busy(1, true)), /job failed/);
});
