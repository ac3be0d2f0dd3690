import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParser } from '../../src/wasm/index.js';
import { loadTorture } from '../helpers/torture.js';

// Rejections the server makes after parsing (unknown scheme, Require, Content-Type, Max-Forwards 0, unknown
// method, Accept, no such user): the parser must accept these messages and expose the fields.
const SERVER_DECISIONS = new Set(['416', '420', '415', '483', '501', '406', '404']);
const parser = new SipParser();
const cases = loadTorture();

test('the corpus is all there', () => {
  assert.equal(cases.length, 49);
});

for (const c of cases) {
  test(`${c.name} (${c.validity} ${c.msgType}, accept ${c.accept.join(',')})`, () => {
    const r = parser.parseDatagram(c.bytes);
    const parserAllowed = c.accept.filter((a) => !SERVER_DECISIONS.has(a));
    const okAllowed = parserAllowed.length === 0 || parserAllowed.some((a) => a === 'PROC' || a === 'SILENT');
    assert.equal(r.ok || !r.needMore, true, 'a datagram never needs more');
    if (r.ok) {
      assert.ok(okAllowed, `accepted, but the row allows only ${c.accept.join(',')}`);
      assert.equal(r.msg.checkIndex(), -1);
      assert.ok(r.msg.callId.length > 0 && r.msg.cseq >= 0);
      if (c.msgType === 'response') assert.equal(r.msg.isRequest, false);
      const forbid = /forbid_callid=(\S+)/.exec(c.extra);
      if (forbid) {
        assert.notEqual(r.msg.callId, forbid[1]);
        assert.ok(r.consumed < c.bytes.length, 'trailing octets are not part of the message');
        assert.ok(!r.msg.buf.includes(forbid[1]!), 'the trailing request is not in the message bytes');
      }
      return;
    }
    if (r.needMore) return;
    if (c.msgType === 'response') {
      assert.equal(r.status, 0, `a bad response is dropped (${r.code})`);
      return;
    }
    const fits = parserAllowed.some((a) =>
      a === '4xx' ? r.status === 400 : a === 'NONE' ? r.status === 0 || r.status === 400 : Number(a) === r.status);
    assert.ok(fits, `rejected with ${r.status} ${r.code}, row allows ${c.accept.join(',')}`);
    assert.match(r.code, /^SSW_ERR_SIP_/);
    assert.equal(r.consumed, c.bytes.length);
  });
}

test('stream parsing of every torture message terminates with a definite answer or needMore', () => {
  for (const c of cases) {
    const r = parser.parseStream(c.bytes);
    if (r.ok) assert.ok(r.consumed <= c.bytes.length && r.consumed > 0, c.name);
  }
});

test('valid requests expose what the server needs to take its own decisions', () => {
  const by = new Map(cases.map((c) => [c.name, c]));
  const get = (n: string) => {
    const r = parser.parseDatagram(by.get(n)!.bytes);
    assert.ok(r.ok, n);
    return r.msg;
  };
  assert.equal(get('unkscm').ruri.scheme, 'nobodyknowsthisscheme');
  assert.equal(get('novelsc').ruri.scheme, 'soap.beep');
  assert.ok(get('bext01').requireCount > 0 && get('bext01').proxyRequireCount > 0);
  assert.equal(get('zeromf').maxForwards, 0);
  assert.equal(get('intmeth').method, "!interesting-Method0123456789_*+`.%indeed'~");
  assert.equal(get('semiuri').ruri.user, 'user;par=u%40example.net');
  assert.equal(get('semiuri').ruri.host, 'example.com');
  const ws = get('wsinv');
  assert.equal(ws.viaCount, 3);
  assert.deepEqual(ws.vias().map((v) => [v.transport, v.host, v.branch]), [
    ['UDP', '192.0.2.2', '390skdjuw'], ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'], ['UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  assert.equal(ws.to.tag, '1918181833n');
  assert.equal(ws.from.tag, '98asjd8');
  assert.equal(ws.from.displayName, 'J Rosenberg \\"');
  assert.equal(ws.maxForwards, 68);
  assert.equal(ws.cseq, 9);
  assert.equal(ws.header('NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.deepEqual(ws.routes, ['<sip:services.example.com;lr;unknownwith=value;unknown-no-value>']);
  assert.equal(ws.body.length, 150);
  const tr = get('transports');
  assert.deepEqual(tr.vias().map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  assert.equal(get('longreq').viaCount, 34);
  assert.equal(get('mpart01').body.length, get('mpart01').contentLength);
  assert.equal(get('unreason').reason.length > 0, true);
  assert.equal(get('noreason').reason, '');
});
