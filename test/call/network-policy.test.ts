// The full call policy in a running switch: dial plans at both ends, authorization against
// balances and rates, the prepaid cut-off, and what lands in the store (CDR and balance).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy, type CallRecord } from '../../src/call/index.js';
import { openStore } from '../../src/store/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { createUa, invite, ackFor, inDialog, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { rawExchange, rawInvite, statusOf } from '../helpers/raw.js';

const SW = '127.0.0.50';
let dir: string;
let sw: Softswitch;
let caller: Ua;
let carrier: Ua;
const cdrs: Array<{ cdr: CdrRecord; rec: CallRecord }> = [];

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    rates: {
      std: '44,UK,international,0.6,6,6,0,,2020-01-01T00:00:00Z,0\n',
      persec: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n',
    },
    network: {
      accounts: [
        { id: 'pre', name: 'prepaid', prepaid: true, balance: '1.00', rateGroup: 'std' },
        { id: 'poor', name: 'poor', prepaid: true, balance: '0.001', rateGroup: 'std' },
        { id: 'cut', name: 'cut', prepaid: true, balance: '0.03', rateGroup: 'persec' },
      ],
      mappingGateways: [
        { name: 'cust', remoteIps: ['127.0.0.51'], account: 'pre', calleeRules: [{ from: '00', to: '' }], callerRules: [{ from: '*', to: '86*' }] },
        { name: 'poor-gw', remoteIps: ['127.0.0.53'], account: 'poor' },
        { name: 'cut-gw', remoteIps: ['127.0.0.54'], account: 'cut' },
      ],
      routingGateways: [
        { name: 'uk', address: '127.0.0.52', port: 5080, prefixes: ['44'], calleeRules: [{ from: '*', to: '101*' }] },
      ],
    },
  });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr, rec) => cdrs.push({ cdr, rec });
  caller = createUa('127.0.0.51', 5070);
  carrier = createUa('127.0.0.52', 5080, (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: `k${rq.headers.cseq.seq}${Math.random()}`, contact: `sip:k@${ua.address}:${ua.port}`, content: SDP_B });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
});

after(async () => {
  caller.stop();
  carrier.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

async function waitCdr(flow: (c: CdrRecord) => boolean, ms = 8000): Promise<CdrRecord> {
  const end = Date.now() + ms;
  for (;;) {
    const f = cdrs.find((c) => flow(c.cdr));
    if (f) return f.cdr;
    if (Date.now() > end) throw new Error('no such CDR');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('dial plans: the carrier receives the numbers rewritten at both ends; the CDR keeps all three forms', async () => {
  const inv = invite(caller, SW, 5060, '0044123');
  const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  assert.equal(ok.status, 200);
  caller.send(ackFor(inv, ok));
  const b = await carrier.waitRequest((r) => r.method === 'INVITE' && String(r.uri).startsWith('sip:10144123@'));
  assert.match(b.headers.to.uri, /^sip:10144123@/);
  assert.match(b.headers.from.uri, /^sip:861000@/);
  await new Promise((r) => setTimeout(r, 1200));
  // The BYE is answered only once the call's CDR is on disk: make the journal's acknowledgement
  // slow (300 ms) and see the 200 wait for it.
  const pipe = sw.engines!.cdr;
  const write = pipe.write.bind(pipe);
  let durableAt = 0;
  pipe.write = (rec, o) => write(rec, o).then(() => new Promise<void>((r) => setTimeout(r, 300))).then(() => { durableAt = performance.now(); });
  const byeSent = performance.now();
  const byeOk = await new Promise<number>((resolve) => caller.send(inDialog('BYE', inv, ok, 2), () => resolve(performance.now())));
  pipe.write = write;
  assert.ok(durableAt > 0 && byeOk >= durableAt && byeOk - byeSent >= 300, `the 200 to BYE came ${(byeOk - byeSent).toFixed(0)} ms after the BYE, after the CDR was durable`);
  const cdr = await waitCdr((c) => c.calleeAccess === '0044123');
  assert.equal(cdr.calleeBilling, '44123');
  assert.equal(cdr.calleeGateway, '10144123');
  assert.equal(cdr.callerAccess, '1000');
  assert.equal(cdr.callerBilling, '861000');
  assert.equal(cdr.ratePrefix, '44');
  // 1.2 s held, 6/6 at 0.60 per minute: 6 s billed, 0.06 charged.
  assert.equal(cdr.billedSeconds, 6);
  assert.equal(cdr.fee, 600_000n);
  assert.equal(cdr.endReason, 'normal-clearing');
  assert.equal(sw.engines!.book.account('pre')!.balance, 9_400_000n);
});

test('no matching rate: refused with its SIP code and end reason, never routed', async () => {
  const got = await rawExchange('127.0.0.51', SW, 5060, rawInvite('127.0.0.51', SW, 5060, '0033123'));
  assert.equal(statusOf(got.find((m) => statusOf(m) >= 200) ?? ''), 404);
  const cdr = await waitCdr((c) => c.calleeAccess === '0033123');
  assert.equal(cdr.endReason, 'refused');
  assert.equal(cdr.endReasonText, 'No matching rate');
  assert.equal(cdr.gatewaysTried, 0);
});

test('insufficient balance: refused with 402 and its end reason', async () => {
  const got = await rawExchange('127.0.0.53', SW, 5060, rawInvite('127.0.0.53', SW, 5060, '44999'));
  assert.equal(statusOf(got.find((m) => statusOf(m) >= 200) ?? ''), 402);
  const cdr = await waitCdr((c) => c.calleeAccess === '44999');
  assert.equal(cdr.endReasonText, 'Insufficient balance');
});

test('a prepaid call is cut when its balance runs out, within a second of the limit, on both legs', async () => {
  const ua = createUa('127.0.0.54', 5070);
  try {
    const inv = invite(ua, SW, 5060, '44777');
    const t0 = Date.now();
    const ok = await new Promise<SipMsg>((resolve) => ua.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    ua.send(ackFor(inv, ok));
    const bye = await ua.waitRequest((r) => r.method === 'BYE', 8000);
    const held = (Date.now() - t0) / 1000;
    assert.ok(held >= 2.9 && held < 4, `cut after ${held}s; the balance buys 3 s`);
    assert.ok(bye);
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && String(r.uri).startsWith('sip:10144777@'));
    await carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id']);
    const cdr = await waitCdr((c) => c.calleeAccess === '44777');
    assert.equal(cdr.endReason, 'max-duration');
    assert.equal(cdr.endReasonText, 'Insufficient balance');
    assert.equal(cdr.endDirection, 2);
    assert.equal(cdr.fee, 300_000n);
    assert.equal(sw.engines!.book.account('cut')!.balance, 0n);
  } finally {
    ua.stop();
  }
});

test('the CDRs and the debits land in the store, and the balance there matches', async () => {
  await sw.engines!.cdr.waitDrained(5000);
  const store = sw.engines!.store!;
  const day = 86_400_000;
  const page = await store.queryCdrs({ from: Date.now() - day, to: Date.now() + day });
  assert.equal(page.total, cdrs.length);
  assert.equal(await store.balance('pre'), 9_400_000n);
  assert.equal(await store.balance('cut'), 0n);
});

test('balances survive a restart: the store, not the config file, holds them', async () => {
  const cfg = loadConfig(dir, { env: {} });
  const s2 = await openStore(cfg.server.dbUrl);
  try {
    const b = await s2.ensureAccounts(cfg.network.accounts);
    assert.equal(b.get('pre'), 9_400_000n);
  } finally {
    await s2.close();
  }
});
