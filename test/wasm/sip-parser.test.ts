import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SipParser, SipMessage, HEADER_NAMES, COMPACT_FORMS, type ParseResult } from '../../src/wasm/index.js';

const FIX = new URL('../../../test/fixtures/sip/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIX));
const parser = new SipParser();
// Via and NameAddr are lazy views; compare their fields as a plain object
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function ok(r: ParseResult): SipMessage {
  if (!r.ok) assert.fail(`expected ok, got ${JSON.stringify(r.needMore ? r : { code: r.code, status: r.status })}`);
  assert.equal(r.msg.checkIndex(), -1);
  return r.msg;
}
function err(r: ParseResult) {
  if (r.ok || r.needMore) assert.fail(`expected an error, got ${r.ok ? 'ok' : 'needMore'}`);
  return r;
}

test('INVITE with SDP: every field', () => {
  const buf = fixture('invite-sdp.sip');
  const r = parser.parseDatagram(buf);
  const m = ok(r);
  assert.equal(r.ok && r.consumed, buf.length);
  assert.equal(m.isRequest, true);
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:+15551234567@192.0.2.1:5060;user=phone');
  assert.deepEqual(m.ruri, { scheme: 'sip', user: '+15551234567', host: '192.0.2.1', port: 5060 });
  assert.equal(m.status, 0);
  assert.equal(m.callId, '1-2345@198.51.100.10');
  assert.equal(m.cseq, 1);
  assert.equal(m.cseqMethod, 'INVITE');
  assert.deepEqual(plain(m.from), { raw: '"Alice Caller" <sip:alice@198.51.100.10>;tag=a73kszlfl', uri: 'sip:alice@198.51.100.10', tag: 'a73kszlfl', displayName: 'Alice Caller' });
  assert.deepEqual(plain(m.to), { raw: '<sip:+15551234567@192.0.2.1>', uri: 'sip:+15551234567@192.0.2.1', tag: '', displayName: '' });
  assert.deepEqual(plain(m.topVia), {
    raw: 'SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK-524287-1---abc123;rport',
    transport: 'UDP', host: '198.51.100.10', port: 5062, branch: 'z9hG4bK-524287-1---abc123', rport: 0, received: '',
  });
  assert.equal(m.viaCount, 1);
  assert.equal(m.maxForwards, 70);
  assert.equal(m.contact?.uri, 'sip:alice@198.51.100.10:5062;transport=udp');
  assert.equal(m.sessionExpires, 1800);
  assert.equal(m.refresher, 'uac');
  assert.equal(m.minSE, 90);
  assert.deepEqual(m.routes, []);
  assert.equal(m.contentLength, m.body.length);
  assert.ok(m.body.toString('latin1').startsWith('v=0\r\n'));
  assert.ok(m.body.toString('latin1').endsWith('a=sendrecv\r\n'));
  assert.equal(m.header('supported'), 'timer, 100rel');
  assert.equal(m.header('k'), 'timer, 100rel');
  assert.equal(m.header('X-Nope'), undefined);
  assert.equal(m.headerCount, 12);
  assert.equal(m.headerName(0), 'Via');
  assert.equal(m.headerName(11), 'Content-Length');
  // the copy is independent of the caller's buffer
  buf.fill(0);
  assert.equal(m.callId, '1-2345@198.51.100.10');
  assert.equal(m.buf.subarray(0, 6).toString(), 'INVITE');
});

test('180 and 200 responses: status, reason, method from CSeq, Record-Route list, rport/received', () => {
  const r180 = ok(parser.parseDatagram(fixture('ringing-180.sip')));
  assert.equal(r180.isRequest, false);
  assert.equal(r180.status, 180);
  assert.equal(r180.reason, 'Ringing');
  assert.equal(r180.method, 'INVITE');
  assert.equal(r180.uri, '');
  assert.equal(r180.to.tag, 'b-99');
  assert.equal(r180.topVia.rport, 5062);
  assert.equal(r180.topVia.received, '203.0.113.7');
  assert.deepEqual(r180.recordRoutes, ['<sip:192.0.2.1;lr>']);
  assert.equal(r180.body.length, 0);
  assert.equal(r180.maxForwards, -1);

  const r200 = ok(parser.parseDatagram(fixture('ok-200.sip')));
  assert.equal(r200.status, 200);
  assert.equal(r200.reason, 'OK');
  assert.deepEqual(r200.recordRoutes, ['<sip:p2.example.net;lr>', '<sip:p1.example.net;lr>']);
  assert.equal(r200.sessionExpires, 1800);
  assert.equal(r200.refresher, 'uas');
  assert.equal(r200.header('Require'), 'timer');
  assert.equal(r200.body.length, r200.contentLength);
});

test('ACK and BYE: Route lists across lines, several Vias on one line, IPv6 sent-by', () => {
  const ack = ok(parser.parseDatagram(fixture('ack.sip')));
  assert.equal(ack.method, 'ACK');
  assert.equal(ack.cseqMethod, 'ACK');
  assert.deepEqual(ack.routes, ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>']);

  const bye = ok(parser.parseDatagram(fixture('bye.sip')));
  assert.equal(bye.method, 'BYE');
  assert.equal(bye.cseq, 2);
  assert.equal(bye.viaCount, 3);
  const vias = bye.vias();
  assert.deepEqual(vias.map((v) => [v.transport, v.host, v.port, v.branch, v.received]), [
    ['TCP', '198.51.100.10', 5062, 'z9hG4bK-bye-2', ''],
    ['UDP', '10.0.0.1', 0, 'z9hG4bK-inner', '10.9.9.9'],
    ['UDP', '[2001:db8::1]', 5070, 'z9hG4bK-v6', ''],
  ]);
  assert.equal(vias[1]!.rport, -1);
  assert.deepEqual(bye.routes, ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr;x="a,b">', '"weird, name" <sip:p3.example.net;lr>']);
  assert.deepEqual(bye.headerAll('route'), ['<sip:p1.example.net;lr>, <sip:p2.example.net;lr;x="a,b">', '"weird, name" <sip:p3.example.net;lr>']);
});

test('compact forms, case-insensitive names, LWS around the colon and folded values', () => {
  const m = ok(parser.parseDatagram(fixture('compact-folded.sip')));
  assert.equal(m.method, 'OPTIONS');
  assert.deepEqual(m.ruri, { scheme: 'sips', user: 'carol', host: 'chicago.example.com', port: 0 });
  assert.equal(m.topVia.branch, 'z9hG4bKhjhs8ass877');
  assert.equal(m.from.displayName, 'Bob');
  assert.equal(m.from.tag, '1928301774');
  assert.equal(m.to.uri, 'sip:carol@chicago.example.com');
  assert.equal(m.callId, 'a84b4c76e66710');
  assert.equal(m.cseq, 63104);
  assert.equal(m.cseqMethod, 'OPTIONS');
  assert.equal(m.sessionExpires, 600);
  assert.equal(m.refresher, 'uas');
  assert.equal(m.contentLength, 0);
  assert.equal(m.contact?.uri, 'sip:bob@192.0.2.4');
  assert.equal(m.contact?.raw, '<sip:bob@192.0.2.4>;expires=60');
  assert.equal(m.header('X-Custom'), 'first part second part');
  assert.equal(m.header('x-custom'), 'first part second part');
  assert.equal(m.header('CSeq'), '63104 OPTIONS');
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => m.headerName(i)),
    ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Session-Expires', 'Supported', 'X-Custom']);
  assert.equal(m.header('Session-Expires'), '600;refresher=uas');
});

test('every canonical header name and compact form resolves to the same id in WASM and in the wrapper', () => {
  const values: Record<string, string> = { Via: 'SIP/2.0/UDP h', 'Call-ID': 'x', CSeq: '1 X', 'Content-Length': '0', 'Max-Forwards': '1' };
  let checked = 0;
  for (const n of [...HEADER_NAMES.slice(1), ...Object.keys(COMPACT_FORMS)]) {
    const want = COMPACT_FORMS[n] ?? n;
    for (const written of [n.toLowerCase(), n.toUpperCase()]) {
      const rr = parser.parseDatagram(Buffer.from(`SIP/2.0 200 OK\r\n${written}: ${values[want] ?? '<sip:a@b>'}\r\n\r\n`));
      assert.ok(rr.ok, n);
      assert.equal(rr.msg.headerName(0), want, n);
      assert.equal(rr.msg.header(want), values[want] ?? '<sip:a@b>');
      checked++;
    }
  }
  assert.equal(checked, 2 * (HEADER_NAMES.length - 1 + 20));
  const unk = parser.parseDatagram(Buffer.from('SIP/2.0 200 OK\r\nX-Vendor-Thing: 1\r\nw: 2\r\n\r\n'));
  assert.ok(unk.ok);
  assert.equal(unk.msg.headerName(0), 'X-Vendor-Thing');
  assert.equal(unk.msg.headerName(1), 'w');
  assert.equal(unk.msg.header('x-vendor-thing'), '1');
});

test('validation: status codes the wrapper maps', () => {
  const base = fixture('bye.sip').toString('latin1');
  const cases: [string, string, number][] = [
    [base.replace('BYE sip:bob@192.0.2.20 SIP/2.0', 'BYE sip:bob@192.0.2.20 SIP/3.0'), 'SSW_ERR_SIP_BAD_VERSION', 505],
    [base.replace('BYE sip:bob@192.0.2.20 SIP/2.0', 'BYE'), 'SSW_ERR_SIP_BAD_START_LINE', 400],
    [base.replace('CSeq: 2 BYE', 'CSeq: 2147483648 BYE'), 'SSW_ERR_SIP_BAD_CSEQ', 400],
    [base.replace('CSeq: 2 BYE', 'CSeq: x BYE'), 'SSW_ERR_SIP_BAD_CSEQ', 400],
    [base.replace('CSeq: 2 BYE', 'CSeq: 2 INVITE'), 'SSW_ERR_SIP_CSEQ_METHOD', 400],
    [base.replace('Call-ID: 1-2345@198.51.100.10\r\n', ''), 'SSW_ERR_SIP_MISSING_HEADER', 400],
    [base.replace('Max-Forwards: 69', 'Max-Forwards: 69\r\nMax-Forwards: 68'), 'SSW_ERR_SIP_DUPLICATE_HEADER', 400],
    [base.replace('Max-Forwards: 69', 'Max-Forwards: sixty'), 'SSW_ERR_SIP_BAD_MAX_FORWARDS', 400],
    [base.replace('Content-Length: 0', 'Content-Length: 0x'), 'SSW_ERR_SIP_BAD_CONTENT_LENGTH', 400],
    [base.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 3'), 'SSW_ERR_SIP_CONFLICTING_CONTENT_LENGTH', 400],
    [base.replace('Content-Length: 0', 'Content-Length: 10'), 'SSW_ERR_SIP_BODY_TRUNCATED', 400],
    [base.replace('branch=z9hG4bK-v6', 'branch=z9hG4bK-v6;'), 'SSW_ERR_SIP_BAD_VIA', 400],
    [base.replace('Max-Forwards: 69', 'Max-Forwards 69'), 'SSW_ERR_SIP_BAD_HEADER', 400],
  ];
  for (const [text, code, status] of cases) {
    const r = err(parser.parseDatagram(Buffer.from(text, 'latin1')));
    assert.equal(r.code, code, text.slice(0, 60));
    assert.equal(r.status, status, code);
  }
  // the 505 keeps enough of the request to answer it
  const v = err(parser.parseDatagram(Buffer.from(cases[0]![0], 'latin1')));
  assert.equal(v.partial?.callId, '1-2345@198.51.100.10');
  assert.equal(v.partial?.topVia.branch, 'z9hG4bK-bye-2');
  // a response that fails is dropped, never answered
  const resp = err(parser.parseDatagram(Buffer.from(fixture('ok-200.sip').toString('latin1').replace('SIP/2.0 200 OK', 'SIP/2.0 20 OK'), 'latin1')));
  assert.equal(resp.status, 0);
  assert.equal(resp.partial, null);
  const big = err(parser.parseDatagram(Buffer.from(fixture('ok-200.sip').toString('latin1').replace('SIP/2.0 200 OK', 'SIP/2.0 700 Huh'), 'latin1')));
  assert.equal(big.code, 'SSW_ERR_SIP_BAD_STATUS');
  assert.equal(big.status, 0);
});

test('UDP: Content-Length absent means the rest of the datagram; a CRLF-only datagram is dropped', () => {
  const text = fixture('invite-sdp.sip').toString('latin1').replace(/Content-Length: \d+\r\n/, '');
  const m = ok(parser.parseDatagram(Buffer.from(text, 'latin1')));
  assert.equal(m.contentLength, -1);
  assert.ok(m.body.toString('latin1').startsWith('v=0') && m.body.toString('latin1').endsWith('a=sendrecv\r\n'));
  const ka = err(parser.parseDatagram(Buffer.from('\r\n\r\n')));
  assert.equal(ka.status, 0);
  assert.equal(ka.code, 'SSW_ERR_SIP_EMPTY');
});

test('TCP framing: partial frames need more, pipelined messages, keep-alives, missing Content-Length', () => {
  const invite = fixture('invite-sdp.sip');
  const bye = fixture('bye.sip');
  for (const cut of [1, 10, invite.indexOf('\r\n\r\n') + 2, invite.indexOf('\r\n\r\n') + 4, invite.length - 1]) {
    const r = parser.parseStream(invite.subarray(0, cut));
    assert.deepEqual(r, { ok: false, needMore: true }, `cut at ${cut}`);
  }
  const two = Buffer.concat([Buffer.from('\r\n\r\n\r\n'), invite, bye]);
  const r1 = parser.parseStream(two);
  assert.ok(r1.ok);
  assert.equal(r1.consumed, 6 + invite.length);
  assert.equal(r1.msg.method, 'INVITE');
  assert.equal(r1.msg.buf.length, invite.length);
  assert.equal(r1.msg.body.length, r1.msg.contentLength);
  const r2 = parser.parseStream(two.subarray(r1.consumed));
  assert.ok(r2.ok);
  assert.equal(r2.consumed, bye.length);
  assert.equal(r2.msg.method, 'BYE');
  assert.deepEqual(parser.parseStream(Buffer.from('\r\n\r\n')), { ok: false, needMore: true });

  const noCl = Buffer.from(bye.toString('latin1').replace('Content-Length: 0\r\n', ''), 'latin1');
  const e = err(parser.parseStream(noCl));
  assert.equal(e.code, 'SSW_ERR_SIP_MISSING_CONTENT_LENGTH');
  assert.equal(e.status, 400);
  assert.equal(e.consumed, noCl.length); // header end reported: the blank line ends it
  assert.equal(e.partial?.method, 'BYE');
  // a response without Content-Length on TCP has an empty body
  const resp = Buffer.from(fixture('ringing-180.sip').toString('latin1').replace('Content-Length: 0\r\n', ''), 'latin1');
  const rr = parser.parseStream(Buffer.concat([resp, bye]));
  assert.ok(rr.ok);
  assert.equal(rr.consumed, resp.length);
});

test('oversize input is refused with 513 on both transports', () => {
  const huge = Buffer.alloc(parser.maxMessageBytes + 1, 0x61);
  const a = err(parser.parseDatagram(huge));
  assert.equal(a.status, 513);
  assert.equal(a.code, 'SSW_ERR_SIP_TOO_LARGE');
  const head = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX: ');
  const b = err(parser.parseStream(Buffer.concat([head, Buffer.alloc(parser.maxMessageBytes, 0x61)])));
  assert.equal(b.status, 513);
  assert.ok(parser.maxMessageBytes >= 256 * 1024);
});

test('TCP framing: every prefix of a frame needs more, every longer buffer yields the same first message', () => {
  const invite = fixture('invite-sdp.sip');
  const both = Buffer.concat([Buffer.from('\r\n'), invite, fixture('ack.sip')]);
  const first = 2 + invite.length;
  for (let k = 0; k <= both.length; k++) {
    const r = parser.parseStream(both.subarray(0, k));
    if (k < first) {
      assert.deepEqual(r, { ok: false, needMore: true }, `prefix ${k}`);
    } else {
      assert.ok(r.ok, `prefix ${k}`);
      assert.equal(r.consumed, first);
      assert.equal(r.msg.callId, '1-2345@198.51.100.10');
      assert.equal(r.msg.body.length, r.msg.contentLength);
    }
  }
});
