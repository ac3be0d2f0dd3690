// The B2BUA end to end with the npm `sip` package as caller and as carriers, over loopback UDP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { createUa, invite, ackFor, inDialog, calleeRequest, uniq, SDP_A, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';

const SW = '127.0.0.10';
const SWP = 5060;
let sw: RunningSwitch;
let caller: Ua;
let carrierA: Ua;
let carrierB: Ua;
let carrierC: Ua; // takes numbers starting 99, listens on UDP and TCP
type Behaviour = (rq: SipMsg, ua: Ua) => void;
let behaveA: Behaviour;
let behaveB: Behaviour;

const answer = (tag = uniq('tt')): Behaviour => (rq, ua) => {
  if (rq.method === 'INVITE') {
    ua.respond(rq, 180, 'Ringing', { toTag: tag });
    ua.respond(rq, 200, 'OK', { toTag: tag, contact: `sip:carrier@${ua.address}:${ua.port}`, content: SDP_B });
  } else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
};

before(async () => {
  sw = await startSwitch({
    ip: SW, port: SWP,
    customers: [{ name: 'cust', ips: ['127.0.0.11'] }],
    carriers: [
      { name: 'carrier-a', address: '127.0.0.12', port: 5080, priority: 1 },
      { name: 'carrier-b', address: '127.0.0.13', port: 5081, priority: 2 },
      { name: 'carrier-c', address: '127.0.0.14', port: 5082, priority: 3, prefixes: ['99'] },
    ],
    params: { SS_SIP_TIMEOUT_INVITE: 2 },
  });
  caller = createUa('127.0.0.11', 5070, (rq, ua) => { if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK'); });
  carrierA = createUa('127.0.0.12', 5080, (rq, ua) => behaveA(rq, ua));
  carrierB = createUa('127.0.0.13', 5081, (rq, ua) => behaveB(rq, ua));
  carrierC = createUa('127.0.0.14', 5082, (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'c' }); }, { tcp: true });
});

after(async () => {
  caller.stop();
  carrierA.stop();
  carrierB.stop();
  carrierC.stop();
  await sw.stop();
});

/** Sends an INVITE and collects its responses; resolves at the first final. */
function call(inv: SipMsg): { responses: SipMsg[]; final: Promise<SipMsg> } {
  const responses: SipMsg[] = [];
  let resolve!: (rs: SipMsg) => void;
  const final = new Promise<SipMsg>((r) => (resolve = r));
  caller.send(inv, (rs) => {
    responses.push(rs);
    if (rs.status >= 200) resolve(rs);
  });
  return { responses, final };
}

test('basic call: 180 and 200 relayed, both ACKs sent, BYE ends both legs, topology hidden', async () => {
  behaveA = answer('carrier-tag-1');
  behaveB = () => assert.fail('carrier-b must not be tried');
  const inv = invite(caller, SW, SWP, '4412345');
  const c = call(inv);
  const ok = await c.final;
  assert.equal(ok.status, 200);
  assert.ok(c.responses.some((r) => r.status === 100), '100 Trying sent');
  const ringing = c.responses.find((r) => r.status === 180);
  assert.ok(ringing, '180 relayed');
  // One To tag on the caller's side for 180 and 200: ours, not the carrier's.
  assert.equal(ringing.headers.to.params.tag, ok.headers.to.params.tag);
  assert.notEqual(ok.headers.to.params.tag, 'carrier-tag-1');
  assert.equal(ok.content, SDP_B);
  // The carrier saw a new leg: another Call-ID, our From tag, the body passed through.
  const bInv = await carrierA.waitRequest((r) => r.method === 'INVITE' && r.headers.to.uri.includes('4412345'));
  assert.notEqual(bInv.headers['call-id'], inv.headers['call-id']);
  assert.notEqual(bInv.headers.from.params.tag, inv.headers.from.params.tag);
  assert.equal(bInv.content, SDP_A);
  assert.equal(bInv.headers.via.length, 1, 'the carrier sees only our Via');
  assert.ok(!JSON.stringify(bInv.headers).includes('127.0.0.11'), 'no caller address leaks to the carrier');
  assert.ok(!JSON.stringify(ok.headers).includes('127.0.0.12'), 'no carrier address leaks to the caller');
  assert.equal(Number(bInv.headers['max-forwards']), 69);
  // The carrier receives our ACK of its 200.
  await carrierA.waitRequest((r) => r.method === 'ACK' && r.headers['call-id'] === bInv.headers['call-id']);
  caller.send(ackFor(inv, ok));
  // Caller hangs up.
  const byeRs = await new Promise<SipMsg>((r) => caller.send(inDialog('BYE', inv, ok, 2), r));
  assert.equal(byeRs.status, 200);
  const bye = await carrierA.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id']);
  assert.equal(bye.headers.to.params.tag, 'carrier-tag-1');
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'normal-clearing');
  assert.equal(rec.endDirection, 0);
  assert.equal(rec.attempts.length, 1);
  assert.equal(rec.callerSipCode, 200);
  assert.ok(rec.answerWall > 0);
  assert.equal(rec.callee.received, '4412345');
});

