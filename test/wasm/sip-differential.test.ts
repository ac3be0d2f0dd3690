import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SipParser } from '../../src/wasm/index.js';
import { loadTorture } from '../helpers/torture.js';

const FIX = new URL('../../../test/fixtures/sip/', import.meta.url);
const parser = new SipParser();
// npm sip ships no types; load it through require with the one function we use typed here.
const sip = createRequire(import.meta.url)('sip') as { parse(s: string): SipJs | undefined };

interface SipJs {
  method?: string; uri?: string; status?: number; content?: string;
  headers: { 'call-id'?: string; cseq?: { seq: number; method: string }; from?: { params?: { tag?: string } };
    to?: { params?: { tag?: string } }; via?: { params?: { branch?: string } }[] };
}
function sipParse(text: string): SipJs | undefined {
  try {
    const m = sip.parse(text);
    return m && m.headers && m.headers.cseq && m.headers['call-id'] ? m : undefined;
  } catch {
    return undefined;
  }
}

const corpus: [string, Buffer][] = [
  ...loadTorture().map((c): [string, Buffer] => [`torture/${c.name}`, c.bytes]),
  ...readdirSync(FIX).filter((f) => f.endsWith('.sip')).sort().map((f): [string, Buffer] => [`fixture/${f}`, readFileSync(new URL(f, FIX))]),
];

// Where npm sip is wrong and we are right: RFC 4475 §3.1.1.5 says RE%47IST%45R is an unknown method,
// not REGISTER (% is no escape in a method), but npm sip unescapes it. Any other difference fails.
const KNOWN_DIFFERENCES = [
  'torture/esc02 m.method: ours="RE%47IST%45R" sip="REGISTER"',
  'torture/esc02 m.cseqMethod: ours="RE%47IST%45R" sip="REGISTER"',
];
const DIFF: string[] = [];
function eq(a: unknown, b: unknown, what: string) { if (a !== b) DIFF.push(`${what}: ours=${JSON.stringify(a)} sip=${JSON.stringify(b)}`); }
test('both parsers accept => same method, URI, status, Call-ID, CSeq, tags, top branch, body', () => {
  let compared = 0;
  for (const [name, bytes] of corpus) {
    const ours = parser.parseDatagram(bytes);
    if (!ours.ok) continue;
    // npm sip works on strings; latin1 keeps one char per octet so body lengths match
    const theirs = sipParse(bytes.subarray(0, ours.consumed).toString('latin1'));
    if (!theirs) continue;
    const m = ours.msg;
    compared++;
    if (m.isRequest) {
      eq(m.method, theirs.method, `${name} m.method`);
      eq(m.uri, theirs.uri, `${name} m.uri`);
    } else {
      eq(m.status, theirs.status, `${name} m.status`);
    }
    eq(m.callId, theirs.headers['call-id'], `${name} m.callId`);
    eq(m.cseq, theirs.headers.cseq!.seq, `${name} m.cseq`);
    eq(m.cseqMethod, theirs.headers.cseq!.method, `${name} m.cseqMethod`);
    eq(m.from.tag, theirs.headers.from?.params?.tag ?? '', `${name} m.from.tag`);
    eq(m.to.tag, theirs.headers.to?.params?.tag ?? '', `${name} m.to.tag`);
    eq(m.topVia.branch, theirs.headers.via?.[0]?.params?.branch ?? '', `${name} m.topVia.branch`);
    eq(m.body.toString('latin1'), theirs.content ?? '', `${name} m.body`);
  }
  assert.deepEqual(DIFF, KNOWN_DIFFERENCES);
  assert.ok(compared >= 30, `only ${compared} messages compared`);
});
