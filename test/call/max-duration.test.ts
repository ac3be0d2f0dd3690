// Per-gateway maximum call duration (maxCallSeconds on mapping and routing gateways, VOS3000's
// "max call duration"): the switch ends both legs at the smallest cap, counted from the answer,
// and the CDR says why; a gateway without a cap leaves the call alone. minCallSeconds (VOS3000's
// "min call duration", which we define as the short-call threshold): an answered call that talks
// less is not an answer for the carrier's live ASR, and is counted in ssw_gateway_short_calls_total.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy, type CallRecord } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { SswMetrics } from '../../src/metrics/index.js';
import { parsePromText } from '../metrics/prom-text.js';
import { answeringUa, createUa, invite, ackFor, inDialog, type Ua, type SipMsg } from '../helpers/sip-ua.js';

const SW = '127.0.0.240';
const CALLER = '127.0.0.241';
const CARRIER = '127.0.0.242';

let dir: string;
let sw: Softswitch;
let caller: Ua;
let carrier: Ua;
let metrics: SswMetrics;
const cdrs: Array<{ cdr: CdrRecord; rec: CallRecord }> = [];

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', prepaid: false }],
      mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'acc', maxCallSeconds: 3 }],
      routingGateways: [
        { name: 'short', address: CARRIER, port: 5080, prefixes: ['441'], maxCallSeconds: 1 },
        { name: 'open', address: CARRIER, port: 5080, prefixes: ['442'] },
        { name: 'fas', address: CARRIER, port: 5080, prefixes: ['443'], minCallSeconds: 2 },
      ],
    },
  });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr, rec) => cdrs.push({ cdr, rec });
  metrics = new SswMetrics(sw);
  caller = createUa(CALLER, 5070);
  carrier = answeringUa(CARRIER);
});

after(async () => {
  metrics.close();
  caller.stop();
  carrier.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

function call(number: string): Promise<{ inv: SipMsg; ok: SipMsg }> {
  const inv = invite(caller, SW, 5060, number);
  return new Promise((resolve) => caller.send(inv, (rs) => {
    if (rs.status >= 200) {
      caller.send(ackFor(inv, rs));
      resolve({ inv, ok: rs });
    }
  }));
}

const cdrOf = async (number: string): Promise<CdrRecord> => {
  for (let i = 0; i < 200; i++) {
    const c = cdrs.find((x) => x.cdr.calleeAccess === number);
    if (c) return c.cdr;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no CDR for ${number}`);
};

test('the routing gateway cap (1 s) ends both legs and the CDR says "Gateway max call duration"', async () => {
  const t0 = performance.now();
  const c = await call('44100');
  assert.equal(c.ok.status, 200);
  const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.uri.startsWith('sip:44100@'));
  await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === c.inv.headers['call-id']);
  await carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id']);
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 900 && elapsed < 2500, `cut after ${elapsed.toFixed(0)} ms`);
  const cdr = await cdrOf('44100');
  assert.equal(cdr.endReason, 'max-duration');
  assert.equal(cdr.endReasonText, 'Gateway max call duration');
  assert.ok(cdr.holdTimeMs >= 900 && cdr.holdTimeMs <= 1000, `talked ${cdr.holdTimeMs} ms`);
});

test('without a carrier cap, the customer gateway cap (3 s) applies', async () => {
  const c = await call('44200');
  assert.equal(c.ok.status, 200);
  await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === c.inv.headers['call-id'], 6000);
  const cdr = await cdrOf('44200');
  assert.equal(cdr.endReason, 'max-duration');
  assert.equal(cdr.endReasonText, 'Gateway max call duration');
  assert.ok(cdr.holdTimeMs >= 2900 && cdr.holdTimeMs <= 3000, `talked ${cdr.holdTimeMs} ms`);
});

test('a caller BYE before the cap ends the call normally', async () => {
  const c = await call('44201');
  assert.equal(c.ok.status, 200);
  const status = await new Promise<number>((resolve) => caller.send(inDialog('BYE', c.inv, c.ok, 2), (rs) => resolve(rs.status)));
  assert.equal(status, 200);
  const cdr = await cdrOf('44201');
  assert.equal(cdr.endReason, 'normal-clearing');
});

test('minCallSeconds: a call under it is a short call (no answer for the carrier\'s ASR), one over it is an answer', async () => {
  const policy = sw.policy as NetworkPolicy;
  const fas = sw.config.network.routingGateways.find((g) => g.name === 'fas')!;
  const open = sw.config.network.routingGateways.find((g) => g.name === 'open')!;
  const before = { fas: policy.quality.snapshot(fas.id!, performance.now()), open: policy.quality.snapshot(open.id!, performance.now()) };
  // The same short call (hung up at once) through a carrier with minCallSeconds 2 and one without.
  for (const number of ['44300', '44202']) {
    const c = await call(number);
    assert.equal(c.ok.status, 200);
    const status = await new Promise<number>((resolve) => caller.send(inDialog('BYE', c.inv, c.ok, 2), (rs) => resolve(rs.status)));
    assert.equal(status, 200);
    assert.equal((await cdrOf(number)).endReason, 'normal-clearing');
  }
  // A call through 'fas' that talks past 2 s is an answer again.
  const long = await call('44301');
  assert.equal(long.ok.status, 200);
  await new Promise((r) => setTimeout(r, 2100));
  await new Promise<number>((resolve) => caller.send(inDialog('BYE', long.inv, long.ok, 2), (rs) => resolve(rs.status)));
  assert.ok((await cdrOf('44301')).holdTimeMs >= 2000);
  const now = performance.now();
  const fasQ = policy.quality.snapshot(fas.id!, now);
  const openQ = policy.quality.snapshot(open.id!, now);
  assert.equal(fasQ.attempts - before.fas.attempts, 2, 'two attempts on fas');
  assert.equal(fasQ.answers - before.fas.answers, 1, 'the short call is not an answer, the long one is');
  assert.equal(openQ.answers - before.open.answers, 1, 'without minCallSeconds the short call is an answer');
  const scrape = parsePromText(await metrics.text());
  assert.equal(scrape.get('ssw_gateway_short_calls_total', { routing_gateway: 'fas' }), 1);
  assert.equal(scrape.get('ssw_gateway_short_calls_total', { routing_gateway: 'open' }), 0);
  assert.equal(scrape.get('ssw_gateway_answers_total', { routing_gateway: 'fas' }), 2, 'answers_total follows the wire');
});