test('busy: the carrier\'s 486 is relayed and no other carrier is tried', async () => {
  behaveA = (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'busy' }); };
  behaveB = () => assert.fail('no failover after busy');
  const c = call(invite(caller, SW, SWP, '4455501'));
  const rs = await c.final;
  assert.equal(rs.status, 486);
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'callee-failure');
  assert.equal(rec.calleeSipCode, 486);
  assert.equal(rec.attempts.length, 1);
});

test('failover: carrier-a answers 503, carrier-b takes the call; the caller sees one call', async () => {
  behaveA = (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 503, 'Service Unavailable', { toTag: 'x' }); };
  behaveB = answer('carrier-b-tag');
  const inv = invite(caller, SW, SWP, '4455502');
  const c = call(inv);
  const ok = await c.final;
  assert.equal(ok.status, 200);
  assert.ok(c.responses.every((r) => r.status < 300), 'no 503 leaked to the caller');
  caller.send(ackFor(inv, ok));
  caller.send(inDialog('BYE', inv, ok, 2));
  const rec = await sw.nextEnded();
  assert.equal(rec.attempts.length, 2);
  assert.equal(rec.attempts[0]!.status, 503);
  assert.equal(rec.attempts[1]!.gateway.name, 'carrier-b');
});

test('CANCEL before answer: 487 to the caller, CANCEL to the carrier', async () => {
  let bRq: SipMsg = null;
  behaveA = (rq, ua) => {
    if (rq.method === 'INVITE') {
      bRq = rq;
      ua.respond(rq, 180, 'Ringing', { toTag: 'ring' });
    } else if (rq.method === 'CANCEL') {
      ua.respond(rq, 200, 'OK');
      ua.respond(bRq, 487, 'Request Terminated', { toTag: 'ring' });
    }
  };
  const inv = invite(caller, SW, SWP, '4455503');
  const c = call(inv);
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => { if (c.responses.some((r) => r.status === 180)) { clearInterval(iv); resolve(); } }, 10);
  });
  const cancel: SipMsg = {
    method: 'CANCEL', uri: inv.uri,
    headers: { to: inv.headers.to, from: inv.headers.from, 'call-id': inv.headers['call-id'], cseq: { method: 'CANCEL', seq: 1 }, via: inv.headers.via, 'max-forwards': 70 },
  };
  const cancelRs = await new Promise<SipMsg>((r) => caller.send(cancel, r));
  assert.equal(cancelRs.status, 200);
  const fin = await c.final;
  assert.equal(fin.status, 487);
  await carrierA.waitRequest((r) => r.method === 'CANCEL' && r.headers['call-id'] === bRq.headers['call-id']);
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'caller-cancel');
  assert.equal(rec.callerSipCode, 487);
});

