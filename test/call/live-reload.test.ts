// Live network reload in a running switch: a call up on a carrier that the reload removes still
// ends normally and gets its CDR (it keeps the generation it started with); the next call uses the
// new network; a bad file is refused, says why, and leaves the network in force; an edit of
// network.yaml is picked up by the file watcher.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch, type NetworkSwap } from '../../src/switch.js';
import { NetworkPolicy, type CallRecord } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { isSswError } from '../../src/util/errors.js';
import { answeringUa, createUa, invite, ackFor, inDialog, type Ua, type SipMsg } from '../helpers/sip-ua.js';

const SW = '127.0.0.153';
const CALLER = '127.0.0.154';
const CARRIER_A = '127.0.0.155';
const CARRIER_B = '127.0.0.156';

const network = (carriers: Array<{ name: string; address: string }>) => ({
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'acc' }],
  routingGateways: carriers.map((c) => ({ name: c.name, address: c.address, port: 5080, prefixes: ['44'] })),
});

let dir: string;
let sw: Softswitch;
let caller: Ua;
let carrierA: Ua;
let carrierB: Ua;
const cdrs: Array<{ cdr: CdrRecord; rec: CallRecord }> = [];

before(async () => {
  dir = writeNetworkConfig({ ip: SW, network: network([{ name: 'carrier-a', address: CARRIER_A }]) });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr, rec) => cdrs.push({ cdr, rec });
  caller = createUa(CALLER, 5070);
  carrierA = answeringUa(CARRIER_A);
  carrierB = answeringUa(CARRIER_B);
});

after(async () => {
  caller.stop();
  carrierA.stop();
  carrierB.stop();
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

function bye(c: { inv: SipMsg; ok: SipMsg }): Promise<number> {
  return new Promise((resolve) => caller.send(inDialog('BYE', c.inv, c.ok, 2), (rs) => resolve(rs.status)));
}

test('a call up during a reload that removes its carrier ends normally and gets its CDR; the next call takes the new carrier', async () => {
  const first = await call('44100');
  assert.equal(first.ok.status, 200);
  await carrierA.waitRequest((r) => r.method === 'INVITE');
  const oldPolicy = sw.policy;

  writeFileSync(join(dir, 'network.yaml'), stringify(network([{ name: 'carrier-b', address: CARRIER_B }])));
  const swap = await sw.reloadNetwork();
  assert.deepEqual(swap, { generation: 1, mappingGateways: 1, routingGateways: 1, accounts: 1 });
  assert.notEqual(sw.policy, oldPolicy);
  assert.deepEqual(sw.config.network.routingGateways.map((g) => g.name), ['carrier-b']);
  assert.equal(sw.b2bua.calls.size, 1, 'the call in progress survived the swap');

  const second = await call('44200');
  assert.equal(second.ok.status, 200);
  const onB = await carrierB.waitRequest((r) => r.method === 'INVITE');
  assert.match(onB.uri, /^sip:44200@/);
  assert.equal(carrierA.received.filter((r) => r.method === 'INVITE').length, 1, 'carrier A got no new call after the reload');

  assert.equal(await bye(first), 200);
  await carrierA.waitRequest((r) => r.method === 'BYE');
  assert.equal(await bye(second), 200);

  const c1 = cdrs.find((c) => c.cdr.calleeAccess === '44100')!.cdr;
  assert.equal(c1.egressGateway, 'carrier-a');
  assert.equal(c1.endReason, 'normal-clearing');
  assert.ok(c1.holdTimeMs >= 0 && c1.answerTime !== null);
  assert.equal(cdrs.find((c) => c.cdr.calleeAccess === '44200')!.cdr.egressGateway, 'carrier-b');

  // And in the store, through the journal.
  await sw.engines!.cdr.waitDrained(5000);
  const day = 86_400_000;
  const page = await sw.engines!.store!.queryCdrs({ from: Date.now() - day, to: Date.now() + day });
  assert.deepEqual(page.rows.map((r) => [r.calleeAccess, r.egressGateway]).sort(), [['44100', 'carrier-a'], ['44200', 'carrier-b']]);
});

test('a bad file is refused with every problem named; the network in force stays', async () => {
  const before = sw.config.network;
  const policy = sw.policy;
  writeFileSync(join(dir, 'network.yaml'), stringify({
    ...network([{ name: 'carrier-b', address: CARRIER_B }]),
    mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'nobody' }],
    routingGateways: [{ name: 'x', address: 'not-an-ip', prefixes: ['44'] }],
  }));
  await assert.rejects(sw.reloadNetwork(), (err: unknown) => {
    assert.ok(isSswError(err));
    assert.equal(err.code, 'SSW_ERR_CONFIG_INVALID');
    assert.match(err.message, /mappingGateways\[0\]\.account/);
    assert.match(err.message, /routingGateways\[0\]\.address/);
    return true;
  });
  writeFileSync(join(dir, 'network.yaml'), 'routingGateways: [ {name: x\n');
  await assert.rejects(sw.reloadNetwork(), /YAML error/);
  assert.equal(sw.config.network, before);
  assert.equal(sw.policy, policy);
  assert.deepEqual(sw.networkCounters, { generation: 1, refused: 2 }, 'both refusals counted (ssw_network_refused_total)');
  const c = await call('44300');
  assert.equal(c.ok.status, 200, 'calls still route on the network in force');
  await carrierB.waitRequest((r) => r.method === 'INVITE' && /^sip:44300@/.test(r.uri));
  assert.equal(await bye(c), 200);
});

test('an edit of network.yaml is picked up by the file watcher', async () => {
  const results: Array<{ ok: boolean; swap?: NetworkSwap }> = [];
  sw.watchNetworkFile((r) => results.push(r.ok ? { ok: true, swap: r.swap } : { ok: false }));
  writeFileSync(join(dir, 'network.yaml'), stringify(network([{ name: 'carrier-a', address: CARRIER_A }, { name: 'carrier-b2', address: CARRIER_B }])));
  const end = Date.now() + 5000;
  while (!results.some((r) => r.ok) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const ok = results.find((r) => r.ok);
  assert.ok(ok, 'the watcher reloaded the file');
  assert.equal(ok.swap!.routingGateways, 2);
  assert.deepEqual(sw.config.network.routingGateways.map((g) => g.name), ['carrier-a', 'carrier-b2']);
});
