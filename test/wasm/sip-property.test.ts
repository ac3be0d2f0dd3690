import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { SipParser, SipMessage, type ParseResult } from '../../src/wasm/index.js';
import { loadTorture } from '../helpers/torture.js';

const FIX = new URL('../../../test/fixtures/sip/', import.meta.url);
const parser = new SipParser();
const seeds: Buffer[] = [
  ...loadTorture().map((c) => c.bytes),
  ...readdirSync(FIX).filter((f) => f.endsWith('.sip')).map((f) => readFileSync(new URL(f, FIX))),
];

// Reads every field a caller could read; any throw or out-of-range span fails the property.
function touch(m: SipMessage): void {
  assert.equal(m.checkIndex(), -1);
  void [m.method, m.uri, m.ruri, m.status, m.reason, m.callId, m.cseq, m.cseqMethod, m.from, m.to, m.topVia,
    m.viaCount, m.vias(), m.maxForwards, m.contentLength, m.contact, m.routes, m.recordRoutes, m.sessionExpires,
    m.refresher, m.minSE, m.body, m.header('via'), m.headerAll('route')];
  for (let i = 0; i < m.headerCount; i++) void [m.headerName(i), m.headerValue(i)];
  assert.ok(m.body.length <= m.buf.length);
}

const outcomes = { ok: 0, partial: 0, error: 0, needMore: 0 };
function check(buf: Buffer): void {
  for (const stream of [false, true]) {
    const t0 = process.hrtime.bigint();
    const r: ParseResult = stream ? parser.parseStream(buf) : parser.parseDatagram(buf);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    // A loose bound (the machine may be loaded): catches a parse that loops or goes quadratic.
    assert.ok(us < 2_000_000, `parse took ${us} µs`);
    if (r.ok) {
      assert.ok(r.consumed > 0 && r.consumed <= buf.length);
      touch(r.msg);
      outcomes.ok++;
    } else if (!r.needMore) {
      assert.ok(r.consumed >= 0 && r.consumed <= buf.length);
      assert.match(r.code, /^SSW_ERR_SIP_/);
      assert.ok(r.status === 0 || (r.status >= 400 && r.status < 600));
      if (r.partial) { touch(r.partial); outcomes.partial++; } else outcomes.error++;
    } else {
      assert.ok(stream, 'needMore only on streams');
      outcomes.needMore++;
    }
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('insertText' as const), at: fc.nat(), text: fc.constantFrom(',', ';', ':', '<', '>', '"', '\\', '\r\n', '\r\n ', ' ', '\t', '=', '%', '@', '[', 'SIP/2.0', ';branch=', '\r\n\r\n', '0', '99999999999') }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip': if (at < b.length) b[at] = m.byte; break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]); break;
      case 'insertText': b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]); break;
      case 'dupLine': {
        const s = b.lastIndexOf(10, at - 1) + 1;
        let e = b.indexOf(10, at);
        e = e < 0 ? b.length : e + 1;
        b = Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
        break;
      }
    }
  }
  return b;
}

test('random bytes never throw and keep the index inside the input', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), (a) => check(Buffer.from(a))), { numRuns: 5000 });
});

test('random SIP-looking text never throws', () => {
  const piece = fc.constantFrom('INVITE sip:a@b SIP/2.0\r\n', 'SIP/2.0 200 OK\r\n', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n',
    'v: SIP/2.0/TCP [::1]:5060;rport;received=1.2.3.4, SIP/2.0/UDP x\r\n', 'From: <sip:a@b>;tag=1\r\n', 'To: "x" <sip:b@c>\r\n',
    'Call-ID: c\r\n', 'CSeq: 1 INVITE\r\n', 'Content-Length: 4\r\n', 'l: 0\r\n', 'Route: <sip:r;lr>,<sip:s;lr>\r\n',
    'Record-Route: <sip:r;lr>\r\n', 'Session-Expires: 90;refresher=uac\r\n', 'Min-SE: 90\r\n', 'Max-Forwards: 70\r\n', ' folded\r\n',
    '\r\n', 'abcd', '\r\n\r\n', 'Contact: *\r\n', 'X: ;;,,\r\n');
  fc.assert(fc.property(fc.array(piece, { maxLength: 24 }), (ps) => check(Buffer.from(ps.join(''), 'latin1'))), { numRuns: 5000 });
});

test('mutated golden and torture messages never throw and keep the index inside the input', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }),
    (i, ms) => check(apply(seeds[i]!, ms))), { numRuns: 20000 });
  // the property must have exercised accepted messages and partials, not only rejections
  assert.ok(outcomes.ok > 2000 && outcomes.partial > 500, JSON.stringify(outcomes));
});
