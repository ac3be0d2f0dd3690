import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QualityStats, LineUsage, paramReader } from '../../src/routing/index.js';

// 600 s window in 10 segments of 60 s (the reference defaults).
const P = paramReader();
const MIN = 60_000;

test('ASR is the mean of per-segment ASRs, not the pooled ratio', () => {
  const q = new QualityStats(P);
  // segment 0: 1 of 1 answered; segment 1: 1 of 9 answered. Pooled = 2/10, mean of segments = (1 + 1/9)/2.
  q.recordAttempt(7, 0); q.recordAnswer(7, 0);
  for (let i = 0; i < 9; i++) q.recordAttempt(7, MIN + 1);
  q.recordAnswer(7, MIN + 2);
  assert.ok(Math.abs(q.asr(7, MIN + 3)! - (1 + 1 / 9) / 2) < 1e-12);
  const snap = q.snapshot(7, MIN + 3);
  assert.equal(snap.attempts, 10);
  assert.equal(snap.answers, 2);
});

test('segments older than the window drop out; an empty window has no ASR', () => {
  const q = new QualityStats(P);
  q.recordAttempt(1, 0);
  q.recordAttempt(1, 5 * MIN); q.recordAnswer(1, 5 * MIN);
  assert.equal(q.asr(1, 5 * MIN), 0.5);
  assert.equal(q.asr(1, 10 * MIN), 1, 'segment 0 is out once segment 10 is current');
  assert.equal(q.asr(1, 15 * MIN), null);
  assert.equal(q.asr(2, 0), null, 'unknown gateway');
});

test('ring slots are reused: a slot from a previous lap is reset, not added to', () => {
  const q = new QualityStats(P);
  q.recordAttempt(1, 0); q.recordAnswer(1, 0);
  q.recordAttempt(1, 10 * MIN); // same ring slot as segment 0, one lap later
  assert.equal(q.asr(1, 10 * MIN), 0);
});

test('ACD and PDD use their own windows', () => {
  const q = new QualityStats(paramReader({ SS_GATEWAY_ACD_RESERVE_TIME: 300, SS_GATEWAY_ACD_RESERVE_SEPARATE: 5 }));
  q.recordEnd(3, 30_000, 0);
  q.recordEnd(3, 90_000, 0);
  q.recordEnd(3, 10_000, MIN);
  assert.equal(q.acdMs(3, MIN), (60_000 + 10_000) / 2);
  assert.equal(q.acdMs(3, 5 * MIN), 10_000, '300 s / 5: segment 0 gone at minute 5');
  q.recordPdd(3, 2000, 0); q.recordPdd(3, 4000, 0);
  assert.equal(q.pddMs(3, 0), 3000);
  assert.equal(q.snapshot(3, 0).pddMs, 3000);
});

test('line usage counts per local day', () => {
  const u = new LineUsage(120); // UTC+2
  const t = Date.UTC(2026, 0, 1, 21, 30); // 23:30 local
  u.record(1, t); u.record(1, t);
  assert.equal(u.today(1, t), 2);
  assert.equal(u.today(1, t + 60 * MIN), 0, '00:30 local next day');
  u.record(1, t + 60 * MIN);
  assert.equal(u.today(1, t + 60 * MIN), 1);
});

test('a live change of the ASR window re-cuts it: recent counts kept in the new segments, older ones dropped; other windows untouched', () => {
  const q = new QualityStats(P);
  // Minute 1: 2 of 4 answered; minute 8: 1 of 1 answered; ACD has one 30 s call at minute 8.
  for (let i = 0; i < 4; i++) q.recordAttempt(5, MIN + 1);
  q.recordAnswer(5, MIN + 2); q.recordAnswer(5, MIN + 3);
  q.recordAttempt(5, 8 * MIN); q.recordAnswer(5, 8 * MIN);
  q.recordEnd(5, 30_000, 8 * MIN);
  const now = 8 * MIN + 30_000;
  assert.equal(q.asr(5, now), (0.5 + 1) / 2);
  // Same window, finer segments (30 s): both minutes' counts survive, in the segments holding their midpoints.
  assert.deepEqual(q.reconfigure(paramReader({ SS_GATEWAY_ASR_RESERVE_SEPARATE: 20 }), now), ['asr']);
  assert.equal(q.asr(5, now), (0.5 + 1) / 2);
  assert.deepEqual(q.snapshot(5, now), { asr: 0.75, acdMs: 30_000, pddMs: null, attempts: 5, answers: 3 });
  // A 300 s window (the shortest) ending now holds minutes 4-8: minute 1 drops out.
  assert.deepEqual(q.reconfigure(paramReader({ SS_GATEWAY_ASR_RESERVE_TIME: 300, SS_GATEWAY_ASR_RESERVE_SEPARATE: 5 }), now), ['asr']);
  assert.equal(q.asr(5, now), 1);
  assert.equal(q.snapshot(5, now).attempts, 1);
  assert.deepEqual(q.windows, { asr: [300, 5], acd: [600, 10], pdd: [600, 10] });
  assert.equal(q.acdMs(5, now), 30_000, 'the ACD window did not change and kept its data');
  // Unchanged parameters re-cut nothing.
  assert.deepEqual(q.reconfigure(paramReader({ SS_GATEWAY_ASR_RESERVE_TIME: 300, SS_GATEWAY_ASR_RESERVE_SEPARATE: 5 }), now), []);
});
