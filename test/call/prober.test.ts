// OPTIONS probing: a carrier that stops answering is taken out of routing (calls go straight to
// the next one) and put back when it answers again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { writeNetworkConfig } from '../helpers/switch.js';
import { SswMetrics } from '../../src/metrics/index.js';
import { createUa, type Ua } from '../helpers/sip-ua.js';
import { rawExchange, rawInvite, statusOf } from '../helpers/raw.js';

const SW = '127.0.0.130';
let dir: string;
let sw: Softswitch;
let policy: NetworkPolicy;
let p1: Ua;
let p2: Ua;
let p1Answers = true;
const cdrs: CdrRecord[] = [];

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    network: {
      accounts: [{ id: 'a', name: 'a', prepaid: false, balance: '0' }],
      mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.131'], account: 'a' }],
      routingGateways: [
        { name: 'probed', address: '127.0.0.132', port: 5080, prefixes: ['44'], priority: 1, probeSeconds: 1 },
        { name: 'backup', address: '127.0.0.133', port: 5080, prefixes: ['44'], priority: 2 },
      ],
    },
  });
  p1 = createUa('127.0.0.132', 5080, (rq, ua) => {
    if (rq.method === 'OPTIONS' && p1Answers) ua.respond(rq, 200, 'OK');
    else if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'p1' });
  });
  p2 = createUa('127.0.0.133', 5080, (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'p2' }); });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  policy = sw.policy as NetworkPolicy;
  policy.onCdr = (c) => cdrs.push(c);
});

after(async () => {
  p1.stop();
  p2.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

const offered = () => policy.explain({ ingress: sw.config.network.mappingGateways[0]!, callee: { received: '44', billed: '44', sent: '' }, params: sw.config.paramSet });

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a probed carrier that answers OPTIONS stays in routing', async () => {
  await p1.waitRequest((r) => r.method === 'OPTIONS', 3000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(offered().candidates.map((c) => c.gateway.name), ['probed', 'backup']);
  assert.ok(sw.prober!.answered >= 1);
});

test('when it stops answering it is taken out of routing, and calls go straight to the next carrier', async () => {
  p1Answers = false;
  await until(() => offered().considered.find((c) => c.gateway.name === 'probed')?.filtered === 'down', 6000, 'probed marked down');
  assert.equal(policy.healthChanges, 1);
  const metrics = new SswMetrics(sw, { processMetrics: false });
  try {
    const text = await metrics.text();
    assert.match(text, /^ssw_gateway_up\{routing_gateway="probed"\} 0$/m);
    assert.match(text, /^ssw_gateway_health_changes_total 1$/m);
  } finally {
    metrics.close();
  }
  const invitesBefore = p1.received.filter((r) => r.method === 'INVITE').length;
  const got = await rawExchange('127.0.0.131', SW, 5060, rawInvite('127.0.0.131', SW, 5060, '44777'), 3000);
  assert.equal(statusOf(got.find((m) => statusOf(m) >= 200) ?? ''), 486);
  await until(() => cdrs.some((c) => c.calleeAccess === '44777'), 3000, 'the CDR');
  const cdr = cdrs.find((c) => c.calleeAccess === '44777')!;
  assert.equal(cdr.egressGateway, 'backup');
  assert.equal(cdr.gatewaysTried, 1);
  assert.equal(p1.received.filter((r) => r.method === 'INVITE').length, invitesBefore, 'the down carrier got no INVITE');
});

test('when it answers again it is put back', async () => {
  p1Answers = true;
  await until(() => offered().candidates[0]?.gateway.name === 'probed', 6000, 'probed back up');
  assert.equal(policy.healthChanges, 2);
});
