// Calls the switch must refuse before routing, placed by SIPp: each caller gets its SIP code on
// the wire, the carrier sees nothing, and the stored CDR carries the end reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SippUas, answeringUas, runUac, refusedScenario, finalStatuses, startNetSwitch, until, type NetSwitch } from '../helpers/sipp-net.js';
import type { LoadedConfig } from '../../src/config/index.js';

const SW = '127.0.0.210';
const CUST = {
  locked: '127.0.0.211',
  rich: '127.0.0.212',
  expired: '127.0.0.213',
  poor: '127.0.0.214',
  accCap: '127.0.0.215',
  gwCap: '127.0.0.216',
  gwCap503: '127.0.0.217',
  poor503: '127.0.0.219',
};
const CARRIER = '127.0.0.218';

// 0.6 per minute, per second billing: 0.01 per second. Only UK (44) numbers have a rate.
const RATES = { std: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n' };
const acc = (id: string, extra: object = {}) => ({ id, name: id, prepaid: true, balance: '10.00', rateGroup: 'std', ...extra });
const NETWORK = {
  accounts: [
    acc('locked', { locked: true }), acc('rich'), acc('expired'), acc('poor', { balance: '0' }), acc('acccap', { capacity: 1 }), acc('gwcap'),
  ],
  mappingGateways: [
    { name: 'c-locked', remoteIps: [CUST.locked], account: 'locked' },
    { name: 'c-rich', remoteIps: [CUST.rich], account: 'rich' },
    { name: 'c-expired', remoteIps: [CUST.expired], account: 'expired' },
    { name: 'c-poor', remoteIps: [CUST.poor], account: 'poor' },
    { name: 'c-acccap', remoteIps: [CUST.accCap], account: 'acccap' },
    { name: 'c-gwcap', remoteIps: [CUST.gwCap], account: 'gwcap', capacity: 1 },
    { name: 'c-gwcap503', remoteIps: [CUST.gwCap503], account: 'gwcap', capacity: 1 },
    { name: 'c-poor503', remoteIps: [CUST.poor503], account: 'poor' },
  ],
  routingGateways: [{ name: 'uk', id: 1, address: CARRIER, port: 5080, prefixes: ['44'] }],
};

/** Error-code replacement on two customers: set on the loaded config, as the network files have no field for it yet. */
const ERROR_CODES: Record<string, Record<string, number>> = {
  'c-gwcap503': { 'customer-capacity-full': 503 },
  'c-poor503': { 'Insufficient balance': 503 },
};
function tweak(cfg: LoadedConfig): LoadedConfig {
  const mappingGateways = cfg.network.mappingGateways.map((m) => (ERROR_CODES[m.name] ? { ...m, errorCodes: ERROR_CODES[m.name] } : m));
  return { ...cfg, network: { ...cfg.network, mappingGateways } };
}

let sw: NetSwitch;
let carrier: SippUas;
let work: string;
let port = 6100;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  work = mkdtempSync(join(tmpdir(), 'ssw-sipp-refusals-'));
  carrier = answeringUas(CARRIER, 5080);
  sw = await startNetSwitch({ ip: SW, network: NETWORK, rates: RATES, tweak });
  // Expiry is not in the network files yet: the operator's change is made on the live account book.
  sw.sw.engines!.book.updateAccount('expired', { expiresAt: Date.now() - 60_000 });
  await carrier.listening();
});

after(async () => {
  await carrier?.cleanup();
  await sw?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Places one call from `from` to `callee` that must be refused with `code`; returns its stored CDR. */
async function refusedWith(from: string, callee: string, code: number) {
  const r = await runUac({ scenario: refusedScenario(work, code), to: `${SW}:5060`, ip: from, port: ++port, number: callee });
  assert.deepEqual(finalStatuses(r), [code], `final answer to ${callee}\n${r.stdout.slice(-1500)}`);
  assert.equal(r.successful, 1);
  const cdr = await sw.cdr(callee);
  assert.equal(cdr.callerSipCode, code);
  assert.equal(cdr.gatewaysTried, 0);
  assert.equal(cdr.answerTime, null);
  assert.equal(cdr.fee, 0n);
  assert.equal(carrier.invites(callee).length, 0, 'the carrier never saw the call');
  return cdr;
}

const balance = (id: string) => sw.sw.engines!.book.account(id)!.balance;

test('no rate for the number: 404, end reason "No matching rate"', async () => {
  const cdr = await refusedWith(CUST.rich, '33100001', 404);
  assert.equal(cdr.endReason, 'refused');
  assert.equal(cdr.endReasonText, 'No matching rate');
  assert.equal(cdr.account, 'rich');
});

test('account locked: 403, end reason "Account locked"', async () => {
  const cdr = await refusedWith(CUST.locked, '44100002', 403);
  assert.equal(cdr.endReasonText, 'Account locked');
  assert.equal(cdr.account, 'locked');
});

test('account expired: 403, end reason "Account expired"', async () => {
  const cdr = await refusedWith(CUST.expired, '44100003', 403);
  assert.equal(cdr.endReasonText, 'Account expired');
});

test('balance below the first period: 402, end reason "Insufficient balance", nothing debited', async () => {
  const cdr = await refusedWith(CUST.poor, '44100004', 402);
  assert.equal(cdr.endReasonText, 'Insufficient balance');
  assert.equal(balance('poor'), 0n);
  assert.equal(await sw.sw.engines!.store!.balance('poor'), 0n);
});

test('the same refusal where the mapping gateway replaces "Insufficient balance" by 503', async () => {
  const cdr = await refusedWith(CUST.poor503, '44100005', 503);
  assert.equal(cdr.endReasonText, 'Insufficient balance');
});

/** Starts a call from `from` held for 5 s and waits until it is up; `done` resolves with SIPp's result. */
async function holdOne(from: string, callee: string) {
  const done = runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: from, port: ++port, number: callee, holdMs: 5000 });
  const up = () => {
    const ids = carrier.invites(callee);
    return ids.length === 1 && carrier.messages().some((m) => m.dir === 'received' && m.method === 'ACK' && m.callId === ids[0]);
  };
  await until(up, 10_000, `the call to ${callee} is up (the carrier got its ACK)`);
  return { done };
}

test('account concurrent-call limit (1): a second call while one is up gets 503, "Account concurrency limit"', async () => {
  const first = await holdOne(CUST.accCap, '44200001');
  const cdr = await refusedWith(CUST.accCap, '44200002', 503);
  assert.equal(cdr.endReasonText, 'Account concurrency limit');
  const r = await first.done;
  assert.equal(r.successful, 1, r.stdout.slice(-1500));
  // The slot is free again once the first call ended.
  const again = await runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST.accCap, port: ++port, number: '44200003', holdMs: 200 });
  assert.equal(again.successful, 1, again.stdout.slice(-1500));
  assert.equal((await sw.cdr('44200003')).endReason, 'normal-clearing');
});

test('mapping gateway capacity (1): a second call gets 486 by default, 503 where error-code replacement says so', async () => {
  const first = await holdOne(CUST.gwCap, '44300001');
  const second = await holdOne(CUST.gwCap503, '44300002');
  const a = await refusedWith(CUST.gwCap, '44300003', 486);
  const b = await refusedWith(CUST.gwCap503, '44300004', 503);
  for (const c of [a, b]) {
    assert.equal(c.endReason, 'refused');
    assert.equal(c.endReasonText, 'Mapping gateway capacity full');
  }
  for (const h of [first, second]) {
    const r = await h.done;
    assert.equal(r.successful, 1, r.stdout.slice(-1500));
  }
});
