// Phones against a running switch with the full engines: REGISTER with digest (the response
// computed by the test), calls from a phone (407, then its dial plan on the wire to the carrier),
// calls to a phone (its registered contact, its callee rule), 480 when offline, 403 after wrong
// passwords, 423, stale nonces, expiry sweeping, and what the CDRs say.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import type { NetworkPolicy } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { SswMetrics } from '../../src/metrics/index.js';
import { createUa, invite, ackFor, inDialog, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { answer, register, registerWithAuth, sendInvite } from './phone-helpers.js';

const SW = '127.0.0.180';
let dir: string;
let sw: Softswitch;
let phone1: Ua; // alice, number 1001: the calling phone
let phone2: Ua; // 1002: the called phone
let phone3: Ua; // 1003: offline, bad passwords, expiry
let carrier: Ua;
let cust: Ua;
const cdrs: CdrRecord[] = [];
let metrics: SswMetrics;

const answering = (tag: string) => (rq: SipMsg, ua: Ua) => {
  if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: `${tag}${rq.headers.cseq.seq}`, contact: `sip:${tag}@${ua.address}:${ua.port}`, content: SDP_B });
  else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
};

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    network: {
      accounts: [
        { id: 'acc', name: 'customer', prepaid: false, balance: '10.00' },
        { id: 'ph', name: 'phones', prepaid: false, balance: '10.00' },
      ],
      mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.184'], account: 'acc' }],
      routingGateways: [{ name: 'carrier', address: '127.0.0.183', port: 5080, prefixes: ['44', '1003'] }],
      phones: [
        { number: '1001', username: 'alice', password: 'secret1', account: 'ph', calleeRules: [{ from: '0', to: '44' }], callerRules: [{ from: '*', to: '86*' }] },
        { number: '1002', password: 'secret2', account: 'ph', calleeRules: [{ from: '1002', to: '9991002' }] },
        { number: '1003', password: 'secret3', account: 'ph' },
      ],
    },
  });
  writeFileSync(join(dir, 'params.yaml'), stringify({ SSW_REGISTER_MIN_EXPIRES: 2, SSW_PHONE_AUTH_MAX_FAILURES: 2 }));
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr) => cdrs.push(cdr);
  metrics = new SswMetrics(sw, { processMetrics: false });
  phone1 = createUa('127.0.0.181', 5071);
  phone2 = createUa('127.0.0.182', 5072, answering('p2'));
  phone3 = createUa('127.0.0.185', 5073, answering('p3'));
  carrier = createUa('127.0.0.183', 5080, answering('k'));
  cust = createUa('127.0.0.184', 5070);
});

