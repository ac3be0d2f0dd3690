// RFC 3261 corners of the signaling core, on a running switch, checked on the wire: a server that
// owns two addresses, merged requests and loops (482), Max-Forwards (483), UPDATE and OPTIONS
// inside a dialog from either side, and responses over TCP once the caller's connection is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { createUa, invite, ackFor, inDialog, calleeRequest, uniq, SDP_A, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { waitFor } from '../helpers/wait.js';
import { statusOf } from '../helpers/raw.js';

const SW = '127.0.0.95'; // first listen address: UDP and TCP on 5060
const SW2 = '127.0.0.96'; // second listen address: UDP on 5062
const CALLER = '127.0.0.97';
const CARRIER = '127.0.0.98';
const TCP_CALLER = '127.0.0.99';
const RAW_CARRIER = '127.0.0.100';
let sw: RunningSwitch;
let carrier: Ua;
type Behaviour = (rq: SipMsg, ua: Ua) => void;
let behave: Behaviour;

before(async () => {
  sw = await startSwitch({
    ip: SW, port: 5060, transports: ['udp', 'tcp'],
    moreListen: [{ ip: SW2, port: 5062, transports: ['udp'] }],
    // The switch's own address is a customer too, so a looped INVITE gets past ingress to the loop check.
    customers: [{ name: 'cust', ips: [CALLER, TCP_CALLER, SW] }],
    carriers: [
      { name: 'carrier', address: CARRIER, port: 5080, prefixes: ['44'] },
      { name: 'second-ip', address: CARRIER, port: 5080, prefixes: ['55'], localIp: SW2 },
      // Misconfigured: points at the switch itself.
      { name: 'loop', address: SW, port: 5060, prefixes: ['77'] },
      // A carrier played by a raw socket, for what the npm sip package would do on its own.
      { name: 'raw', address: RAW_CARRIER, port: 5080, prefixes: ['66'] },
    ],
  });
  carrier = createUa(CARRIER, 5080, (rq, ua) => behave(rq, ua));
});

after(async () => {
  carrier.stop();
  await sw.stop();
});

const answer = (tag: string): Behaviour => (rq, ua) => {
  if (rq.method === 'INVITE' && !rq.headers.to.params?.tag) ua.respond(rq, 200, 'OK', { toTag: tag, contact: `sip:c@${CARRIER}:5080`, content: SDP_B });
  else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
};

/** A raw UDP socket that keeps every datagram it gets, with its source. */
async function rawSocket(ip: string): Promise<{ s: dgram.Socket; port: number; got: Array<{ text: string; from: string; fromPort: number }>; close(): void }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  const got: Array<{ text: string; from: string; fromPort: number }> = [];
  s.on('message', (b, ri) => got.push({ text: b.toString('latin1'), from: ri.address, fromPort: ri.port }));
  return { s, port: s.address().port, got, close: () => s.close() };
}

function inviteText(o: { via: string; callId: string; fromTag: string; callee: string; to: string; toPort: number; maxForwards?: number; contact: string }): string {
  return `INVITE sip:${o.callee}@${o.to}:${o.toPort} SIP/2.0\r\nVia: ${o.via}\r\nMax-Forwards: ${o.maxForwards ?? 70}\r\n` +
    `From: <sip:1000@${CALLER}>;tag=${o.fromTag}\r\nTo: <sip:${o.callee}@${o.to}>\r\nCall-ID: ${o.callId}\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <${o.contact}>\r\nContent-Length: 0\r\n\r\n`;
}

/** A response to a raw request text: its Via, From, To (plus `toTag`), Call-ID and CSeq echoed. */
function rawResponse(req: string, status: string, toTag = '', tail = 'Content-Length: 0\r\n\r\n'): string {
  const h = (n: string) => new RegExp(`^${n}: .*$`, 'mi').exec(req)![0].replace(/\r$/, '');
  return `SIP/2.0 ${status}\r\n${h('Via')}\r\n${h('From')}\r\n${h('To')}${toTag ? `;tag=${toTag}` : ''}\r\n${h('Call-ID')}\r\n${h('CSeq')}\r\n${tail}`;
}