test('callee hang-up: the carrier\'s BYE reaches the caller in the caller\'s dialog', async () => {
  let bRq: SipMsg = null;
  behaveA = (rq, ua) => {
    if (rq.method === 'INVITE') {
      bRq = rq;
      ua.respond(rq, 200, 'OK', { toTag: 'cb', contact: `sip:carrier@${ua.address}:${ua.port}`, content: SDP_B });
    }
  };
  const inv = invite(caller, SW, SWP, '4455504');
  const ok = await call(inv).final;
  caller.send(ackFor(inv, ok));
  await carrierA.waitRequest((r) => r.method === 'ACK' && r.headers['call-id'] === bRq.headers['call-id']);
  const byeRs = await new Promise<SipMsg>((r) => carrierA.send(calleeRequest('BYE', bRq, 'cb', 1), r));
  assert.equal(byeRs.status, 200);
  const bye = await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === inv.headers['call-id']);
  assert.equal(bye.headers.from.params.tag, ok.headers.to.params.tag, 'From tag is our tag of the caller dialog');
  assert.equal(bye.headers.to.params.tag, inv.headers.from.params.tag);
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'normal-clearing');
  assert.equal(rec.endDirection, 1);
});

test('re-INVITE is relayed to the other leg with its answer and ACKed on both', async () => {
  let bRq: SipMsg = null;
  behaveA = (rq, ua) => {
    if (rq.method === 'INVITE' && !rq.headers.to.params?.tag) {
      bRq = rq;
      ua.respond(rq, 200, 'OK', { toTag: 'ri', contact: `sip:carrier@${ua.address}:${ua.port}`, content: SDP_B });
    } else if (rq.method === 'INVITE') {
      ua.respond(rq, 200, 'OK', { contact: `sip:carrier@${ua.address}:${ua.port}`, content: SDP_B.replace('50000', '50002') });
    } else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  };
  const inv = invite(caller, SW, SWP, '4455505');
  const ok = await call(inv).final;
  caller.send(ackFor(inv, ok));
  const reinv = inDialog('INVITE', inv, ok, 2, SDP_A.replace('40000', '40002'));
  const reRs = await new Promise<SipMsg>((resolve) => caller.send(reinv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  assert.equal(reRs.status, 200);
  assert.ok(reRs.content.includes('50002'), 'the carrier\'s new SDP reached the caller');
  const bRe = await carrierA.waitRequest((r) => r.method === 'INVITE' && r.headers.to.params?.tag === 'ri' && r.headers.cseq.seq === 2);
  assert.equal(bRe.headers['call-id'], bRq.headers['call-id']);
  assert.ok(bRe.content.includes('40002'), 'the caller\'s new SDP reached the carrier');
  assert.equal(bRe.headers.cseq.seq, 2);
  await carrierA.waitRequest((r) => r.method === 'ACK' && r.headers.cseq.seq === 2 && r.headers['call-id'] === bRq.headers['call-id']);
  caller.send({ ...ackFor(inv, reRs), headers: { ...ackFor(inv, reRs).headers, cseq: { method: 'ACK', seq: 2 } } });
  // INFO in the dialog too.
  const infoRs = await new Promise<SipMsg>((r) => caller.send(inDialog('INFO', inv, ok, 3), r));
  assert.equal(infoRs.status, 200);
  await carrierA.waitRequest((r) => r.method === 'INFO' && r.headers['call-id'] === bRq.headers['call-id']);
  caller.send(inDialog('BYE', inv, ok, 4));
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'normal-clearing');
});

test('lost ACK: the 200 is retransmitted until the caller ACKs it', async () => {
  behaveA = answer('lost');
  const inv = invite(caller, SW, SWP, '4455506');
  const oks: SipMsg[] = [];
  let got2 = false;
  const okP = new Promise<SipMsg>((resolve) => {
    caller.send(inv, (rs) => {
      if (rs.status === 200) {
        oks.push(rs);
        // Ignore the first 200 (its ACK is "lost"); ACK the retransmission.
        if (oks.length === 2 && !got2) {
          got2 = true;
          resolve(rs);
        }
      }
    });
  });
  const ok = await okP;
  caller.send(ackFor(inv, ok));
  assert.ok(oks.length >= 2);
  assert.ok([...sw.sw.b2bua.calls].some((c) => c.rec.callerCallId === inv.headers['call-id'] && c.state === 2), 'the call is up after the late ACK');
  await new Promise((r) => setTimeout(r, 1200));
  const n = oks.length;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(oks.length, n, 'retransmissions stop once ACKed');
  caller.send(inDialog('BYE', inv, ok, 2));
  const rec = await sw.nextEnded();
  assert.equal(rec.endReason, 'normal-clearing');
});

test('unknown source IP: 403 and no routing', async () => {
  const stranger = createUa('127.0.0.66', 5070);
  try {
    const rs = await new Promise<SipMsg>((resolve) => stranger.send(invite(stranger, SW, SWP, '4455507'), (r) => { if (r.status >= 200) resolve(r); }));
    assert.equal(rs.status, 403);
    await new Promise((r) => setTimeout(r, 100));
    const tried = [...carrierA.received, ...carrierB.received].filter((r) => r.method === 'INVITE' && String(r.uri).includes('4455507'));
    assert.equal(tried.length, 0, 'no carrier was tried');
    assert.equal(sw.sw.b2bua.counters.forbidden >= 1, true);
  } finally {
    stranger.stop();
  }
});

test('no carrier answers: phase timeout, failover to the next, then 503 to the caller', async () => {
  behaveA = () => {};
  behaveB = () => {};
  const c = call(invite(caller, SW, SWP, '4455508'));
  await c.final;
  const rec = await sw.nextEnded(10_000);
  assert.equal(rec.attempts.length, 2);
  assert.equal(rec.endReason, 'connection-timeout');
  // What went to the caller (the npm sip client turns any 503 into its own).
  assert.equal(rec.callerSipCode, 503);
});

test('OPTIONS to the switch itself is answered 200 with Allow', async () => {
  const rs = await new Promise<SipMsg>((resolve) => caller.send({
    method: 'OPTIONS', uri: `sip:${SW}:${SWP}`,
    headers: { to: { uri: `sip:${SW}` }, from: { uri: 'sip:probe@127.0.0.11', params: { tag: uniq('o') } }, 'call-id': uniq('opt'), cseq: { method: 'OPTIONS', seq: 1 }, 'max-forwards': 70 },
  }, resolve));
  assert.equal(rs.status, 200);
  assert.match(rs.headers.allow, /INVITE/);
});

const BIG_SDP = SDP_A + Array.from({ length: 40 }, (_, i) => `a=x-pad${i}:${'p'.repeat(30)}\r\n`).join('');

test('a request too large for UDP goes to the carrier over TCP (RFC 3261 18.1.1)', async () => {
  assert.ok(BIG_SDP.length > 1300);
  const rs = await call(invite(caller, SW, SWP, '99123', { sdp: BIG_SDP })).final;
  assert.equal(rs.status, 486);
  const bInv = await carrierC.waitRequest((r) => r.method === 'INVITE' && String(r.uri).includes('99123'));
  assert.equal(bInv.headers.via[0].protocol, 'TCP');
  assert.equal(bInv.content, BIG_SDP);
  await sw.nextEnded();
});

test('a carrier that refuses TCP gets the large request over UDP instead', async () => {
  behaveA = (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'a' }); };
  const rs = await call(invite(caller, SW, SWP, '4455509', { sdp: BIG_SDP })).final;
  assert.equal(rs.status, 486);
  const bInv = await carrierA.waitRequest((r) => r.method === 'INVITE' && String(r.uri).includes('4455509'));
  assert.equal(bInv.headers.via[0].protocol, 'UDP');
  assert.equal(bInv.content, BIG_SDP);
  const rec = await sw.nextEnded();
  assert.equal(rec.attempts.length, 1);
});