after(async () => {
  for (const u of [phone1, phone2, phone3, carrier, cust]) u.stop();
  metrics.close();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

async function waitCdr(pred: (c: CdrRecord) => boolean, ms = 5000): Promise<CdrRecord> {
  const end = Date.now() + ms;
  for (;;) {
    const f = cdrs.find(pred);
    if (f) return f;
    if (Date.now() > end) throw new Error('no such CDR');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const unq = (s: string) => s.replace(/^"|"$/g, '');

test('REGISTER: 401 with an MD5 qop=auth challenge, then 200 listing the contact, its expiry clamped to the maximum', async () => {
  const contact = 'sip:1002@127.0.0.182:5072;line=x7';
  const { first, final } = await registerWithAuth(phone2, SW, { user: '1002', aor: '1002', password: 'secret2', contact, expires: 7200 });
  assert.equal(first.status, 401);
  const ch = first.headers['www-authenticate'][0];
  assert.equal(ch.scheme, 'Digest');
  assert.equal(unq(ch.realm), 'open-softswitch');
  assert.equal(unq(ch.qop), 'auth');
  assert.ok(unq(ch.nonce).length > 10);
  assert.equal(ch.stale, undefined);
  assert.equal(final.status, 200);
  assert.equal(final.headers.contact.length, 1);
  assert.equal(final.headers.contact[0].uri, contact);
  assert.equal(final.headers.contact[0].params.expires, '3600', 'SSW_REGISTER_MAX_EXPIRES caps 7200');
  const b = sw.phones!.registrar.contacts('1002');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.source.address, '127.0.0.182');
  assert.equal(b[0]!.source.port, 5072);
});

test('a carrier call to a phone number reaches the registered contact, with the phone\'s callee rule on the number sent', async () => {
  const inv = invite(cust, SW, 5060, '1002');
  const ok = await sendInvite(cust, inv);
  assert.equal(ok.status, 200);
  cust.send(ackFor(inv, ok));
  const rq = await phone2.waitRequest((r) => r.method === 'INVITE');
  assert.equal(rq.uri, 'sip:1002@127.0.0.182:5072;line=x7', 'Request-URI = the registered contact');
  assert.match(rq.headers.to.uri, /^sip:9991002@/, 'To carries the number after the phone\'s callee rule');
  await phone2.waitRequest((r) => r.method === 'ACK');
  const bye = await new Promise<SipMsg>((resolve) => cust.send(inDialog('BYE', inv, ok, 2), resolve));
  assert.equal(bye.status, 200);
  const cdr = await waitCdr((c) => c.calleeAccess === '1002');
  assert.equal(cdr.ingressGateway, 'cust');
  assert.equal(cdr.egressGateway, 'phone:1002');
  assert.equal(cdr.egressIp, '127.0.0.182');
  assert.equal(cdr.calleeGateway, '9991002');
  assert.equal(cdr.account, 'acc');
  assert.equal(cdr.endReason, 'normal-clearing');
});

test('a call from a phone: 407, then with Proxy-Authorization it reaches the carrier with the phone\'s dial plan applied', async () => {
  const inv = invite(phone1, SW, 5060, '0123');
  inv.headers.from.uri = `sip:alice@${SW}`;
  const first = await sendInvite(phone1, inv);
  assert.equal(first.status, 407);
  const ch = first.headers['proxy-authenticate'][0];
  assert.equal(unq(ch.realm), 'open-softswitch');
  assert.equal(carrier.received.filter((r) => r.method === 'INVITE').length, 0, 'nothing reached the carrier before authentication');
  const inv2 = invite(phone1, SW, 5060, '0123');
  inv2.headers.from = inv.headers.from;
  inv2.headers['call-id'] = inv.headers['call-id'];
  inv2.headers.cseq = { method: 'INVITE', seq: 2 };
  inv2.headers['proxy-authorization'] = [answer(ch, 'alice', 'secret1', 'INVITE', inv2.uri)];
  const ok = await sendInvite(phone1, inv2);
  assert.equal(ok.status, 200);
  phone1.send(ackFor(inv2, ok));
  const rq = await carrier.waitRequest((r) => r.method === 'INVITE');
  assert.match(rq.uri, /^sip:44123@127\.0\.0\.183:5080/, 'callee rule 0 -> 44');
  assert.match(rq.headers.from.uri, /^sip:861001@/, 'the caller is the phone\'s number after its caller rule');
  assert.equal(rq.headers['proxy-authorization'], undefined, 'credentials never leave the switch');
  assert.equal(sw.phones!.directory.activeCalls('1001'), 1);
  const bye = await new Promise<SipMsg>((resolve) => phone1.send(inDialog('BYE', inv2, ok, 3), resolve));
  assert.equal(bye.status, 200);
  const cdr = await waitCdr((c) => c.calleeAccess === '0123');
  assert.equal(cdr.ingressGateway, 'phone:1001');
  assert.equal(cdr.ingressIp, '127.0.0.181');
  assert.equal(cdr.account, 'ph');
  assert.equal(cdr.calleeBilling, '44123');
  assert.equal(cdr.callerBilling, '861001');
  assert.equal(cdr.egressGateway, 'carrier');
  assert.equal(sw.phones!.directory.activeCalls('1001'), 0, 'the phone\'s call slot is given back');
});

test('phone to phone: an authenticated call from 1001 to 1002 reaches 1002\'s contact; the CDR names both phones', async () => {
  const inv = invite(phone1, SW, 5060, '1002');
  const first = await sendInvite(phone1, inv);
  assert.equal(first.status, 407);
  const inv2 = invite(phone1, SW, 5060, '1002');
  inv2.headers['proxy-authorization'] = [answer(first.headers['proxy-authenticate'][0], 'alice', 'secret1', 'INVITE', inv2.uri)];
  const seen = phone2.received.length;
  const ok = await sendInvite(phone1, inv2);
  assert.equal(ok.status, 200);
  phone1.send(ackFor(inv2, ok));
  const rq = phone2.received.slice(seen).find((r) => r.method === 'INVITE');
  assert.ok(rq, 'phone 1002 got the INVITE');
  assert.equal(rq.uri, 'sip:1002@127.0.0.182:5072;line=x7');
  assert.match(rq.headers.from.uri, /^sip:861001@/);
  await new Promise<SipMsg>((resolve) => phone1.send(inDialog('BYE', inv2, ok, 2), resolve));
  const cdr = await waitCdr((c) => c.ingressGateway === 'phone:1001' && c.egressGateway === 'phone:1002');
  assert.equal(cdr.account, 'ph');
  assert.equal(cdr.calleeGateway, '9991002');
});

test('an INVITE with the wrong password is challenged again, then refused with 403; nothing reaches a carrier', async () => {
  const before = carrier.received.length;
  const statuses: number[] = [];
  let ch: Record<string, string> | null = null;
  for (let i = 0; i < 3; i++) {
    const inv = invite(phone1, SW, 5060, '0999');
    if (ch) inv.headers['proxy-authorization'] = [answer(ch, 'alice', 'wrong', 'INVITE', inv.uri)];
    const rs = await sendInvite(phone1, inv);
    statuses.push(rs.status);
    if (rs.status === 407) ch = rs.headers['proxy-authenticate'][0];
  }
  assert.deepEqual(statuses, [407, 407, 403]);
  assert.equal(carrier.received.length, before);
});

test('a call to a phone that is not registered gets 480, and the CDR says why', async () => {
  const rs = await sendInvite(cust, invite(cust, SW, 5060, '1003'));
  assert.equal(rs.status, 480);
  const cdr = await waitCdr((c) => c.calleeAccess === '1003' && c.callerSipCode === 480);
  assert.equal(cdr.endReasonText, 'Callee phone not registered');
  assert.equal(cdr.egressGateway, '');
});

test('REGISTER with a wrong password: 401 again, then 403 at SSW_PHONE_AUTH_MAX_FAILURES; an unknown user gets 403', async () => {
  const contact = 'sip:1003@127.0.0.185:5073';
  const first = await register(phone3, SW, { user: '1003', aor: '1003', contact });
  assert.equal(first.status, 401);
  let ch = first.headers['www-authenticate'][0];
  const r1 = await register(phone3, SW, { user: '1003', aor: '1003', contact, authorization: answer(ch, '1003', 'nope', 'REGISTER', `sip:${SW}`) });
  assert.equal(r1.status, 401);
  ch = r1.headers['www-authenticate'][0];
  const r2 = await register(phone3, SW, { user: '1003', aor: '1003', contact, authorization: answer(ch, '1003', 'nope', 'REGISTER', `sip:${SW}`) });
  assert.equal(r2.status, 403);
  const r3 = await register(phone3, SW, { user: 'mallory', aor: 'mallory', contact, authorization: answer(ch, 'mallory', 'x', 'REGISTER', `sip:${SW}`) });
  assert.equal(r3.status, 403);
  assert.equal(sw.phones!.registrar.contacts('1003').length, 0);
  const c = sw.phones!.registrar.counters.register;
  assert.ok(c['bad-password'] >= 2 && c['unknown-user'] >= 1);
});

test('the right password on a nonce the switch did not issue gets a new challenge with stale=true', async () => {
  const contact = 'sip:1003@127.0.0.180:5999';
  const first = await register(phone1, SW, { user: 'alice', aor: 'alice', contact });
  const ch = first.headers['www-authenticate'][0];
  const rs = await register(phone1, SW, { user: 'alice', aor: 'alice', contact, authorization: answer(ch, 'alice', 'secret1', 'REGISTER', `sip:${SW}`, 'kq1x0-1.AAAAAAAAAAAAAAAAAAAAAA') });
  assert.equal(rs.status, 401);
  assert.equal(rs.headers['www-authenticate'][0].stale, 'true');
});

test('a replayed Authorization (same nonce, same nonce count) gets a fresh challenge, not a registration', async () => {
  const contact = 'sip:1003@127.0.0.185:5073';
  const first = await register(phone3, SW, { user: '1003', aor: '1003', contact, expires: 0 });
  const auth = answer(first.headers['www-authenticate'][0], '1003', 'secret3', 'REGISTER', `sip:${SW}`);
  const ok = await register(phone3, SW, { user: '1003', aor: '1003', contact, expires: 0, callId: 'replay-1', cseq: 2, authorization: auth });
  assert.equal(ok.status, 200);
  const replay = await register(phone3, SW, { user: '1003', aor: '1003', contact, expires: 0, callId: 'replay-1', cseq: 3, authorization: auth });
  assert.equal(replay.status, 401);
  assert.equal(replay.headers['www-authenticate'][0].stale, 'true');
  const next = await register(phone3, SW, { user: '1003', aor: '1003', contact, expires: 0, callId: 'replay-1', cseq: 4, authorization: answer(first.headers['www-authenticate'][0], '1003', 'secret3', 'REGISTER', `sip:${SW}`, undefined, '00000002') });
  assert.equal(next.status, 200, 'the next nonce count on the same nonce is fine');
});

test('REGISTER for another phone\'s address of record is refused with 403', async () => {
  const { final } = await registerWithAuth(phone1, SW, { user: 'alice', aor: '1002', password: 'secret1', contact: 'sip:evil@127.0.0.181:5071' });
  assert.equal(final.status, 403);
  assert.equal(sw.phones!.registrar.contacts('1002').length, 1, 'the victim keeps its binding');
});

test('an interval below SSW_REGISTER_MIN_EXPIRES gets 423 with Min-Expires', async () => {
  const { final } = await registerWithAuth(phone3, SW, { user: '1003', aor: '1003', password: 'secret3', contact: 'sip:1003@127.0.0.185:5073', expires: 1 });
  assert.equal(final.status, 423);
  assert.equal(String(final.headers['min-expires']), '2');
});

test('a binding lapses: the sweep removes it, and calls to the phone get 480 again', async () => {
  const { final } = await registerWithAuth(phone3, SW, { user: '1003', aor: '1003', password: 'secret3', contact: 'sip:1003@127.0.0.185:5073', expires: 2 });
  assert.equal(final.status, 200);
  assert.equal(final.headers.contact[0].params.expires, '2');
  assert.equal(sw.phones!.registrar.contacts('1003').length, 1);
  const expiredBefore = sw.phones!.registrar.counters.expired;
  await new Promise((r) => setTimeout(r, 3300));
  assert.equal(sw.phones!.registrar.stats.phones, 1, 'only 1002 is left');
  assert.equal(sw.phones!.registrar.counters.expired, expiredBefore + 1);
  const rs = await sendInvite(cust, invite(cust, SW, 5060, '1003'));
  assert.equal(rs.status, 480);
});

test('SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY on: a call to an offline phone goes to the routing gateways', async () => {
  const params = sw.b2bua.params;
  sw.b2bua.params = params.with('SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY', true);
  try {
    const inv = invite(cust, SW, 5060, '1003');
    const ok = await sendInvite(cust, inv);
    assert.equal(ok.status, 200);
    cust.send(ackFor(inv, ok));
    const rq = await carrier.waitRequest((r) => r.method === 'INVITE' && String(r.uri).startsWith('sip:1003@127.0.0.183'));
    assert.ok(rq);
    await new Promise<SipMsg>((resolve) => cust.send(inDialog('BYE', inv, ok, 2), resolve));
    const cdr = await waitCdr((c) => c.calleeAccess === '1003' && c.egressGateway === 'carrier');
    assert.equal(cdr.endReason, 'normal-clearing');
  } finally {
    sw.b2bua.params = params;
  }
});

test('Expires: 0 removes the binding; the 200 lists no contact', async () => {
  const { final } = await registerWithAuth(phone2, SW, { user: '1002', aor: '1002', password: 'secret2', contact: 'sip:1002@127.0.0.182:5072;line=x7', expires: 0 });
  assert.equal(final.status, 200);
  assert.equal(final.headers.contact, undefined);
  assert.equal(sw.phones!.registrar.contacts('1002').length, 0);
});

test('/metrics counts registrations and digest checks by result (a fixed label set)', async () => {
  const m = metrics;
  {
    const text = await m.text();
    const c = sw.phones!.registrar.counters;
    assert.ok(c.register.registered >= 2);
    assert.match(text, new RegExp(`ssw_phone_register_total\\{result="registered"\\} ${c.register.registered}\\b`));
    assert.match(text, new RegExp(`ssw_phone_register_total\\{result="interval-too-brief"\\} ${c.register['interval-too-brief']}\\b`));
    assert.match(text, new RegExp(`ssw_phone_invite_auth_total\\{result="ok"\\} ${c.invite.ok}\\b`));
    assert.match(text, /ssw_phone_registrations_expired_total 1\b/);
    assert.match(text, /ssw_call_ended_total\{mapping_gateway="phones",/);
    assert.doesNotMatch(text, /phone:100/, 'no series per phone');
  }
});
