import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RoutingTable, QualityStats, LineUsage, Limiter, GatewayHealth, paramReader, formatExplain,
  type RouteContext, type RoutingGatewayPolicy, type RoutingState,
} from '../../src/routing/index.js';
import { gw, mgw } from './helpers.js';

const NOW_WALL = Date.UTC(2026, 10, 25, 12, 0); // a Wednesday, 12:00 UTC
const ctx = (over: Partial<RouteContext> = {}): RouteContext => ({ mapping: mgw(), callee: '442071234567', nowWall: NOW_WALL, nowMono: 1_000_000, ...over });
const order = (gws: RoutingGatewayPolicy[], c: RouteContext, s: RoutingState) => RoutingTable.build(gws).route(c, s).candidates.map((x) => x.gateway.id);
const P = paramReader();

test('step 1: the mapping gateway strategy decides a tie', () => {
  const gws = [gw(1, { groups: ['silver'] }), gw(2, { groups: ['gold'] }), gw(3, { groups: ['other'] })];
  const m = mgw({ strategy: { first: ['gold'], second: ['silver'] } });
  assert.deepEqual(order(gws, ctx({ mapping: m }), { params: P }), [2, 1, 3]);
  assert.deepEqual(order(gws, ctx(), { params: P }), [1, 2, 3], 'no strategy: falls through to id');
});

test('step 2: the longest prefix decides, over lower priority and id', () => {
  const gws = [gw(1, { prefixes: ['44'] }), gw(2, { prefixes: ['4420'], priority: 9 }), gw(3, { prefixes: ['4', '44207'], priority: 9 })];
  assert.deepEqual(order(gws, ctx(), { params: P }), [3, 2, 1]);
});

test('step 3: prefix priority decides within the same prefix length', () => {
  const gws = [gw(1, { prefixPriority: 5 }), gw(2, { prefixPriority: 1, priority: 3 })];
  assert.deepEqual(order(gws, ctx(), { params: P }), [2, 1]);
});

test('step 4: gateway priority (lower first) decides over ASR', () => {
  const q = new QualityStats(P);
  for (let i = 0; i < 10; i++) { q.recordAttempt(1, 999_000); q.recordAnswer(1, 999_000); q.recordAttempt(2, 999_000); }
  const gws = [gw(1, { priority: 2 }), gw(2, { priority: 1 })];
  assert.deepEqual(order(gws, ctx(), { params: paramReader({ SS_GATEWAY_ASR_CALCULATE: true }), quality: q }), [2, 1]);
});

function asrAndUsage() {
  const q = new QualityStats(P);
  const u = new LineUsage();
  for (let i = 0; i < 10; i++) { q.recordAttempt(1, 999_000); q.recordAttempt(2, 999_000); q.recordAttempt(3, 999_000); }
  for (let i = 0; i < 9; i++) q.recordAnswer(1, 999_000); // gw1 ASR 0.9
  for (let i = 0; i < 2; i++) q.recordAnswer(2, 999_000); // gw2 ASR 0.2, gw3 ASR 0
  for (let i = 0; i < 5; i++) u.record(1, NOW_WALL);
  u.record(3, NOW_WALL);
  return { q, u };
}

test('step 5: ASR (higher first) decides; unknown ASR sorts last', () => {
  const { q, u } = asrAndUsage();
  const gws = [gw(4), gw(3), gw(2), gw(1)];
  const s = { params: paramReader({ SS_GATEWAY_ASR_CALCULATE: true }), quality: q, usage: u };
  assert.deepEqual(order(gws, ctx(), s), [1, 2, 3, 4]);
  const off = { params: P, quality: q, usage: u };
  assert.deepEqual(order(gws, ctx(), off), [2, 4, 3, 1], 'ASR off: line usage then id');
});

test('step 5 placement: SS_GATEWAYASRROUTESORTCONFIG before gateway id puts line usage first', () => {
  const { q, u } = asrAndUsage();
  const s = { params: paramReader({ SS_GATEWAY_ASR_CALCULATE: true, SS_GATEWAYASRROUTESORTCONFIG: 'before gateway id' }), quality: q, usage: u };
  const r = RoutingTable.build([gw(1), gw(2), gw(3)]).route(ctx(), s);
  assert.deepEqual(r.steps, ['strategy', 'prefixLength', 'prefixPriority', 'priority', 'lineUsage', 'asr', 'id']);
  assert.deepEqual(r.candidates.map((c) => c.gateway.id), [2, 3, 1]);
});

