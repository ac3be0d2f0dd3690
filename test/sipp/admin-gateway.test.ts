// A carrier created through the admin API carries the next SIPp call (issue 7's "a gateway created
// through the API that carries the next SIPp call"): before, the number has no route (SIPp gets
// 503); after the POST, SIPp's call reaches the SIPp carrier and the CDR names the new gateway; a
// PATCH that locks it takes it out again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { answeringUas, refusedScenario, runUac, startNetSwitch, finalStatuses, type NetSwitch, type SippUas } from '../helpers/sipp-net.js';
import { startTestAdmin, type TestAdmin } from '../admin/admin-helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SW = '127.0.0.231';
const CUST = '127.0.0.232';
const CARRIER = '127.0.0.233';

let sw: NetSwitch;
let admin: TestAdmin;
let carrier: SippUas;
let tmp: string;
let port = 6400;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  tmp = mkdtempSync(join(tmpdir(), 'ssw-sipp-admin-'));
  carrier = answeringUas(CARRIER, 5080);
  await carrier.listening();
  sw = await startNetSwitch({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', name: 'postpaid', prepaid: false, balance: '0' }],
      mappingGateways: [{ name: 'cust', remoteIps: [CUST], account: 'acc' }],
      routingGateways: [{ name: 'uk', id: 1, address: '127.0.0.234', port: 5080, prefixes: ['44'] }],
    },
  });
  admin = await startTestAdmin(sw.sw);
});

after(async () => {
  await carrier?.cleanup();
  await admin?.cleanup();
  await sw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('no route before; the gateway POSTed through the API takes the next SIPp call; locked through the API, it is out again', async () => {
  const before = await runUac({ scenario: refusedScenario(tmp, 503), to: `${SW}:5060`, ip: CUST, port: ++port, number: '33100001', timeoutMs: 30_000 });
  assert.deepEqual(finalStatuses(before), [503], before.stdout.slice(-1500));
  assert.equal(carrier.invites('33100001').length, 0);

  const r = await admin.api('/api/v1/routing-gateways', { method: 'POST', body: { name: 'fr', address: CARRIER, port: 5080, prefixes: '33' } });
  assert.equal(r.status, 201, r.text);

  const ok = await runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST, port: ++port, number: '33100002', holdMs: 200, timeoutMs: 30_000 });
  assert.equal(ok.successful, 1, ok.stdout.slice(-1500));
  assert.equal(carrier.invites('33100002').length, 1, 'the SIPp carrier got the INVITE');
  const cdr = await sw.cdr('33100002');
  assert.equal(cdr.egressGateway, 'fr');
  assert.equal(cdr.endReason, 'normal-clearing');

  const lock = await admin.api('/api/v1/routing-gateways/fr', { method: 'PATCH', body: { locked: true } });
  assert.equal(lock.status, 200, lock.text);
  const after = await runUac({ scenario: refusedScenario(tmp, 503), to: `${SW}:5060`, ip: CUST, port: ++port, number: '33100003', timeoutMs: 30_000 });
  assert.deepEqual(finalStatuses(after), [503]);
  assert.equal(carrier.invites('33100003').length, 0, 'a locked carrier gets nothing');
});
