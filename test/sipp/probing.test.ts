// OPTIONS probing against a carrier played by SIPp: while it answers, calls go to it; when the
// SIPp process is stopped, calls skip it without an attempt; when it is started again, they
// return to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SippUas, answeringUas, runUac, startNetSwitch, until, SCENARIOS, type NetSwitch } from '../helpers/sipp-net.js';
import type { NetworkPolicy } from '../../src/call/index.js';

const SW = '127.0.0.225';
const CUST = '127.0.0.226';
const PROBED = '127.0.0.227';
const BACKUP = '127.0.0.228';

let sw: NetSwitch;
let backup: SippUas;
/** Every SIPp that played the probed carrier (one per start). */
const probed: SippUas[] = [];
let port = 6300;

const startProbed = () => {
  const u = new SippUas(PROBED, 5080, ['-sf', join(SCENARIOS, 'uas_probed.xml')]);
  probed.push(u);
  return u;
};
const policy = () => sw.sw.policy as NetworkPolicy;
/** Probes answered by the current probed SIPp. */
const optionsAnswered = (u: SippUas) => u.messages().filter((m) => m.dir === 'sent' && m.status === 200 && /^CSeq:\s*\d+ OPTIONS/im.test(m.text)).length;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  backup = answeringUas(BACKUP, 5080);
  await Promise.all([startProbed().listening(), backup.listening()]);
  sw = await startNetSwitch({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', name: 'postpaid', prepaid: false, balance: '0' }],
      mappingGateways: [{ name: 'cust', remoteIps: [CUST], account: 'acc' }],
      routingGateways: [
        { name: 'probed', id: 1, address: PROBED, port: 5080, prefixes: ['44'], priority: 1, probeSeconds: 2 },
        { name: 'backup', id: 2, address: BACKUP, port: 5080, prefixes: ['44'], priority: 2 },
      ],
    },
  });
});

after(async () => {
  for (const u of probed) await u.cleanup();
  await backup?.cleanup();
  await sw?.stop();
});

async function call(callee: string) {
  const r = await runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST, port: ++port, number: callee, holdMs: 200, timeoutMs: 30_000 });
  assert.equal(r.successful, 1, r.stdout.slice(-1500));
  return sw.cdr(callee);
}

test('a probed carrier that answers OPTIONS takes the calls', async () => {
  await until(() => optionsAnswered(probed[0]!) >= 1, 15_000, 'SIPp answered a probe');
  assert.ok(policy().health.isUp(1));
  const cdr = await call('44800001');
  assert.equal(cdr.egressGateway, 'probed');
  assert.equal(cdr.gatewaysTried, 1);
  assert.equal(probed[0]!.invites('44800001').length, 1);
});

test('when its SIPp stops, the carrier is taken out of routing: calls go to the next one without trying it', async () => {
  await probed[0]!.stop();
  await until(() => !policy().health.isUp(1), 15_000, 'the probed carrier is marked down');
  assert.equal(policy().healthChanges, 1);
  const cdr = await call('44800002');
  assert.equal(cdr.egressGateway, 'backup');
  assert.equal(cdr.gatewaysTried, 1, 'the down carrier is not an attempt (no INVITE timeout first)');
  assert.equal(backup.invites('44800002').length, 1);
});

test('when its SIPp answers OPTIONS again, the carrier is back in routing and takes the next call', async () => {
  const again = startProbed();
  await again.listening();
  await until(() => policy().health.isUp(1), 15_000, 'the probed carrier is marked up');
  assert.equal(policy().healthChanges, 2);
  assert.ok(optionsAnswered(again) >= 1);
  const cdr = await call('44800003');
  assert.equal(cdr.egressGateway, 'probed');
  assert.equal(again.invites('44800003').length, 1);
  assert.equal(backup.invites('44800003').length, 0);
});
