// Routing failover with carriers played by SIPp: one refuses with 503, one never answers, one is
// busy, some answer. Calls land where the rules say (read back from each carrier's message log),
// and the store's CDR says how many carriers were tried and why the call ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SippUas, landedOn, answeringUas, rejectingUas, runUac, refusedScenario, finalStatuses, startNetSwitch, until, cleanupAll, SCENARIOS,
  type NetSwitch,
} from '../helpers/sipp-net.js';
import type { LoadedConfig } from '../../src/config/index.js';

const SW = '127.0.0.200';
/** A second switch on the same network whose only difference is SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: Off. */
const SW_ON_BUSY = '127.0.0.201';
const CUST_A = '127.0.0.202';
/** A customer whose mapping gateway replaces the carrier's 503 with 480 (error-code replacement). */
const CUST_B = '127.0.0.203';

const CARRIERS = {
  g503: '127.0.0.204',
  noAnswer: '127.0.0.205',
  busy: '127.0.0.206',
  ok: '127.0.0.207',
  cap: '127.0.0.208',
  cps: '127.0.0.209',
};

// Callee prefixes pick the carriers a call may use; the priority orders them (lower first).
//   2: 503 -> no answer (2 s INVITE timeout) -> ok      3: 503 -> busy -> ok
//   4: cap (1 call) -> ok      5: cps (1/s) -> ok      6: 503 -> no answer      7: 503 only
//   9: cap only      8: nobody
//   12: 503 (continuation) -> ok (prefix 1)      11: 503 on a terminating prefix: ok's shorter prefix 1 is not tried
const NETWORK = {
  accounts: [{ id: 'acc', name: 'postpaid', prepaid: false, balance: '0' }],
  mappingGateways: [
    { name: 'custA', remoteIps: [CUST_A], account: 'acc' },
    { name: 'custB', remoteIps: [CUST_B], account: 'acc' },
  ],
  routingGateways: [
    { name: 'g503', id: 1, address: CARRIERS.g503, port: 5080, prefixes: ['2', '3', '6', '7', '12'], priority: 1 },
    { name: 'g503t', id: 7, address: CARRIERS.g503, port: 5080, prefixes: ['11'], prefixStyle: 'terminating' },
    { name: 'noanswer', id: 2, address: CARRIERS.noAnswer, port: 5080, prefixes: ['2', '6'], priority: 2, timeouts: { invite: 2 } },
    { name: 'busy', id: 3, address: CARRIERS.busy, port: 5080, prefixes: ['3'], priority: 3 },
    { name: 'ok', id: 4, address: CARRIERS.ok, port: 5080, prefixes: ['2', '3', '4', '5', '1'], priority: 4 },
    { name: 'cap', id: 5, address: CARRIERS.cap, port: 5080, prefixes: ['4', '9'], priority: 0, capacity: 1 },
    { name: 'cps', id: 6, address: CARRIERS.cps, port: 5080, prefixes: ['5'], priority: 0, cps: 1 },
  ],
};

/** Error-code replacement on custB; the network files have no field for it yet, so it is set on the loaded config. */
function withCustBCodes(cfg: LoadedConfig): LoadedConfig {
  const mappingGateways = cfg.network.mappingGateways.map((m) => (m.name === 'custB' ? { ...m, errorCodes: { 'sip:503': 480 } } : m));
  return { ...cfg, network: { ...cfg.network, mappingGateways } };
}

let sw: NetSwitch;
let sw2: NetSwitch;
let work: string;
const uas: Record<keyof typeof CARRIERS, SippUas> = {} as never;
let port = 6000;
const nextPort = () => ++port;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  work = mkdtempSync(join(tmpdir(), 'ssw-sipp-routing-'));
  uas.g503 = rejectingUas(CARRIERS.g503, 5080, 503, 'Service Unavailable', work);
  uas.noAnswer = new SippUas(CARRIERS.noAnswer, 5080, ['-sf', join(SCENARIOS, 'uas_noanswer.xml')]);
  uas.busy = rejectingUas(CARRIERS.busy, 5080, 486, 'Busy Here', work);
  uas.ok = answeringUas(CARRIERS.ok, 5080);
  uas.cap = answeringUas(CARRIERS.cap, 5080);
  uas.cps = answeringUas(CARRIERS.cps, 5080);
  sw = await startNetSwitch({ ip: SW, network: NETWORK, tweak: withCustBCodes });
  sw2 = await startNetSwitch({ ip: SW_ON_BUSY, network: NETWORK, params: { SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: 'Off' } });
  await Promise.all(Object.values(uas).map((u) => u.listening()));
});

