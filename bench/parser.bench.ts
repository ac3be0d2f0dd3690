// Parser micro-benchmark: our WASM indexer + wrapper vs npm sip's parse on the same three messages,
// reading what the transaction layer reads. Prints msgs/s (median of 5, min-max spread), the ratio, RSS.
//   node dist/bench/parser.bench.js [--rounds N]
import { createRequire } from 'node:module';
import { SipParser } from '../src/wasm/index.js';

interface SipJs { headers: { 'call-id': string; cseq: { seq: number }; via: { params: { branch?: string } }[];
  from: { params: { tag?: string } }; to: { params: { tag?: string } } } }
const sip = createRequire(import.meta.url)('sip') as { parse(s: string): SipJs };

const sdp = ['v=0', 'o=- 1234 5678 IN IP4 198.51.100.10', 's=-', 'c=IN IP4 198.51.100.10', 't=0 0',
  'm=audio 20000 RTP/AVP 0 8 18 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');
const invite = [
  'INVITE sip:+15551234567@192.0.2.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK-524287-1---abc123;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@198.51.100.10>;tag=a73kszlfl',
  'To: <sip:+15551234567@192.0.2.1>',
  'Call-ID: 1-2345@198.51.100.10',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@198.51.100.10:5062>',
  'User-Agent: open-softswitch-bench/0.1',
  'Content-Type: application/sdp',
  `Content-Length: ${sdp.length}`,
  '', sdp].join('\r\n');
const ok200 = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK-524287-1---abc123;rport=5062;received=203.0.113.7',
  'Record-Route: <sip:192.0.2.1;lr>',
  'From: "Alice" <sip:alice@198.51.100.10>;tag=a73kszlfl',
  'To: <sip:+15551234567@192.0.2.1>;tag=b-99',
  'Call-ID: 1-2345@198.51.100.10',
  'CSeq: 1 INVITE',
  'Contact: <sip:bob@192.0.2.20>',
  'Content-Length: 0', '', ''].join('\r\n');
const bye = [
  'BYE sip:bob@192.0.2.20 SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK-bye-2',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@198.51.100.10>;tag=a73kszlfl',
  'To: <sip:+15551234567@192.0.2.1>;tag=b-99',
  'Call-ID: 1-2345@198.51.100.10',
  'CSeq: 2 BYE',
  'Content-Length: 0', '', ''].join('\r\n');
const msgs = [invite, ok200, bye].map((s) => Buffer.from(s, 'latin1'));

const arg = process.argv.indexOf('--rounds');
const ROUNDS = arg > 0 ? Number(process.argv[arg + 1]) : 20000;
const REPS = 5;
const parser = new SipParser();
let sink = 0;

function ours(rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    for (const b of msgs) {
      const res = parser.parseDatagram(b);
      if (!res.ok) throw new Error('bench message rejected');
      const m = res.msg;
      sink += m.callId.length + m.cseq + m.topVia.branch.length + m.from.tag.length + m.to.tag.length;
    }
  }
}
function npmSip(rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    for (const b of msgs) {
      const m = sip.parse(b.toString('binary'));
      const h = m.headers;
      sink += h['call-id'].length + h.cseq.seq + (h.via[0]!.params.branch ?? '').length + (h.from.params.tag ?? '').length + (h.to.params.tag ?? '').length;
    }
  }
}

function measure(fn: (n: number) => void, rounds: number): number[] {
  fn(Math.max(1, rounds >> 3)); // warm-up: JIT and the WASM instance
  const out: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = process.hrtime.bigint();
    fn(rounds);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    out.push((rounds * msgs.length) / s);
  }
  return out.sort((a, b) => a - b);
}
const fmt = (v: number[]) => `${Math.round(v[2]!).toLocaleString('en-US')} msg/s (min ${Math.round(v[0]!).toLocaleString('en-US')}, max ${Math.round(v[4]!).toLocaleString('en-US')})`;

const sipRounds = Math.max(1, Math.floor(ROUNDS / 10)); // npm sip is ~10x slower; keep the run short
const a = measure(ours, ROUNDS);
const b = measure(npmSip, sipRounds);
console.log(`messages: INVITE+SDP ${msgs[0]!.length} B, 200 OK ${msgs[1]!.length} B, BYE ${msgs[2]!.length} B; ${REPS} repetitions`);
console.log(`wasm parser + wrapper : ${fmt(a)}`);
console.log(`npm sip parse (base)  : ${fmt(b)}`);
console.log(`ratio (median/median) : ${(a[2]! / b[2]!).toFixed(2)}x  (worst/best ${(a[0]! / b[4]!).toFixed(2)}x .. best/worst ${(a[4]! / b[0]!).toFixed(2)}x)`);
console.log(`rss: ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB  (sink ${sink % 10})`);
