// Network CRUD over the real admin API of a running switch: a routing gateway created through the
// API carries the next call from the npm `sip` UA; changes are validated like network.yaml, need a
// read-write token, are stored, survive a restart and a reload of the file; dial plans on gateways;
// accounts; deletes refused while referenced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { answeringUa, createUa, invite, ackFor, inDialog, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { startTestAdmin, sswOn, RO_TOKEN, type TestAdmin } from './admin-helpers.js';

const SW = '127.0.0.157';
const CALLER = '127.0.0.158';
const CARRIER = '127.0.0.159';
const CALLER2 = '127.0.0.162';

let dir: string;
let sw: Softswitch;
let admin: TestAdmin;
let caller: Ua;
let carrier: Ua;

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', prepaid: false }],
      mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'acc' }],
      // Only UK numbers at first; France comes through the API.
      routingGateways: [{ name: 'uk', address: '127.0.0.163', port: 5080, prefixes: ['44'] }],
    },
  });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  admin = await startTestAdmin(sw);
  caller = createUa(CALLER, 5070);
  carrier = answeringUa(CARRIER);
});

after(async () => {
  caller.stop();
  carrier.stop();
  await admin.cleanup();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

/** Places a call; answers 2xx with ACK and hangs up. Returns the final status. */
async function callStatus(number: string, from: Ua = caller): Promise<number> {
  const inv = invite(from, SW, 5060, number);
  const rs = await new Promise<SipMsg>((resolve) => from.send(inv, (r) => { if (r.status >= 200) resolve(r); }));
  if (rs.status === 200) {
    from.send(ackFor(inv, rs));
    await new Promise<void>((resolve) => from.send(inDialog('BYE', inv, rs, 2), () => resolve()));
  }
  return rs.status;
}

const FRANCE = { name: 'fr', address: CARRIER, port: 5080, prefixes: '33,34' };

test('a change needs a read-write token: none is 401, read-only is 403, and nothing changes', async () => {
  assert.equal((await admin.api('/api/v1/routing-gateways', { method: 'POST', body: FRANCE, token: null })).status, 401);
  const ro = await admin.api('/api/v1/routing-gateways', { method: 'POST', body: FRANCE, token: RO_TOKEN });
  assert.equal(ro.status, 403);
  assert.equal(ro.body.error.code, 'SSW_ERR_ADMIN_FORBIDDEN');
  assert.equal((await admin.api('/api/v1/routing-gateways', { token: RO_TOKEN })).body.items.length, 1, 'reading needs only a read-only token');
});

test('a routing gateway created through the API carries the next call', async () => {
  assert.equal(await callStatus('33123456'), 503, 'no route to France yet');
  const r = await admin.api('/api/v1/routing-gateways', { method: 'POST', body: FRANCE });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.generation, 1);
  assert.deepEqual([r.body.item.name, r.body.item.id, r.body.item.prefixes, r.body.item.transport], ['fr', 2, ['33', '34'], 'udp']);
  assert.equal(await callStatus('33123456'), 200);
  const inv = await carrier.waitRequest((q) => q.method === 'INVITE' && /^sip:33123456@/.test(q.uri));
  assert.ok(inv, 'the carrier created through the API got the INVITE');
  const got = await admin.api('/api/v1/routing-gateways/fr');
  assert.equal(got.body.address, CARRIER);
});

test('bad bodies are refused naming each field; duplicates 409; unknown 404', async () => {
  const bad = await admin.api('/api/v1/routing-gateways', { method: 'POST', body: { name: 'x', address: '10.0.0.1', prefixes: ['1'], port: 70000, colour: 'red', schedules: [{ mode: 'deny', from: '9am' }] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SSW_ERR_CONFIG_INVALID');
  for (const f of ['port', 'colour', 'schedules[0].from']) assert.match(bad.body.error.message, new RegExp(f.replace(/[[\]]/g, '\\$&')));
  const dup = await admin.api('/api/v1/routing-gateways', { method: 'POST', body: FRANCE });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'SSW_ERR_ADMIN_CONFLICT');
  assert.equal((await admin.api('/api/v1/routing-gateways/nope', { method: 'PATCH', body: { locked: true } })).status, 404);
  const cross = await admin.api('/api/v1/mapping-gateways', { method: 'POST', body: { name: 'm2', remoteIps: [CALLER], account: 'acc' } });
  assert.equal(cross.status, 400, 'rules across entities hold: an IP belongs to one mapping gateway');
  assert.match(cross.body.error.message, /remoteIps\[0\].*already belongs/);
  assert.equal(sw.config.network.mappingGateways.length, 1);
});

test('PATCH locks a gateway for the next call; PUT on its dial plan rewrites what it is sent', async () => {
  let r = await admin.api('/api/v1/routing-gateways/fr', { method: 'PATCH', body: { locked: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.item.locked, true);
  assert.equal(r.body.item.prefixes.length, 2, 'fields not in the body stay');
  assert.equal(await callStatus('33111'), 503);
  r = await admin.api('/api/v1/routing-gateways/fr', { method: 'PATCH', body: { locked: false } });
  assert.equal(r.status, 200);

  r = await admin.api('/api/v1/gateways/routing/fr/dialplan', { method: 'PUT', body: { calleeRules: [{ from: '33', to: '0033' }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.item.calleeRules, [{ from: '33', to: '0033' }]);
  assert.equal(await callStatus('33222'), 200);
  await carrier.waitRequest((q) => q.method === 'INVITE' && /^sip:0033222@/.test(q.uri));
  const bad = await admin.api('/api/v1/gateways/mapping/cust/dialplan', { method: 'PUT', body: { calleeRules: [{ from: '', to: '1' }] } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /calleeRules\[0\]\.from/);
});

test('accounts: create, read with balance, use from a new mapping gateway, delete refused while referenced', async () => {
  let r = await admin.api('/api/v1/accounts', { method: 'POST', body: { id: 'acc2', name: 'Second', prepaid: false, balance: '5.00', capacity: 1 } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.item.balance, '5.0000000');
  r = await admin.api('/api/v1/accounts/acc2');
  assert.equal(r.body.maxConcurrent, 1);
  assert.equal(r.body.balance, '5.0000000');
  r = await admin.api('/api/v1/mapping-gateways', { method: 'POST', body: { name: 'cust2', remoteIps: [CALLER2], account: 'acc2' } });
  assert.equal(r.status, 201, r.text);
  const ua2 = createUa(CALLER2, 5070);
  try {
    assert.equal(await callStatus('33333', ua2), 200, 'the new customer calls through the new account');
  } finally {
    ua2.stop();
  }
  assert.equal((await admin.api('/api/v1/accounts/acc2', { method: 'PATCH', body: { balance: '100' } })).status, 400, 'balances move by recharge only');
  r = await admin.api('/api/v1/accounts/acc2', { method: 'PATCH', body: { locked: true } });
  assert.equal((await admin.api('/api/v1/accounts/acc2')).body.locked, true);

  r = await admin.api('/api/v1/accounts/acc2', { method: 'DELETE' });
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /mappingGateways\[1\]\.account/);
  assert.equal((await admin.api('/api/v1/mapping-gateways/cust2', { method: 'DELETE' })).status, 200);
  r = await admin.api('/api/v1/accounts/acc2', { method: 'DELETE' });
  assert.equal(r.status, 200, r.text);
  assert.ok(!(await admin.api('/api/v1/accounts')).body.items.some((a: { id: string }) => a.id === 'acc2'));
});

test('a reload of network.yaml keeps the API changes on top; a bad file answers 400 and changes nothing', async () => {
  const file = join(dir, 'network.yaml');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('prefixes:\n      - "44"', 'prefixes:\n      - "44"\n      - "49"'));
  let r = await admin.api('/api/v1/network/reload', { method: 'POST' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.routingGateways, 2);
  assert.deepEqual(sw.config.network.routingGateways.find((g) => g.name === 'uk')!.prefixes, ['44', '49']);
  assert.ok(sw.config.network.routingGateways.some((g) => g.name === 'fr'), 'the gateway made through the API is still there');

  writeFileSync(file, 'accounts: 7\n');
  r = await admin.api('/api/v1/network/reload', { method: 'POST' });
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /accounts/);
  assert.equal(sw.config.network.routingGateways.length, 2);
  writeFileSync(file, text);
  assert.equal((await admin.api('/api/v1/network/reload', { method: 'POST' })).status, 200);

  const metrics = (await admin.api('/metrics')).text;
  assert.ok(sw.networkCounters.refused >= 3, 'the IP clash, the referenced delete and the bad file were refused');
  assert.match(metrics, new RegExp(`^ssw_network_refused_total ${sw.networkCounters.refused}$`, 'm'));
  assert.match(metrics, new RegExp(`^ssw_network_generation ${sw.networkCounters.generation}$`, 'm'));
  const changes = (await admin.api('/api/v1/network/changes')).body.changes;
  assert.deepEqual(changes.map((c: { kind: string; name: string; deleted: boolean }) => `${c.kind}:${c.name}:${c.deleted}`),
    ['routing:fr:false', 'mapping:cust2:true', 'account:acc2:true']);
});

test('a restart keeps the API changes (they are in the store) and the gateway still carries calls', async () => {
  await admin.cleanup();
  await sw.stop(0);
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  admin = await startTestAdmin(sw);
  const fr = sw.config.network.routingGateways.find((g) => g.name === 'fr');
  assert.ok(fr, 'the routing gateway made through the API is back');
  assert.deepEqual(fr.calleeRules, [{ from: '33', to: '0033' }]);
  assert.ok(!sw.config.network.accounts.some((a) => a.id === 'acc2'), 'the deleted account stays deleted');
  assert.equal(await callStatus('33444'), 200);
  await carrier.waitRequest((q) => q.method === 'INVITE' && /^sip:0033444@/.test(q.uri));
});

test('ssw network: add, list, set and remove a routing gateway live from the command line; errors exit 1 or 2', async () => {
  const cli = (...args: string[]) => sswOn(admin, args);
  assert.equal(await callStatus('49301234'), 503, 'no route to Germany yet');
  const add = await cli('network', 'add', 'routing', 'name=de', `address=${CARRIER}`, 'port=5080', 'prefixes=49,491', 'capacity=5');
  assert.equal(add.code, 0, add.err);
  assert.match(add.out, /routing gateway de created \(network generation \d+\)/);
  assert.equal(await callStatus('49301234'), 200);
  assert.ok(await carrier.waitRequest((q) => q.method === 'INVITE' && /^sip:49301234@/.test(q.uri)));
  const list = await cli('network', 'list', 'routing');
  assert.equal(list.code, 0);
  assert.match(list.out, new RegExp(`de +${CARRIER.replace(/\./g, '\\.')}:5080/udp +49,491 `));
  const json = await cli('--json', 'network', 'show', 'routing', 'de');
  assert.equal(JSON.parse(json.out).capacity, 5);
  const lock = await cli('network', 'set', 'routing', 'de', 'locked=true');
  assert.equal(lock.code, 0, lock.err);
  assert.equal(await callStatus('49301235'), 503, 'a locked carrier takes no call');
  const bad = await cli('network', 'set', 'routing', 'de', 'port=70000');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /SSW_ERR_CONFIG_INVALID.*port/);
  assert.equal((await cli('network', 'list', 'switches')).code, 2, 'an unknown kind is a usage error');
  assert.equal((await cli('network', 'add', 'routing', '--file', '/nonexistent/gw.yaml')).code, 2);
  const rm = await cli('network', 'remove', 'routing', 'de');
  assert.equal(rm.code, 0, rm.err);
  assert.ok(!sw.config.network.routingGateways.some((g) => g.name === 'de'));
  const changes = await cli('network', 'changes');
  assert.match(changes.out, /routing +de +deleted/);
});
