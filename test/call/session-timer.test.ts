// Session timers (RFC 4028) on each leg, against npm `sip` peers, in real time: the parameters are
// set so that the switch refreshes a leg every 9 s (SS_SIP_SESSION_TTL 90 / SEGMENT 10), gives up
// on a peer that should refresh after 5 s (90 - EARLY_HANGUP 85), and checks a leg without
// session timers after 60 s (SS_SIP_NO_TIMER_REINVITE_INTERVAL). The cases run side by side.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { createUa, invite, ackFor, inDialog, uniq, SDP_A, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { waitFor } from '../helpers/wait.js';
import type { CallRecord } from '../../src/call/index.js';

const SW = '127.0.0.101';
const CALLER = '127.0.0.102';
const CARRIER = '127.0.0.103';
const CALLER_OFF = '127.0.0.104';
let sw: RunningSwitch;
const uas: Ua[] = [];
let nextPort = 5070;

/** When each request reached a UA (ms since the epoch), by the request object. */
const arrived = new WeakMap<object, number>();

function ua(address: string, onRequest: (rq: SipMsg, u: Ua) => void): Ua {
  const u = createUa(address, nextPort++, (rq, self) => {
    arrived.set(rq, Date.now());
    onRequest(rq, self);
  });
  uas.push(u);
  return u;
}

const SE_UAC = { 'session-expires': '90;refresher=uac', require: 'timer' };
const SE_UAS = { 'session-expires': '90;refresher=uas', require: 'timer' };

/** A carrier: answers the first INVITE 200 with SDP and `headers`, and every later request as `later` says. */
function carrier(headers: Record<string, unknown>, later: (rq: SipMsg, u: Ua) => void = (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); }): Ua {
  return ua(CARRIER, (rq, u) => {
    if (rq.method === 'INVITE' && !rq.headers.to.params?.tag) {
      u.respond(rq, 200, 'OK', { toTag: uniq('c'), contact: `sip:c@${CARRIER}:${u.port}`, content: SDP_B, headers });
    } else later(rq, u);
  });
}

const PREFIX: Record<string, string> = {};
const carriers: Record<string, Ua> = {};

