// route() per second on 1,000 routing gateways (3-8 prefixes each, 5 groups), with live quality,
// line usage, limits and health in play, against a baseline in the same run: the same selection
// and seven-step sort done by a linear scan of every gateway's prefixes (what a plain
// implementation would do).   node dist/bench/routing.bench.js
import { performance } from 'node:perf_hooks';
import {
  RoutingTable, QualityStats, LineUsage, Limiter, GatewayHealth, paramReader, withMappingDefaults, withRoutingDefaults,
  type RouteContext, type RoutingGatewayPolicy,
} from '../src/routing/index.js';

const GATEWAYS = 1000;
const CALLS = 5_000;
const ROUNDS = 5;
const COUNTRY = ['1', '44', '49', '33', '86', '91', '7', '55', '61', '81'];

let x = 7;
const rnd = (n: number) => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x % n; };

const gateways: RoutingGatewayPolicy[] = [];
for (let id = 1; id <= GATEWAYS; id++) {
  const prefixes: string[] = [];
  const k = 3 + rnd(6);
  for (let j = 0; j < k; j++) prefixes.push(COUNTRY[rnd(COUNTRY.length)]! + String(rnd(1000)).slice(0, rnd(4)));
  gateways.push(withRoutingDefaults({
    name: `carrier-${id}`, id, address: '10.0.0.1', port: 5060, transport: 'udp', localIp: '', prefixes,
    prefixPriority: rnd(3), priority: rnd(5), weight: 1, groups: [`g${id % 5}`], locked: rnd(50) === 0,
    capacity: 100, cps: 50, calleeRules: [], callerRules: [],
    timeouts: { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 }, probeSeconds: 0,
  }));
}
const mapping = withMappingDefaults({
  name: 'cust', remoteIps: [], account: 'a', locked: false, capacity: 0, cps: 0, allowGroups: [], denyGroups: ['g4'],
  calleeRules: [], callerRules: [], strategy: { first: ['g1'], second: ['g2'] },
});
const params = paramReader({ SS_GATEWAY_ASR_CALCULATE: true });
const quality = new QualityStats(params);
const usage = new LineUsage();
const limiter = new Limiter();
const health = new GatewayHealth();
for (const g of gateways) {
  for (let i = 0; i < 20; i++) { quality.recordAttempt(g.id, 0); if (rnd(2)) quality.recordAnswer(g.id, 0); }
  for (let i = rnd(10); i > 0; i--) usage.record(g.id, 0);
  if (rnd(100) === 0) health.report(g.id, false, 0);
}
const state = { params, quality, usage, limiter, health };
const callees = Array.from({ length: CALLS }, () => COUNTRY[rnd(COUNTRY.length)]! + String(100_000_000 + rnd(899_999_999)));

const table = RoutingTable.build(gateways);
const ctx = (callee: string): RouteContext => ({ mapping, callee, nowWall: 0, nowMono: 1000 });

// Baseline: scan every gateway's prefixes, keep each gateway's longest match, filter and sort by
// the same keys with one comparator.
function scanOrder(callee: string): number[] {
  const found: { g: RoutingGatewayPolicy; len: number }[] = [];
  for (const g of gateways) {
    let best = -1;
    for (const p of g.prefixes) if (p.length > best && callee.startsWith(p)) best = p.length;
    if (best < 0 || g.locked || mapping.denyGroups.some((d) => g.groups.includes(d)) || !health.isUp(g.id)) continue;
    if (limiter.check('routing', g.id, g, 1000) !== 'ok') continue;
    found.push({ g, len: best });
  }
  const rank = (g: RoutingGatewayPolicy) => (g.groups.some((y) => mapping.strategy.first.includes(y)) ? 0 : g.groups.some((y) => mapping.strategy.second.includes(y)) ? 1 : 2);
  found.sort((a, b) => rank(a.g) - rank(b.g) || b.len - a.len || a.g.prefixPriority - b.g.prefixPriority || a.g.priority - b.g.priority
    || (quality.asr(b.g.id, 1000) ?? -1) - (quality.asr(a.g.id, 1000) ?? -1) || usage.today(a.g.id, 0) - usage.today(b.g.id, 0) || a.g.id - b.g.id);
  return found.map((f) => f.g.id);
}
const scanRoute = (callee: string) => scanOrder(callee).length;

// Both paths must pick the same order (the baseline is a correctness oracle too).
for (const c of callees.slice(0, 200)) {
  const a = table.route(ctx(c), state).candidates.map((x) => x.gateway.id).join();
  if (a !== scanOrder(c).join()) throw new Error(`candidate order differs for ${c}`);
}

const rate = (fn: (c: string) => number) => { const t0 = performance.now(); let s = 0; for (const c of callees) s += fn(c); const ms = performance.now() - t0; return { ops: (CALLS / ms) * 1000, s }; };
const ours: number[] = [], base: number[] = [];
let cands = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = rate((c) => table.route(ctx(c), state).candidates.length);
  const b = rate(scanRoute);
  ours.push(a.ops); base.push(b.ops); cands = a.s;
}
const st = (v: number[]) => { const s = [...v].sort((p, q) => p - q); return { med: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! }; };
const o = st(ours), b = st(base);
console.log(`${GATEWAYS} gateways, ${table.gateways.reduce((n, g) => n + g.prefixes.length, 0)} prefixes, ${(cands / CALLS).toFixed(1)} candidates per call on average`);
console.log(`  route() (trie + 7-step sort)   ${(o.med / 1e3).toFixed(1)} k/s  [${(o.min / 1e3).toFixed(1)}-${(o.max / 1e3).toFixed(1)} k]  x${(o.med / b.med).toFixed(2)} vs scan (min-max x${(o.min / b.max).toFixed(2)}-x${(o.max / b.min).toFixed(2)})`);
console.log(`  linear-scan baseline           ${(b.med / 1e3).toFixed(1)} k/s  [${(b.min / 1e3).toFixed(1)}-${(b.max / 1e3).toFixed(1)} k]`);