test('step 5: rate (cheapest first) and SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR', () => {
  const { q } = asrAndUsage();
  const rates: Record<number, number> = { 1: 30_000, 2: 10_000, 3: 20_000 };
  const c = ctx({ mapping: mgw({ leastCostRouting: true }), vendorRate: (id) => rates[id] ?? null });
  const gws = [gw(1), gw(2), gw(3)];
  assert.deepEqual(order(gws, c, { params: P }), [2, 3, 1], 'rate alone');
  const asrFirst = paramReader({ SS_GATEWAY_ASR_CALCULATE: true });
  assert.deepEqual(order(gws, c, { params: asrFirst, quality: q }), [1, 2, 3], 'ASR before rate by default');
  const rateFirst = paramReader({ SS_GATEWAY_ASR_CALCULATE: true, SS_GATEWAY_FEE_RATE_ROUTE_BEFORE_ASR: true });
  assert.deepEqual(order(gws, c, { params: rateFirst, quality: q }), [2, 3, 1]);
  assert.deepEqual(RoutingTable.build(gws).route(c, { params: rateFirst, quality: q }).steps.slice(4, 6), ['rate', 'asr']);
});

test("step 6: today's line usage decides (fewer calls first); step 7: id", () => {
  const u = new LineUsage();
  u.record(1, NOW_WALL); u.record(1, NOW_WALL); u.record(2, NOW_WALL);
  u.record(3, NOW_WALL - 86_400_000 * 2); // two days ago: not today
  assert.deepEqual(order([gw(1), gw(2), gw(3)], ctx(), { params: P, usage: u }), [3, 2, 1]);
  assert.deepEqual(order([gw(9), gw(5), gw(7)], ctx(), { params: P }), [5, 7, 9]);
});

