// The routing engine in the call: longest prefix and priority order, failover across carriers
// that fail in different ways, stop after busy, no route, customer capacity, and explain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { createUa, invite, ackFor, inDialog, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { rawExchange, rawInvite, statusOf } from '../helpers/raw.js';

const SW = '127.0.0.80';
let dir: string;
let sw: Softswitch;
let policy: NetworkPolicy;
let caller: Ua;
const carriers: Ua[] = [];
const cdrs: CdrRecord[] = [];

function carrier(ip: string, fn: (rq: SipMsg, ua: Ua) => void): void {
  carriers.push(createUa(ip, 5080, fn));
}

before(async () => {
  const gw = (name: string, ip: string, prefixes: string[], priority: number, extra: object = {}) => ({ name, address: ip, port: 5080, prefixes, priority, ...extra });
  dir = writeNetworkConfig({ ip: SW, network: {
    accounts: [{ id: 'a', name: 'a', prepaid: false, balance: '0' }],
    mappingGateways: [
      { name: 'cust', remoteIps: ['127.0.0.81'], account: 'a' },
      { name: 'small', remoteIps: ['127.0.0.82'], account: 'a', capacity: 1 },
    ],
    routingGateways: [
      gw('fails-503', '127.0.0.91', ['44'], 1),
      gw('silent', '127.0.0.92', ['44'], 2, { timeouts: { invite: 1, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 } }),
      gw('answers', '127.0.0.93', ['44'], 3),
      gw('busy', '127.0.0.94', ['449'], 1),
    ],
  } });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  policy = sw.policy as NetworkPolicy;
  policy.onCdr = (c) => cdrs.push(c);
  caller = createUa('127.0.0.81', 5070);
  carrier('127.0.0.91', (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 503, 'Service Unavailable', { toTag: 'x' }); });
  carrier('127.0.0.92', () => {});
  carrier('127.0.0.93', (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: `ok${Math.random()}`, contact: `sip:k@${ua.address}:5080`, content: SDP_B });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
  carrier('127.0.0.94', (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'b' }); });
});

after(async () => {
  caller.stop();
  for (const c of carriers) c.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

async function cdrFor(callee: string): Promise<CdrRecord> {
  for (let i = 0; i < 300; i++) {
    const c = cdrs.find((x) => x.calleeAccess === callee);
    if (c) return c;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no CDR for ${callee}`);
}

test('503, then no answer in SS_SIP_TIMEOUT_INVITE (the gateway\'s 1 s), then the third carrier answers', async () => {
  const inv = invite(caller, SW, 5060, '44123');
  const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  assert.equal(ok.status, 200);
  caller.send(ackFor(inv, ok));
  caller.send(inDialog('BYE', inv, ok, 2));
  const cdr = await cdrFor('44123');
  assert.equal(cdr.gatewaysTried, 3);
  assert.equal(cdr.egressGateway, 'answers');
  assert.equal(cdr.endReason, 'normal-clearing');
});

test('the longest prefix wins, and busy stops the search with 486 to the caller', async () => {
  const got = await rawExchange('127.0.0.81', SW, 5060, rawInvite('127.0.0.81', SW, 5060, '449123'), 3000);
  assert.equal(statusOf(got.find((m) => statusOf(m) >= 200) ?? ''), 486);
  const cdr = await cdrFor('449123');
  assert.equal(cdr.gatewaysTried, 1);
  assert.equal(cdr.egressGateway, 'busy');
  assert.equal(cdr.calleeSipCode, 486);
});

test('no gateway takes the number: 503 No Available Router', async () => {
  const got = await rawExchange('127.0.0.81', SW, 5060, rawInvite('127.0.0.81', SW, 5060, '33123'));
  const final = got.find((m) => statusOf(m) >= 200) ?? '';
  assert.match(final, /^SIP\/2\.0 503 No Available Router/);
  const cdr = await cdrFor('33123');
  assert.equal(cdr.endReason, 'no-route');
  assert.equal(cdr.gatewaysTried, 0);
});

test('a full customer is refused with its code while its one call is up, and admitted again after', async () => {
  const small = createUa('127.0.0.82', 5070);
  try {
    const inv = invite(small, SW, 5060, '44555');
    const ok = await new Promise<SipMsg>((resolve) => small.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    small.send(ackFor(inv, ok));
    const got = await rawExchange('127.0.0.82', SW, 5060, rawInvite('127.0.0.82', SW, 5060, '44556'));
    assert.equal(statusOf(got.find((m) => statusOf(m) >= 200) ?? ''), 486);
    assert.equal((await cdrFor('44556')).endReasonText, 'Mapping gateway capacity full');
    small.send(inDialog('BYE', inv, ok, 2));
    await cdrFor('44555');
    const again = await rawExchange('127.0.0.82', SW, 5060, rawInvite('127.0.0.82', SW, 5060, '449000'), 3000);
    assert.equal(statusOf(again.find((m) => statusOf(m) >= 200) ?? ''), 486, 'routed (to the busy carrier), not refused');
    assert.equal((await cdrFor('449000')).gatewaysTried, 1);
  } finally {
    small.stop();
  }
});

test('explain shows every matching carrier with its sort keys, in the order calls use', () => {
  const ingress = sw.config.network.mappingGateways[0]!;
  const r = policy.explain({ ingress, callee: { received: '44123', billed: '44123', sent: '' }, params: sw.config.paramSet });
  assert.deepEqual(r.candidates.map((c) => c.gateway.name), ['fails-503', 'silent', 'answers']);
  assert.deepEqual(r.considered.map((c) => c.keys.priority), [1, 2, 3]);
  const r2 = policy.explain({ ingress, callee: { received: '449', billed: '449', sent: '' }, params: sw.config.paramSet });
  assert.equal(r2.candidates[0]!.gateway.name, 'busy');
  assert.equal(r2.considered[0]!.keys.prefixLength, 3);
});
