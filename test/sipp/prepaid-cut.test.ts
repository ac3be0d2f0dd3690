// A prepaid caller with money for exactly 5 seconds who never hangs up (SIPp waits for a BYE):
// the switch hangs up both legs at the limit, bills 5 s, and the balance ends at exactly zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SippUas, answeringUas, runUac, startNetSwitch, until, SCENARIOS, type NetSwitch, type LoggedMessage } from '../helpers/sipp-net.js';
import { money } from '../../src/billing/index.js';

const SW = '127.0.0.220';
const CUST = '127.0.0.221';
const CARRIER = '127.0.0.222';
/** Seconds the balance pays for: 0.05 at 0.6 per minute billed per second (0.01 a second). */
const N = 5;

let sw: NetSwitch;
let carrier: SippUas;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  carrier = answeringUas(CARRIER, 5080);
  sw = await startNetSwitch({
    ip: SW,
    rates: { persec: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n' },
    network: {
      accounts: [{ id: 'pre', name: 'prepaid', prepaid: true, balance: '0.05', creditLimit: '0', rateGroup: 'persec' }],
      mappingGateways: [{ name: 'cust', remoteIps: [CUST], account: 'pre' }],
      routingGateways: [{ name: 'uk', id: 1, address: CARRIER, port: 5080, prefixes: ['44'] }],
    },
  });
  await carrier.listening();
});

after(async () => {
  await carrier?.cleanup();
  await sw?.stop();
});

/** The first message matching, or a failure naming it. */
function at(msgs: LoggedMessage[], what: string, pred: (m: LoggedMessage) => boolean): number {
  const m = msgs.find(pred);
  assert.ok(m, `${what} is in the SIPp message log`);
  return m.at;
}

test(`a prepaid call with money for ${N} s is cut at ${N} s on both legs; billed ${N} s, fee exact, balance 0`, async (t) => {
  const callee = '44700001';
  const r = await runUac({ scenario: ['-sf', join(SCENARIOS, 'uac_cut.xml')], to: `${SW}:5060`, ip: CUST, port: 6201, number: callee, timeoutMs: 40_000 });
  assert.equal(r.successful, 1, `the caller got the switch's BYE and answered it\n${r.stdout.slice(-2000)}`);

  // Caller leg: from its 200 OK to the switch's BYE.
  const ok = at(r.messages, 'the 200 OK of the INVITE', (m) => m.dir === 'received' && m.status === 200 && /^CSeq:\s*1 INVITE/im.test(m.text));
  const bye = at(r.messages, 'the BYE from the switch', (m) => m.dir === 'received' && m.method === 'BYE');
  const callerMs = bye - ok;
  assert.ok(Math.abs(callerMs - N * 1000) <= 1000, `caller leg cut after ${callerMs} ms`);

  // Carrier leg: from the switch's ACK to its BYE.
  const ids = carrier.invites(callee);
  assert.equal(ids.length, 1);
  await until(() => carrier.messages().some((m) => m.dir === 'received' && m.method === 'BYE' && m.callId === ids[0]), 5000, 'the carrier got a BYE');
  const cm = carrier.messages().filter((m) => m.callId === ids[0]);
  const ack = at(cm, "the carrier's ACK", (m) => m.dir === 'received' && m.method === 'ACK');
  const cbye = at(cm, "the carrier's BYE", (m) => m.dir === 'received' && m.method === 'BYE');
  assert.ok(Math.abs(cbye - ack - N * 1000) <= 1000, `carrier leg cut after ${cbye - ack} ms`);
  assert.ok(Math.abs(cbye - bye) <= 1000, `both legs cut together (${cbye - bye} ms apart)`);

  const cdr = await sw.cdr(callee);
  assert.equal(cdr.endReason, 'max-duration');
  assert.equal(cdr.endReasonText, 'Insufficient balance');
  assert.equal(cdr.endDirection, 2, 'the server ended the call');
  assert.ok(cdr.holdTimeMs > (N - 1) * 1000 && cdr.holdTimeMs <= N * 1000, `hold ${cdr.holdTimeMs} ms: within the limit, never into the next second`);
  t.diagnostic(`caller leg ${callerMs} ms, carrier leg ${cbye - ack} ms, CDR hold ${cdr.holdTimeMs} ms`);
  assert.equal(cdr.billedSeconds, N);
  assert.equal(cdr.fee, money('0.05'));
  assert.equal(cdr.ratePrefix, '44');

  assert.equal(sw.sw.engines!.book.account('pre')!.balance, 0n, 'live balance');
  const store = sw.sw.engines!.store!;
  await until(async () => (await store.balance('pre')) === 0n, 10_000, 'stored balance reaches 0');
  const ledger = await store.ledger('pre');
  assert.deepEqual(ledger.map((e) => [e.reason, e.amount, e.balanceAfter]), [['call', -money('0.05'), 0n]]);
});

test('with the balance at 0 the next call is refused with 402', async () => {
  const r = await runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST, port: 6202, number: '44700002', timeoutMs: 20_000 });
  assert.equal(r.successful, 0);
  assert.ok(r.messages.some((m) => m.dir === 'received' && m.status === 402), r.stdout.slice(-1500));
  const cdr = await sw.cdr('44700002');
  assert.equal(cdr.endReasonText, 'Insufficient balance');
  assert.equal(carrier.invites('44700002').length, 0);
});