/** A caller over TCP: a socket listening on `listenPort` (the port its Via or Contact names) and a connection to the switch. */
async function tcpCaller(listenPort: number, onRequest?: (text: string, s: net.Socket) => void) {
  const listened: string[] = [];
  const server = net.createServer((s) => s.on('data', (b) => {
    const text = b.toString('latin1');
    listened.push(text);
    onRequest?.(text, s);
  }));
  await new Promise<void>((r) => server.listen(listenPort, TCP_CALLER, () => r()));
  const client = net.connect({ host: SW, port: 5060, localAddress: TCP_CALLER });
  const onConn: string[] = [];
  client.on('data', (b) => onConn.push(b.toString('latin1')));
  client.on('error', () => {});
  await new Promise<void>((r) => client.once('connect', () => r()));
  return { listened, onConn, client, close: () => { client.destroy(); server.close(); } };
}

test('a server owning two addresses answers on the one a request came to, and a carrier\'s localIp picks where its calls leave from', async () => {
  behave = answer('two');
  const raw = await rawSocket(CALLER);
  try {
    const id = uniq('two');
    raw.s.send(inviteText({ via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id};rport`, callId: id, fromTag: id, callee: '5512345', to: SW2, toPort: 5062, contact: `sip:1000@${CALLER}:${raw.port}` }), 5062, SW2);
    const ok = await waitFor(() => raw.got.find((m) => statusOf(m.text) === 200), 5000, '200 from the second address');
    assert.deepEqual([ok.from, ok.fromPort], [SW2, 5062], 'answered from the address and port the INVITE came to');
    const trying = raw.got.find((m) => statusOf(m.text) === 100)!;
    assert.deepEqual([trying.from, trying.fromPort], [SW2, 5062]);
    assert.match(ok.text, new RegExp(`^Contact: <sip:([^>@]*@)?${SW2.replace(/\./g, '\\.')}:5062[;>]`, 'm'), 'our Contact names the second address');
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.uri.includes('5512345'));
    assert.equal(bInv.headers.via[0].params.received ?? bInv.headers.via[0].host, SW2, 'the carrier leg left from localIp');
    assert.equal(bInv.headers.via[0].host, SW2);
    assert.equal(bInv.headers.via[0].port, 5062);
    // ACK and BYE to the second address end the call on both legs.
    const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(ok.text)![1];
    const dlg = `From: <sip:1000@${CALLER}>;tag=${id}\r\nTo: <sip:5512345@${SW2}>;tag=${toTag}\r\nCall-ID: ${id}\r\n`;
    raw.s.send(`ACK sip:x@${SW2}:5062 SIP/2.0\r\nVia: SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id}a;rport\r\nMax-Forwards: 70\r\n${dlg}CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`, 5062, SW2);
    raw.s.send(`BYE sip:x@${SW2}:5062 SIP/2.0\r\nVia: SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id}b;rport\r\nMax-Forwards: 70\r\n${dlg}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`, 5062, SW2);
    await carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === bInv.headers['call-id']);
    const byeOk = await waitFor(() => raw.got.find((m) => statusOf(m.text) === 200 && /^CSeq: 2 BYE/m.test(m.text)), 5000, '200 to BYE');
    assert.equal(byeOk.from, SW2);
    const rec = await sw.nextEnded();
    assert.equal(rec.endReason, 'normal-clearing');
  } finally {
    raw.close();
  }
});

test('a merged request (same From tag, Call-ID and CSeq on another branch) gets 482; the first goes on alone', async () => {
  let invites = 0;
  behave = (rq, ua) => {
    if (rq.method === 'INVITE') {
      invites++;
      setTimeout(() => ua.respond(rq, 486, 'Busy Here', { toTag: 'mg' }), 300);
    }
  };
  const raw = await rawSocket(CALLER);
  try {
    const id = uniq('merge');
    const base = { callId: id, fromTag: id, callee: '4400001', to: SW, toPort: 5060, contact: `sip:1000@${CALLER}:${raw.port}` };
    raw.s.send(inviteText({ ...base, via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id}-1;rport` }), 5060, SW);
    // The same request forked upstream, arriving by a second path.
    raw.s.send(inviteText({ ...base, via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id}-2;rport` }), 5060, SW);
    const merged = await waitFor(() => raw.got.find((m) => m.text.includes(`branch=z9hG4bK${id}-2`) && statusOf(m.text) >= 200), 3000, 'final on branch 2');
    assert.equal(statusOf(merged.text), 482);
    const first = await waitFor(() => raw.got.find((m) => m.text.includes(`branch=z9hG4bK${id}-1;`) && statusOf(m.text) >= 200), 5000, 'final on branch 1');
    assert.equal(statusOf(first.text), 486, 'the first INVITE reached the carrier and got its answer');
    assert.equal(invites, 1, 'the carrier saw one INVITE');
    assert.equal(raw.got.filter((m) => m.text.includes(`branch=z9hG4bK${id}-2`) && statusOf(m.text) === 100).length, 0, 'no 100 Trying for the merged one');
    await sw.nextEnded();
  } finally {
    raw.close();
  }
});

test('Max-Forwards: 0 is refused with 483 before routing; 1 reaches the carrier as 0', async () => {
  let seen: SipMsg = null;
  behave = (rq, ua) => {
    if (rq.method === 'INVITE') {
      seen = rq;
      ua.respond(rq, 486, 'Busy Here', { toTag: 'mf' });
    }
  };
  const raw = await rawSocket(CALLER);
  try {
    const id = uniq('mf0');
    raw.s.send(inviteText({ via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id};rport`, callId: id, fromTag: id, callee: '4400002', to: SW, toPort: 5060, maxForwards: 0, contact: `sip:1000@${CALLER}` }), 5060, SW);
    const r0 = await waitFor(() => raw.got.find((m) => m.text.includes(id) && statusOf(m.text) >= 200), 3000, '483');
    assert.equal(statusOf(r0.text), 483);
    assert.equal(seen, null, 'nothing routed');
    const id1 = uniq('mf1');
    raw.s.send(inviteText({ via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id1};rport`, callId: id1, fromTag: id1, callee: '4400003', to: SW, toPort: 5060, maxForwards: 1, contact: `sip:1000@${CALLER}` }), 5060, SW);
    const r1 = await waitFor(() => raw.got.find((m) => m.text.includes(id1) && statusOf(m.text) >= 200), 5000, 'final');
    assert.equal(statusOf(r1.text), 486);
    assert.equal(Number((seen as SipMsg).headers['max-forwards']), 0);
    await sw.nextEnded();
  } finally {
    raw.close();
  }
});

test('a carrier that points back at the switch: the looped INVITE gets 482 and the caller a final answer, no second round', async () => {
  const raw = await rawSocket(CALLER);
  try {
    const id = uniq('loop');
    raw.s.send(inviteText({ via: `SIP/2.0/UDP ${CALLER}:${raw.port};branch=z9hG4bK${id};rport`, callId: id, fromTag: id, callee: '7700001', to: SW, toPort: 5060, contact: `sip:1000@${CALLER}` }), 5060, SW);
    const fin = await waitFor(() => raw.got.find((m) => m.text.includes(id) && statusOf(m.text) >= 200), 5000, 'final');
    assert.equal(statusOf(fin.text), 482);
    // Two calls took part (the caller's and the looped one); the looped one was refused, so no third.
    await new Promise((r) => setTimeout(r, 300));
    const rec = await sw.nextEnded();
    assert.equal(rec.callerCallId, id);
    assert.equal(sw.sw.b2bua.calls.size, 0);
  } finally {
    raw.close();
  }
});

test('UPDATE and OPTIONS inside a dialog are relayed both ways with their answers', async () => {
  behave = answer('upd');
  const caller = createUa(CALLER, 5071, (rq, ua) => { if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK', rq.method === 'UPDATE' ? { content: SDP_B, contact: `sip:1000@${CALLER}:5071` } : {}); });
  try {
    const inv = invite(caller, SW, 5060, '4400004');
    const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    caller.send(ackFor(inv, ok));
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.uri.includes('4400004'));
    const bCid = bInv.headers['call-id'];
    // Caller -> carrier.
    const upd = inDialog('UPDATE', inv, ok, 2, 'v=0\r\no=caller 1 2 IN IP4 127.0.0.97\r\ns=-\r\nc=IN IP4 127.0.0.97\r\nt=0 0\r\nm=audio 40010 RTP/AVP 0\r\n');
    const updRs = await new Promise<SipMsg>((r) => caller.send(upd, r));
    assert.equal(updRs.status, 200);
    const bUpd = await carrier.waitRequest((r) => r.method === 'UPDATE' && r.headers['call-id'] === bCid);
    assert.ok(bUpd.content.includes('40010'), 'the UPDATE\'s SDP reached the carrier');
    assert.equal(bUpd.headers.to.params.tag, 'upd');
    const optRs = await new Promise<SipMsg>((r) => caller.send(inDialog('OPTIONS', inv, ok, 3), r));
    assert.equal(optRs.status, 200);
    await carrier.waitRequest((r) => r.method === 'OPTIONS' && r.headers['call-id'] === bCid);
    // Carrier -> caller, in the caller's dialog.
    const cUpdRs = await new Promise<SipMsg>((r) => carrier.send({ ...calleeRequest('UPDATE', bInv, 'upd', 1), content: SDP_B.replace('50000', '50020'), headers: { ...calleeRequest('UPDATE', bInv, 'upd', 1).headers, 'content-type': 'application/sdp', contact: [{ uri: `sip:c@${CARRIER}:5080` }] } }, r));
    assert.equal(cUpdRs.status, 200);
    assert.ok(cUpdRs.content?.includes('a=') || cUpdRs.content?.includes('m=audio'), 'the caller\'s answer SDP came back to the carrier');
    const aUpd = await caller.waitRequest((r) => r.method === 'UPDATE' && r.headers['call-id'] === inv.headers['call-id']);
    assert.ok(aUpd.content.includes('50020'));
    assert.equal(aUpd.headers.to.params.tag, inv.headers.from.params.tag, 'sent in the caller\'s dialog');
    assert.ok(!JSON.stringify(aUpd.headers).includes(CARRIER), 'the carrier\'s address is hidden from the caller');
    const cOptRs = await new Promise<SipMsg>((r) => carrier.send(calleeRequest('OPTIONS', bInv, 'upd', 2), r));
    assert.equal(cOptRs.status, 200);
    await caller.waitRequest((r) => r.method === 'OPTIONS' && r.headers['call-id'] === inv.headers['call-id']);
    caller.send(inDialog('BYE', inv, ok, 4));
    const rec = await sw.nextEnded();
    assert.equal(rec.endReason, 'normal-clearing');
  } finally {
    caller.stop();
  }
});

test('TCP: once the caller closed its connection, the final response goes over a new connection to the Via\'s sent-by port (RFC 3261 18.2.2)', async () => {
  behave = (rq, ua) => {
    if (rq.method === 'INVITE') setTimeout(() => ua.respond(rq, 486, 'Busy Here', { toTag: 'tc' }), 400);
  };
  // The caller's listening port, named in its Via.
  const { listened, onConn, client, close } = await tcpCaller(5090);
  const id = uniq('tcp');
  try {
    client.write(inviteText({ via: `SIP/2.0/TCP ${TCP_CALLER}:5090;branch=z9hG4bK${id};rport`, callId: id, fromTag: id, callee: '4400005', to: SW, toPort: 5060, contact: `sip:1000@${TCP_CALLER}:5090;transport=tcp` }));
    await waitFor(() => onConn.find((m) => statusOf(m) === 100), 3000, '100 Trying on the connection');
    client.destroy();
    const fin = await waitFor(() => listened.join('').match(/^SIP\/2\.0 486[^]*?\r\n\r\n/m), 5000, '486 on a new connection');
    assert.match(fin[0], new RegExp(`^Call-ID: ${id}\\r$`, 'm'));
    assert.equal(onConn.filter((m) => statusOf(m) === 486).length, 0);
    await sw.nextEnded();
  } finally {
    close();
  }
});

test('TCP: a request to a caller whose connection closed opens a new connection to the port its Contact names', async () => {
  behave = answer('tcb');
  // Answers the BYE on the connection it came on.
  const { listened, onConn, client, close } = await tcpCaller(5091, (text, s) => { if (text.startsWith('BYE ')) s.write(rawResponse(text, '200 OK')); });
  const id = uniq('tcb');
  try {
    client.write(inviteText({ via: `SIP/2.0/TCP ${TCP_CALLER}:${client.localPort};branch=z9hG4bK${id};rport`, callId: id, fromTag: id, callee: '4400006', to: SW, toPort: 5060, contact: `sip:1000@${TCP_CALLER}:5091;transport=tcp` }));
    const ok = await waitFor(() => onConn.join('').match(/^SIP\/2\.0 200[^]*?\r\n\r\n/m), 3000, '200 on the connection');
    const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(ok[0])![1];
    client.write(`ACK sip:x@${SW}:5060;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP ${TCP_CALLER}:${client.localPort};branch=z9hG4bK${id}a\r\nMax-Forwards: 70\r\n` +
      `From: <sip:1000@${CALLER}>;tag=${id}\r\nTo: <sip:4400006@${SW}>;tag=${toTag}\r\nCall-ID: ${id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`);
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.uri.includes('4400006'));
    await carrier.waitRequest((r) => r.method === 'ACK' && r.headers['call-id'] === bInv.headers['call-id']);
    await new Promise((r) => setTimeout(r, 100));
    client.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const byeRs = await new Promise<SipMsg>((r) => carrier.send(calleeRequest('BYE', bInv, 'tcb', 1), r));
    assert.equal(byeRs.status, 200);
    const bye = await waitFor(() => listened.find((m) => m.startsWith('BYE ')), 5000, 'BYE at the Contact port');
    assert.match(bye, new RegExp(`^Call-ID: ${id}\\r$`, 'm'));
    assert.match(bye, new RegExp(`^To: .*tag=${id}`, 'm'));
    const rec = await sw.nextEnded();
    assert.equal(rec.endReason, 'normal-clearing');
  } finally {
    close();
  }
});

test('a carrier that did not get our ACK resends its 200: each copy is ACKed again, and the call stays one call', async () => {
  const raw = dgram.createSocket('udp4');
  await new Promise<void>((r) => raw.bind(5080, RAW_CARRIER, () => r()));
  const acks: string[] = [];
  let okText = '';
  let from: { address: string; port: number } | null = null;
  raw.on('message', (b, ri) => {
    const text = b.toString('latin1');
    if (text.startsWith('INVITE ')) {
      from = { address: ri.address, port: ri.port };
      okText = rawResponse(text, '200 OK', 'rawc', `Contact: <sip:c@${RAW_CARRIER}:5080>\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP_B.length}\r\n\r\n${SDP_B}`);
      raw.send(okText, ri.port, ri.address);
    } else if (text.startsWith('ACK ')) acks.push(text);
    else if (text.startsWith('BYE ')) raw.send(rawResponse(text, '200 OK'), ri.port, ri.address);
  });
  const caller = createUa(CALLER, 5073);
  try {
    const inv = invite(caller, SW, 5060, '6600001');
    const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    caller.send(ackFor(inv, ok));
    await waitFor(() => acks.length >= 1, 3000, 'the first ACK');
    // Our ACK "was lost": the carrier sends its 200 twice more.
    for (let i = 0; i < 2; i++) {
      raw.send(okText, from!.port, from!.address);
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor(() => acks.length >= 3, 3000, 'an ACK for each 200');
    assert.equal(acks.length, 3);
    assert.ok(acks.every((a) => /^CSeq: 1 ACK\r$/m.test(a) && /^To: .*;tag=rawc/m.test(a)));
    assert.equal([...sw.sw.b2bua.calls].filter((c) => c.rec.callerCallId === inv.headers['call-id']).length, 1);
    caller.send(inDialog('BYE', inv, ok, 2));
    const rec = await sw.nextEnded();
    assert.equal(rec.endReason, 'normal-clearing');
  } finally {
    caller.stop();
    raw.close();
  }
});

test('re-INVITE glare: the carrier\'s re-INVITE while the caller\'s is in progress gets 491, the caller\'s second gets 500 with Retry-After; the new Contact becomes the caller\'s target', async () => {
  behave = (rq, ua) => {
    if (rq.method === 'INVITE' && !rq.headers.to.params?.tag) ua.respond(rq, 200, 'OK', { toTag: 'gl', contact: `sip:c@${CARRIER}:5080`, content: SDP_B });
    else if (rq.method === 'INVITE') setTimeout(() => ua.respond(rq, 200, 'OK', { contact: `sip:c@${CARRIER}:5080`, content: SDP_B }), 600);
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  };
  const caller = createUa(CALLER, 5074);
  try {
    const inv = invite(caller, SW, 5060, '4400007');
    const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    caller.send(ackFor(inv, ok));
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE' && r.uri.includes('4400007'));
    // The caller moves its Contact in a re-INVITE (a target refresh).
    const re = inDialog('INVITE', inv, ok, 2, SDP_A.replace('40000', '40006'));
    re.headers.contact = [{ uri: `sip:1000@${CALLER}:5075` }];
    const reRs = new Promise<SipMsg>((resolve) => caller.send(re, (rs) => { if (rs.status >= 200) resolve(rs); }));
    await carrier.waitRequest((r) => r.method === 'INVITE' && r.headers['call-id'] === bInv.headers['call-id'] && r.headers.cseq.seq === 2);
    const crossing = { ...calleeRequest('INVITE', bInv, 'gl', 1), content: SDP_B, headers: { ...calleeRequest('INVITE', bInv, 'gl', 1).headers, 'content-type': 'application/sdp', contact: [{ uri: `sip:c@${CARRIER}:5080` }] } };
    const glare = await new Promise<SipMsg>((resolve) => carrier.send(crossing, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(glare.status, 491);
    const second = await new Promise<SipMsg>((resolve) => caller.send(inDialog('INVITE', inv, ok, 3, SDP_A), (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(second.status, 500);
    assert.match(String(second.headers['retry-after']), /^\d+$/);
    const first = await reRs;
    assert.equal(first.status, 200);
    caller.send({ ...ackFor(inv, first), headers: { ...ackFor(inv, first).headers, cseq: { method: 'ACK', seq: 2 } } });
    // The carrier hangs up: the BYE to the caller is addressed to its new Contact.
    const byeRs = await new Promise<SipMsg>((r) => carrier.send(calleeRequest('BYE', bInv, 'gl', 2), r));
    assert.equal(byeRs.status, 200);
    const bye = await caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === inv.headers['call-id']);
    assert.equal(bye.uri, `sip:1000@${CALLER}:5075`);
    const rec = await sw.nextEnded();
    assert.equal(rec.endReason, 'normal-clearing');
  } finally {
    caller.stop();
  }
});