after(async () => {
  await cleanupAll(Object.values(uas));
  await sw?.stop();
  await sw2?.stop();
  rmSync(work, { recursive: true, force: true });
});

const landed = (callee: string) => landedOn(uas, callee);

async function answered(to: string, from: string, callee: string, calls = 1, rate = 10) {
  const r = await runUac({ scenario: ['-sn', 'uac'], to: `${to}:5060`, ip: from, port: nextPort(), number: callee, calls, rate, holdMs: 300 });
  assert.equal(r.successful, calls, `SIPp calls to ${callee} answered\n${r.stdout.slice(-1500)}`);
  assert.equal(r.failed, 0);
  return r;
}

async function refused(to: string, from: string, callee: string, code: number) {
  const r = await runUac({ scenario: refusedScenario(work, code), to: `${to}:5060`, ip: from, port: nextPort(), number: callee });
  assert.deepEqual(finalStatuses(r), [code], `the caller's final answer for ${callee}\n${r.stdout.slice(-1500)}`);
  assert.equal(r.successful, 1);
  return r;
}

test('503, then no answer (INVITE timeout), then the third carrier answers: one call, three carriers tried', async () => {
  await answered(SW, CUST_A, '2000001');
  assert.deepEqual(landed('2000001'), { g503: 1, noAnswer: 1, ok: 1 });
  const cdr = await sw.cdr('2000001');
  assert.equal(cdr.gatewaysTried, 3);
  assert.equal(cdr.egressGateway, 'ok');
  assert.equal(cdr.endReason, 'normal-clearing');
  assert.equal(cdr.callerSipCode, 200);
  assert.equal(cdr.calleeSipCode, 200);
  assert.ok(cdr.answerTime !== null && cdr.answerTime - cdr.startTime >= 1900, `answered after the 2 s INVITE timeout (${cdr.answerTime! - cdr.startTime} ms)`);
  assert.ok(cdr.holdTimeMs >= 250, `hold ${cdr.holdTimeMs}`);
});

test('busy stops failover (SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: On, the default): the caller gets 486', async () => {
  await refused(SW, CUST_A, '3000001', 486);
  assert.deepEqual(landed('3000001'), { g503: 1, busy: 1 });
  const cdr = await sw.cdr('3000001');
  assert.equal(cdr.gatewaysTried, 2);
  assert.equal(cdr.egressGateway, 'busy');
  assert.equal(cdr.endReason, 'callee-failure');
  assert.equal(cdr.calleeSipCode, 486);
  assert.equal(cdr.callerSipCode, 486);
  assert.equal(cdr.answerTime, null);
});

test('with SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: Off the call goes on past busy to a carrier that answers', async () => {
  await answered(SW_ON_BUSY, CUST_A, '3000002');
  assert.deepEqual(landed('3000002'), { g503: 1, busy: 1, ok: 1 });
  const cdr = await sw2.cdr('3000002');
  assert.equal(cdr.gatewaysTried, 3);
  assert.equal(cdr.egressGateway, 'ok');
  assert.equal(cdr.endReason, 'normal-clearing');
});

test('all carriers fail, the last by timeout: the caller gets 408 and the CDR says connection timeout', async () => {
  await refused(SW, CUST_A, '6000001', 408);
  assert.deepEqual(landed('6000001'), { g503: 1, noAnswer: 1 });
  const cdr = await sw.cdr('6000001');
  assert.equal(cdr.gatewaysTried, 2);
  assert.equal(cdr.egressGateway, 'noanswer');
  assert.equal(cdr.endReason, 'connection-timeout');
  assert.equal(cdr.callerSipCode, 408);
});