test('filters: each reason is reported and the gateway is not offered', () => {
  const lim = new Limiter();
  const health = new GatewayHealth();
  health.report(5, false, 0);
  assert.equal(lim.tryAcquire('routing', 6, { capacity: 1, cps: 0 }, 1_000_000), 'ok');
  assert.equal(lim.tryAcquire('routing', 7, { capacity: 0, cps: 1 }, 1_000_000), 'ok');
  const gws = [
    gw(1, { locked: true }),
    gw(2, { groups: ['bad'] }),
    gw(3),
    gw(4, { schedules: [{ mode: 'deny', prefixes: ['44'], weekdays: [3], fromMinute: 11 * 60, toMinute: 13 * 60 }] }),
    gw(5),
    gw(6, { capacity: 1 }),
    gw(7, { cps: 1 }),
    gw(8, { maxRate: 10_000 }),
    gw(9, { minProfitPercent: 20 }),
    gw(10, { requireRate: true }),
    gw(11, { groups: ['ok'] }),
  ];
  const rates: Record<number, number> = { 8: 20_000, 9: 90_000, 11: 1 };
  const c = ctx({ mapping: mgw({ denyGroups: ['bad'], allowGroups: ['ok', 'bad'] }), vendorRate: (id) => rates[id] ?? null, customerRate: 100_000 });
  // every gateway but 2 (denied group) and 3 (no group) sits in an allowed group
  const gws2 = gws.map((g) => (g.id === 3 ? gw(3, { groups: [] }) : g.id === 2 ? g : { ...g, groups: ['ok'] }));
  const r = RoutingTable.build(gws2).route(c, { params: P, limiter: lim, health });
  const why = Object.fromEntries(r.considered.map((x) => [x.gateway.id, x.filtered]));
  assert.deepEqual(why, {
    1: 'locked', 2: 'group-not-allowed', 3: 'group-not-allowed', 4: 'schedule-deny', 5: 'down', 6: 'capacity-full',
    7: 'cps-exceeded', 8: 'max-rate', 9: 'min-profit', 10: 'no-rate', 11: null,
  });
  assert.deepEqual(r.candidates.map((x) => x.gateway.id), [11]);
  assert.match(formatExplain(r), /skip\(min-profit\) gw9/);
  assert.match(formatExplain(r), /#1 gw11 \(id 11\)/);
});

test('schedules: outside an allow window the gateway is denied; windows wrap midnight', () => {
  const allowNight = { mode: 'allow' as const, prefixes: [], weekdays: [], fromMinute: 22 * 60, toMinute: 6 * 60 };
  const g = [gw(1, { schedules: [allowNight] }), gw(2)];
  assert.deepEqual(order(g, ctx(), { params: P }), [2]);
  assert.deepEqual(order(g, ctx({ nowWall: Date.UTC(2026, 10, 25, 23, 30) }), { params: P }), [1, 2]);
  assert.deepEqual(order([gw(1, { schedules: [allowNight], utcOffsetMinutes: 11 * 60 })], ctx(), { params: P }), [1], '12:00 UTC = 23:00 at +11:00');
});

test('no match, all filtered, or a locked customer: no candidates and an end reason', () => {
  const t = RoutingTable.build([gw(1, { prefixes: ['1'] }), gw(2, { prefixes: ['44'], locked: true })]);
  const none = t.route(ctx({ callee: '86123' }), { params: P });
  assert.equal(none.endReason, 'no-available-router');
  assert.equal(none.considered.length, 0);
  const filtered = t.route(ctx(), { params: P });
  assert.equal(filtered.endReason, 'no-available-router');
  assert.equal(filtered.considered.length, 1);
  assert.equal(t.route(ctx({ mapping: mgw({ locked: true }) }), { params: P }).endReason, 'customer-locked');
});

test('a gateway listed under several matching prefixes appears once, at its longest', () => {
  const r = RoutingTable.build([gw(1, { prefixes: ['4', '44', '*'] })]).route(ctx(), { params: P });
  assert.equal(r.considered.length, 1);
  assert.equal(r.considered[0]!.prefix, '44');
  assert.equal(r.candidates[0]!.keys.prefixLength, 2);
});

test('any number of gateways may share one prefix (more than the trie\'s 63 values per prefix)', () => {
  const many = Array.from({ length: 200 }, (_, i) => gw(1000 - i, { prefixes: ['44'] }));
  const ids = RoutingTable.build(many).route(ctx(), { params: P }).candidates.map((c) => c.gateway.id);
  assert.equal(ids.length, 200);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
});

test('duplicate gateway ids are a configuration error', () => {
  assert.throws(() => RoutingTable.build([gw(1), gw(1)]), { code: 'SSW_ERR_ROUTING_DUPLICATE_GATEWAY' });
});

test('property: candidate order never depends on insertion order', () => {
  const gwArb = fc.record({
    prefix: fc.constantFrom('', '4', '44', '442', '4420', '1'),
    pp: fc.integer({ min: 0, max: 2 }),
    pr: fc.integer({ min: 0, max: 2 }),
    group: fc.constantFrom('gold', 'silver', 'none'),
    rate: fc.option(fc.integer({ min: 1, max: 3 })),
    usage: fc.integer({ min: 0, max: 2 }),
  });
  fc.assert(
    fc.property(fc.array(gwArb, { minLength: 1, maxLength: 12 }), fc.integer(), (specs, seed) => {
      const gws = specs.map((s, i) => gw(100 - i, { prefixes: [s.prefix], prefixPriority: s.pp, priority: s.pr, groups: [s.group] }));
      const u = new LineUsage();
      specs.forEach((s, i) => { for (let k = 0; k < s.usage; k++) u.record(100 - i, NOW_WALL); });
      const rates = new Map(specs.map((s, i) => [100 - i, s.rate]));
      const c = ctx({ mapping: mgw({ strategy: { first: ['gold'], second: ['silver'] }, leastCostRouting: true }), vendorRate: (id) => rates.get(id) ?? null });
      const shuffled = [...gws];
      let x = seed >>> 0;
      for (let i = shuffled.length - 1; i > 0; i--) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; const j = x % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
      assert.deepEqual(order(shuffled, c, { params: P, usage: u }), order(gws, c, { params: P, usage: u }));
    }),
    { numRuns: 150 },
  );
});

test('prefix mode: after an offered terminating gateway, shorter prefixes are dropped (VOS3000 "terminate")', () => {
  const callee = '90080001';
  const a = gw(1, { prefixes: ['9008'], prefixStyle: 'terminating' });
  const b = gw(2, { prefixes: ['9008'] });
  const c = gw(3, { prefixes: ['900'] });
  const d = gw(4, { prefixes: ['90'] });
  const r = RoutingTable.build([d, c, b, a]).route(ctx({ callee }), { params: P });
  assert.deepEqual(r.candidates.map((x) => x.gateway.id), [1, 2], 'the same prefix length still follows, shorter ones do not');
  assert.deepEqual(r.considered.filter((x) => x.filtered === 'prefix-terminated').map((x) => x.gateway.id), [3, 4]);
  assert.match(formatExplain(r), /prefix-terminated/);
  // The default, continuation ("carry through"): every shorter prefix follows.
  const open = RoutingTable.build([d, c, b, gw(1, { prefixes: ['9008'] })]).route(ctx({ callee }), { params: P });
  assert.deepEqual(open.candidates.map((x) => x.gateway.id), [1, 2, 3, 4]);
  // A terminating gateway in the middle cuts only what sorts after it and is shorter than its prefix.
  const mid = RoutingTable.build([gw(1, { prefixes: ['9008'] }), gw(3, { prefixes: ['900'], prefixStyle: 'terminating' }), d]).route(ctx({ callee }), { params: P });
  assert.deepEqual(mid.candidates.map((x) => x.gateway.id), [1, 3]);
});

test('prefix mode: a terminating gateway that is filtered out cuts nothing; one sorted later by strategy cuts only what follows it', () => {
  const callee = '90080001';
  const locked = RoutingTable.build([gw(1, { prefixes: ['9008'], prefixStyle: 'terminating', locked: true }), gw(3, { prefixes: ['900'] })]).route(ctx({ callee }), { params: P });
  assert.deepEqual(locked.candidates.map((x) => x.gateway.id), [3]);
  // gw 5 (shorter prefix) sorts first by strategy, before the terminating gateway: it stays.
  const m = mgw({ strategy: { first: ['gold'], second: [] } });
  const gws = [gw(5, { prefixes: ['90'], groups: ['gold'] }), gw(1, { prefixes: ['9008'], prefixStyle: 'terminating' }), gw(3, { prefixes: ['900'] })];
  assert.deepEqual(order(gws, ctx({ callee, mapping: m }), { params: P }), [5, 1]);
});