before(async () => {
  // Carriers first: their ports go into the network.
  carriers.plain = carrier({});
  carriers.uasRefresher = carrier(SE_UAS, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK', { headers: SE_UAS }); });
  carriers.weRefreshUpdate = carrier({ ...SE_UAC, allow: 'INVITE, ACK, BYE, CANCEL, UPDATE' }, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK', { headers: SE_UAC }); });
  carriers.weRefreshInvite = carrier(SE_UAC, (rq, u) => {
    if (rq.method === 'INVITE') u.respond(rq, 200, 'OK', { contact: `sip:c@${CARRIER}:${u.port}`, content: SDP_B, headers: SE_UAC });
    else if (rq.method !== 'ACK') u.respond(rq, 200, 'OK');
  });
  carriers.gone = carrier({ ...SE_UAC, allow: 'INVITE, ACK, BYE, UPDATE' }, (rq, u) => {
    if (rq.method === 'UPDATE') u.respond(rq, 481, 'Call/Transaction Does Not Exist');
    else if (rq.method !== 'ACK') u.respond(rq, 200, 'OK');
  });
  carriers.silentRefresher = carrier(SE_UAS);
  carriers.off = carrier(SE_UAS);
  let firstMinSe = true;
  carriers.minSe = ua(CARRIER, (rq, u) => {
    if (rq.method === 'INVITE' && firstMinSe) {
      firstMinSe = false;
      u.respond(rq, 422, 'Session Interval Too Small', { headers: { 'min-se': '120' } });
    } else if (rq.method === 'INVITE') {
      u.respond(rq, 200, 'OK', { toTag: uniq('m'), contact: `sip:c@${CARRIER}:${u.port}`, content: SDP_B, headers: { 'session-expires': '120;refresher=uas', require: 'timer' } });
    } else if (rq.method !== 'ACK') u.respond(rq, 200, 'OK');
  });
  const names = Object.keys(carriers);
  names.forEach((n, i) => (PREFIX[n] = `3${i}`));
  sw = await startSwitch({
    ip: SW, port: 5060,
    customers: [{ name: 'cust', ips: [CALLER] }, { name: 'no-timers', ips: [CALLER_OFF], sessionTimer: false }],
    carriers: names.map((n) => ({ name: n, address: CARRIER, port: carriers[n]!.port, prefixes: [PREFIX[n]!], ...(n === 'off' ? { sessionTimer: false } : {}) })),
    params: {
      SS_SIP_SESSION_TTL: 90, SS_SIP_SESSION_UPDATE_SEGMENT: 10, SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP: 85,
      SS_SIP_NO_TIMER_REINVITE_INTERVAL: 60, SS_SIP_RESEND_INTERVAL: '0.5,0.5',
    },
  });
});

after(async () => {
  for (const u of uas) u.stop();
  await sw.stop();
});

/** Places a call from a caller UA; resolves with the INVITE, its 200 (ACKed) and when it was answered. */
async function placeCall(caller: Ua, callee: string, extra: Record<string, unknown> = {}): Promise<{ inv: SipMsg; ok: SipMsg; at: number }> {
  const inv = invite(caller, SW, 5060, callee);
  Object.assign(inv.headers, extra);
  const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  assert.equal(ok.status, 200, `call to ${callee}`);
  caller.send(ackFor(inv, ok));
  return { inv, ok, at: Date.now() };
}

function ended(callId: string, ms: number): Promise<CallRecord> {
  return waitFor(() => sw.ended.find((r) => r.callerCallId === callId), ms, `the end of call ${callId}`);
}

function bLegOf(c: Ua, callee: string): SipMsg {
  return c.received.find((r) => r.method === 'INVITE' && r.uri.includes(callee) && !r.headers.to.params?.tag);
}

describe('session timers', { concurrency: true }, () => {
  test('the caller offers 90 s and refreshes itself but never does: both legs are hung up at the expiry less EARLY_HANGUP', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.plain}0001`;
    const { inv, ok, at } = await placeCall(caller, callee, { supported: 'timer', 'session-expires': '90;refresher=uac' });
    assert.equal(ok.headers['session-expires'], '90;refresher=uac');
    assert.match(String(ok.headers.require), /timer/);
    const bInv = bLegOf(carriers.plain!, callee);
    assert.equal(bInv.headers['session-expires'], '90', 'the carrier was offered the TTL');
    assert.equal(bInv.headers['min-se'], '90');
    assert.match(String(bInv.headers.supported), /timer/);
    const byeA = await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === inv.headers['call-id'], 10_000);
    await carriers.plain!.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id'], 5000);
    const after = arrived.get(byeA)! - at;
    assert.ok(after >= 4800 && after < 7000, `hung up ${after} ms after the answer (expected ~5,000)`);
    const rec = await ended(inv.headers['call-id'], 5000);
    assert.equal(rec.endReason, 'session-timeout');
    assert.match(rec.endReasonText, /caller/);
  });

  test('a caller\'s re-INVITE is relayed and refreshes both legs; its body-less UPDATE refreshes its own leg only and is answered by the switch', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.uasRefresher}0001`;
    const { inv, ok, at } = await placeCall(caller, callee, { supported: 'timer', 'session-expires': '90;refresher=uac' });
    const c = carriers.uasRefresher!;
    const bInv = bLegOf(c, callee);
    // Both legs would expire 5 s after the answer. At 3 s a re-INVITE: relayed, both legs refreshed.
    await new Promise((r) => setTimeout(r, 3000));
    const re = inDialog('INVITE', inv, ok, 2, SDP_A.replace('40000', '40004'));
    re.headers.supported = 'timer';
    re.headers['session-expires'] = '90;refresher=uac';
    const reRs = await new Promise<SipMsg>((r) => caller.send(re, (rs) => { if (rs.status >= 200) r(rs); }));
    assert.equal(reRs.status, 200);
    assert.equal(reRs.headers['session-expires'], '90;refresher=uac', 'the caller\'s terms in its answer');
    caller.send({ ...ackFor(inv, reRs), headers: { ...ackFor(inv, reRs).headers, cseq: { method: 'ACK', seq: 2 } } });
    const bRe = c.received.find((r) => r.method === 'INVITE' && r.headers['call-id'] === bInv.headers['call-id'] && r.headers.to.params?.tag);
    assert.ok(bRe, 'the re-INVITE reached the carrier');
    assert.equal(bRe.headers['session-expires'], '90;refresher=uas', 'on the carrier\'s own terms: it refreshes');
    // At 6 s a body-less UPDATE: the caller's leg is refreshed, the carrier sees nothing.
    await new Promise((r) => setTimeout(r, 3000));
    const upd = inDialog('UPDATE', inv, ok, 3);
    upd.headers.supported = 'timer';
    upd.headers['session-expires'] = '90;refresher=uac';
    const updRs = await new Promise<SipMsg>((r) => caller.send(upd, r));
    assert.equal(updRs.status, 200);
    assert.equal(updRs.headers['session-expires'], '90;refresher=uac');
    // The carrier, the refresher of its leg, stays silent: its leg expires 5 s after the relayed
    // re-INVITE refreshed it (~8 s), while the caller's leg would have lasted to ~11 s.
    const rec = await ended(inv.headers['call-id'], 10_000);
    assert.equal(rec.endReason, 'session-timeout');
    assert.match(rec.endReasonText, /carrier/);
    const after = rec.endWall - at;
    assert.ok(after >= 7500 && after < 10_000, `ended ${after} ms after the answer (expected ~8,000)`);
    assert.equal(c.received.filter((r) => r.method === 'UPDATE').length, 0, 'the UPDATE was not relayed');
  });

  test('a carrier that leaves the refreshing to the switch and allows UPDATE gets an UPDATE every TTL/SEGMENT, without a body', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.weRefreshUpdate}0001`;
    const { inv, ok, at } = await placeCall(caller, callee);
    assert.equal(ok.headers['session-expires'], undefined, 'the caller said nothing of timers: none on its leg');
    const c = carriers.weRefreshUpdate!;
    const bInv = bLegOf(c, callee);
    const upd = await c.waitRequest((r) => r.method === 'UPDATE' && r.headers['call-id'] === bInv.headers['call-id'], 15_000);
    const after = arrived.get(upd)! - at;
    assert.ok(after >= 8800 && after < 11_000, `first refresh ${after} ms after the answer (expected ~9,000)`);
    assert.equal(upd.headers['session-expires'], '90;refresher=uac');
    assert.ok(!upd.content, 'no offer in a refresh UPDATE');
    assert.equal(caller.received.filter((r) => r.method === 'UPDATE').length, 0, 'the switch\'s own refresh is not relayed');
    caller.send(inDialog('BYE', inv, ok, 2));
    assert.equal((await ended(inv.headers['call-id'], 5000)).endReason, 'normal-clearing');
  });

  test('a carrier without UPDATE gets a re-INVITE offering the same SDP again, and the switch ACKs its 200', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.weRefreshInvite}0001`;
    const { inv, ok } = await placeCall(caller, callee);
    const c = carriers.weRefreshInvite!;
    const bInv = bLegOf(c, callee);
    const re = await c.waitRequest((r) => r.method === 'INVITE' && r.headers['call-id'] === bInv.headers['call-id'] && !!r.headers.to.params?.tag, 15_000);
    assert.equal(re.content, SDP_A, 'the SDP the carrier had, unchanged');
    assert.equal(re.headers['session-expires'], '90;refresher=uac');
    await c.waitRequest((r) => r.method === 'ACK' && r.headers['call-id'] === bInv.headers['call-id'] && r.headers.cseq.seq === re.headers.cseq.seq, 3000);
    assert.equal(caller.received.filter((r) => r.method === 'INVITE').length, 0, 'nothing reached the caller');
    caller.send(inDialog('BYE', inv, ok, 2));
    assert.equal((await ended(inv.headers['call-id'], 5000)).endReason, 'normal-clearing');
  });

  test('a refresh answered 481 ends the call on both legs with reason session-timeout', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.gone}0001`;
    const { inv } = await placeCall(caller, callee);
    await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === inv.headers['call-id'], 15_000);
    const rec = await ended(inv.headers['call-id'], 5000);
    assert.equal(rec.endReason, 'session-timeout');
    assert.match(rec.endReasonText, /481/);
  });

  test('a carrier that takes the refreshing (refresher=uas) and never refreshes is hung up at the expiry less EARLY_HANGUP', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.silentRefresher}0001`;
    const { inv, at } = await placeCall(caller, callee);
    const c = carriers.silentRefresher!;
    const bInv = bLegOf(c, callee);
    const bye = await c.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id'], 10_000);
    const after = arrived.get(bye)! - at;
    assert.ok(after >= 4800 && after < 7000, `hung up ${after} ms after the answer`);
    await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === inv.headers['call-id'], 3000);
    const rec = await ended(inv.headers['call-id'], 5000);
    assert.equal(rec.endReason, 'session-timeout');
    assert.match(rec.endReasonText, /carrier/);
  });

  test('a carrier\'s 422 gets the INVITE again with its Min-SE, and the call connects', async () => {
    const caller = ua(CALLER, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.minSe}0001`;
    const { inv, ok } = await placeCall(caller, callee);
    const invs = carriers.minSe!.received.filter((r) => r.method === 'INVITE' && r.uri.includes(callee));
    assert.equal(invs.length, 2);
    assert.equal(invs[0].headers['session-expires'], '90');
    assert.equal(invs[1].headers['session-expires'], '120');
    assert.equal(invs[1].headers['min-se'], '120');
    assert.equal(invs[1].headers.cseq.seq, 2);
    assert.equal(invs[1].headers['call-id'], invs[0].headers['call-id']);
    assert.notEqual(invs[1].headers.via[0].params.branch, invs[0].headers.via[0].params.branch);
    caller.send(inDialog('BYE', inv, ok, 2));
    const rec = await ended(inv.headers['call-id'], 5000);
    assert.equal(rec.endReason, 'normal-clearing');
    assert.equal(rec.attempts.length, 1, 'one attempt, not a failover');
  });

  test('session timers off on both gateways: the INVITE offers none, the 200 carries none, and nothing expires or is checked', async () => {
    const caller = ua(CALLER_OFF, (rq, u) => { if (rq.method !== 'ACK') u.respond(rq, 200, 'OK'); });
    const callee = `${PREFIX.off}0001`;
    // The caller would refresh itself and the carrier says it refreshes: neither does, and neither leg is hung up.
    const { inv, ok } = await placeCall(caller, callee, { supported: 'timer', 'session-expires': '90;refresher=uac' });
    assert.equal(ok.headers['session-expires'], undefined);
    assert.equal(ok.headers.require, undefined);
    const c = carriers.off!;
    const bInv = bLegOf(c, callee);
    assert.equal(bInv.headers['session-expires'], undefined);
    assert.equal(bInv.headers['min-se'], undefined);
    assert.doesNotMatch(String(bInv.headers.supported ?? ''), /timer/);
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(sw.ended.find((r) => r.callerCallId === inv.headers['call-id']), undefined, 'still up after both 5 s expiries');
    assert.equal(c.received.filter((r) => r.method !== 'INVITE' && r.method !== 'ACK' && r.headers['call-id'] === bInv.headers['call-id']).length, 0);
    caller.send(inDialog('BYE', inv, ok, 2));
    assert.equal((await ended(inv.headers['call-id'], 5000)).endReason, 'normal-clearing');
  });

  test('a caller offering less than 90 s gets 422 with Min-SE: 90 and nothing is routed', async () => {
    const caller = ua(CALLER, () => {});
    const callee = `${PREFIX.plain}0422`;
    const inv = invite(caller, SW, 5060, callee);
    inv.headers.supported = 'timer';
    inv.headers['session-expires'] = '60';
    const rs = await new Promise<SipMsg>((resolve) => caller.send(inv, (r) => { if (r.status >= 200) resolve(r); }));
    assert.equal(rs.status, 422);
    assert.equal(rs.headers['min-se'], '90');
    assert.equal(bLegOf(carriers.plain!, callee), undefined);
  });

  test('without session timers on either side, each leg gets a liveness re-INVITE after NO_TIMER_REINVITE_INTERVAL; a caller answering 481 ends the call', { timeout: 90_000 }, async () => {
    const caller = ua(CALLER, (rq, u) => {
      if (rq.method === 'INVITE') u.respond(rq, 481, 'Call/Transaction Does Not Exist');
      else if (rq.method !== 'ACK') u.respond(rq, 200, 'OK');
    });
    const callee = `${PREFIX.plain}0060`;
    const { inv, at } = await placeCall(caller, callee);
    const c = carriers.plain!;
    const bInv = bLegOf(c, callee);
    const reB = await c.waitRequest((r) => r.method === 'INVITE' && r.headers['call-id'] === bInv.headers['call-id'] && !!r.headers.to.params?.tag, 70_000);
    const reA = await caller.waitRequest((r) => r.method === 'INVITE' && r.headers['call-id'] === inv.headers['call-id'], 5000);
    for (const re of [reA, reB]) {
      const after = arrived.get(re)! - at;
      assert.ok(after >= 59_500 && after < 63_000, `liveness re-INVITE ${after} ms after the answer (expected ~60,000)`);
      assert.equal(re.headers['session-expires'], undefined, 'a plain re-INVITE');
    }
    assert.equal(reA.content, SDP_B, 'the caller is offered the SDP it has');
    assert.equal(reB.content, SDP_A);
    const rec = await ended(inv.headers['call-id'], 5000);
    assert.equal(rec.endReason, 'session-timeout');
    await c.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id'], 3000);
  });
});

test('refreshes the switch sent are counted by outcome (ssw_session_refreshes_total)', () => {
  const r = sw.sw.b2bua.counters.refreshes;
  // An UPDATE and a re-INVITE answered 200; an UPDATE and a liveness re-INVITE answered 481 (each ended its call).
  assert.ok(r.ok >= 2, `ok ${r.ok}`);
  assert.ok(r.gone >= 2, `gone ${r.gone}`);
});