test("all carriers fail with 503: the caller hears 503, or the code its mapping gateway's error-code replacement says (480)", async () => {
  await refused(SW, CUST_A, '7000001', 503);
  await refused(SW, CUST_B, '7000002', 480);
  assert.deepEqual(landed('7000001'), { g503: 1 });
  assert.deepEqual(landed('7000002'), { g503: 1 });
  const a = await sw.cdr('7000001');
  const b = await sw.cdr('7000002');
  for (const c of [a, b]) {
    assert.equal(c.gatewaysTried, 1);
    assert.equal(c.endReason, 'callee-failure');
    assert.equal(c.calleeSipCode, 503);
  }
  assert.equal(a.callerSipCode, 503);
  assert.equal(b.callerSipCode, 480);
});

test('prefix mode: after a carrier on a terminating prefix fails, a shorter prefix is not tried; on a continuation prefix it is', async () => {
  await answered(SW, CUST_A, '1200001');
  assert.deepEqual(landed('1200001'), { g503: 1, ok: 1 });
  assert.equal((await sw.cdr('1200001')).gatewaysTried, 2);
  await refused(SW, CUST_A, '1100001', 503);
  assert.deepEqual(landed('1100001'), { g503: 1 }, 'ok (prefix 1) is not tried after g503t (prefix 11, terminating)');
  const cdr = await sw.cdr('1100001');
  assert.equal(cdr.gatewaysTried, 1);
  assert.equal(cdr.egressGateway, 'g503t');
  assert.equal(cdr.endReason, 'callee-failure');
  assert.equal(cdr.calleeSipCode, 503);
});

test('no carrier takes the number: 503 No Available Router, no carrier tried', async () => {
  const r = await refused(SW, CUST_A, '8000001', 503);
  assert.match(r.messages.find((m) => m.status === 503)!.text, /^SIP\/2\.0 503 No Available Router/);
  assert.deepEqual(landed('8000001'), {});
  const cdr = await sw.cdr('8000001');
  assert.equal(cdr.gatewaysTried, 0);
  assert.equal(cdr.endReason, 'no-route');
  assert.equal(cdr.endReasonText, 'No available router');
});

test('a carrier at its capacity is skipped; when it is the only one, the call is refused with 503', async () => {
  // One call holds the capacity-1 carrier for 6 s.
  const long = runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST_A, port: nextPort(), number: '4000001', holdMs: 6000 });
  await until(() => uas.cap.messages().some((m) => m.dir === 'received' && m.method === 'ACK' && m.callId === uas.cap.invites('4000001')[0]), 10_000, 'the first call is up on cap');
  await answered(SW, CUST_A, '4000002');
  assert.deepEqual(landed('4000002'), { ok: 1 }, 'the second call skips the full carrier');
  await refused(SW, CUST_A, '9000001', 503);
  assert.deepEqual(landed('9000001'), {});
  const r = await long;
  assert.equal(r.successful, 1, r.stdout.slice(-1500));
  assert.deepEqual(landed('4000001'), { cap: 1 });
  const skipped = await sw.cdr('4000002');
  assert.equal(skipped.gatewaysTried, 1, 'the full carrier is not an attempt');
  assert.equal(skipped.egressGateway, 'ok');
  const full = await sw.cdr('9000001');
  assert.equal(full.endReason, 'no-route');
  assert.equal(full.gatewaysTried, 0);
  // Once the long call ended, the carrier takes calls again.
  await answered(SW, CUST_A, '9000002');
  assert.deepEqual(landed('9000002'), { cap: 1 });
});

test('a carrier at its CPS limit (1/s) takes the first of three calls in one burst; the others go to the next', async () => {
  await answered(SW, CUST_A, '5000001', 3, 100);
  assert.deepEqual(landed('5000001'), { cps: 1, ok: 2 });
  await until(async () => (await sw.cdrs('5000001')).length === 3, 15_000, 'three CDRs');
  const rows = await sw.cdrs('5000001');
  assert.deepEqual(rows.map((c) => c.egressGateway).sort(), ['cps', 'ok', 'ok']);
  assert.ok(rows.every((c) => c.gatewaysTried === 1 && c.endReason === 'normal-clearing'));
});
