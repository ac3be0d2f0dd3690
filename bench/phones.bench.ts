// Phones: registrations with digest per second through a running switch (REGISTER -> 401 ->
// REGISTER with Authorization -> 200), against OPTIONS round trips to the same switch from the
// same client in the same run (the switch's cheapest answered request: the baseline). Then the
// digest check alone (parse + nonce + response) against one MD5 of the same input size.
//   node dist/bench/phones.bench.js [--quick]
// Figures are medians of 5 reps with [min..max]; ratio = registrations/s / OPTIONS round trips/s.
import { createSocket, type Socket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/index.js';
import { Softswitch } from '../src/switch.js';
import { NonceBook, parseDigest, ha1Of, md5hex } from '../src/phones/index.js';
import { responseMatches } from '../src/phones/digest.js';

const SW = '127.0.0.190';
const CLIENT = '127.0.0.191';
const PORT = 5060;
const quick = process.argv.includes('--quick');
const REPS = 5;
const REP_MS = quick ? 500 : 1500;
const FLOWS = 32;
const PHONES = 256;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]): string => `[${Math.round(Math.min(...xs))}..${Math.round(Math.max(...xs))}]`;

function request(method: string, flow: number, seq: number, user: string, extra = ''): Buffer {
  return Buffer.from(
    `${method} sip:${SW} SIP/2.0\r\nVia: SIP/2.0/UDP ${CLIENT}:${clientPort};branch=z9hG4bK-${flow}-${seq}-${method}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:${user}@${SW}>;tag=f${flow}\r\nTo: <sip:${user}@${SW}>\r\nCall-ID: bench-${method}-${flow}\r\nCSeq: ${seq} ${method}\r\n` +
    (method === 'REGISTER' ? `Contact: <sip:${user}@${CLIENT}:${clientPort}>\r\nExpires: 600\r\n` : '') +
    `${extra}Content-Length: 0\r\n\r\n`,
  );
}

let clientPort = 0;

/** Runs `flows` request loops for `ms`; returns completed operations per second. */
async function drive(sock: Socket, kind: 'register' | 'options', ms: number): Promise<number> {
  let done = 0;
  let running = true;
  const seq = new Array<number>(FLOWS).fill(1);
  const send = (flow: number, auth = '') => {
    const u = kind === 'register' ? `p${flow}` : 'bench';
    sock.send(request(kind === 'register' ? 'REGISTER' : 'OPTIONS', flow, seq[flow]!++, u, auth), PORT, SW);
  };
  const onMsg = (buf: Buffer) => {
    const text = buf.toString('latin1');
    const status = Number(text.slice(8, 11));
    const flow = Number(/Call-ID: bench-[A-Z]+-(\d+)/i.exec(text)?.[1] ?? -1);
    if (flow < 0 || status < 200) return;
    if (kind === 'register' && status === 401) {
      const nonce = /nonce="([^"]+)"/.exec(text)![1]!;
      const user = `p${flow}`;
      const cnonce = `c${flow}`;
      const ha1 = md5(`${user}:open-softswitch:pw`);
      const resp = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${md5(`REGISTER:sip:${SW}`)}`);
      send(flow, `Authorization: Digest username="${user}", realm="open-softswitch", nonce="${nonce}", uri="sip:${SW}", response="${resp}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"\r\n`);
      return;
    }
    if (status !== 200) throw new Error(`unexpected ${status} in the ${kind} bench`);
    done++;
    if (running) send(flow);
  };
  sock.on('message', onMsg);
  const t0 = performance.now();
  for (let f = 0; f < FLOWS; f++) send(f);
  await new Promise((r) => setTimeout(r, ms));
  running = false;
  const secs = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 100));
  sock.off('message', onMsg);
  return done / secs;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-phones-bench-'));
  writeFileSync(join(dir, 'server.yaml'), stringify({ listen: [{ ip: SW, port: PORT, transports: ['udp'] }], drainSeconds: 0, adminPort: 0, dataDir: join(dir, 'data'), dbUrl: `sqlite:${join(dir, 'data', 'ssw.db')}` }));
  writeFileSync(join(dir, 'params.yaml'), '{}\n');
  writeFileSync(join(dir, 'network.yaml'), stringify({
    accounts: [{ id: 'acc' }],
    phones: Array.from({ length: PHONES }, (_, i) => ({ number: String(1000 + i), username: `p${i}`, password: 'pw', account: 'acc' })),
  }));
  process.env.SSW_LOG_LEVEL ??= 'warn';
  const sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, CLIENT, () => r()));
  clientPort = sock.address().port;
  try {
    await drive(sock, 'options', 300);
    await drive(sock, 'register', 300);
    const opt: number[] = [];
    const reg: number[] = [];
    const ratio: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const o = await drive(sock, 'options', REP_MS);
      const r = await drive(sock, 'register', REP_MS);
      opt.push(o);
      reg.push(r);
      ratio.push(r / o);
    }
    console.log(`OPTIONS round trips/s (baseline)   ${Math.round(median(opt))} ${spread(opt)}`);
    console.log(`registrations/s (401 + 200)        ${Math.round(median(reg))} ${spread(reg)}`);
    console.log(`ratio registrations / OPTIONS      ${median(ratio).toFixed(2)} [${Math.min(...ratio).toFixed(2)}..${Math.max(...ratio).toFixed(2)}]  (2 round trips each: 0.50 = digest costs nothing)`);
    const c = sw.phones!.registrar.counters.register;
    // A stale re-challenge costs a third round trip: any here means nonces collide or age too soon.
    console.log(`bindings held ${sw.phones!.registrar.stats.bindings}, registered ${c.registered}, stale re-challenges ${c.stale}, bad passwords ${c['bad-password']}`);
  } finally {
    sock.close();
    await sw.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }

  // The digest check alone, against one MD5 of the header's length.
  const book = new NonceBook();
  const nonce = book.issue(1000);
  const ha1 = ha1Of('alice', 'pw');
  const cnonce = 'abcdef';
  const resp = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${md5('REGISTER:sip:x')}`);
  const header = `Digest username="alice", realm="open-softswitch", nonce="${nonce}", uri="sip:x", response="${resp}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  const N = quick ? 20_000 : 100_000;
  const checkRates: number[] = [];
  const md5Rates: number[] = [];
  let ok = 0;
  for (let rep = 0; rep < REPS + 1; rep++) {
    let t = performance.now();
    for (let i = 0; i < N; i++) {
      const c = parseDigest(header)!;
      if (book.check(c.nonce, 2000, 300_000) === 'ok' && responseMatches(ha1, 'REGISTER', c)) ok++;
    }
    const checkMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < N; i++) if (md5hex(header).length === 32) ok++;
    const md5Ms = performance.now() - t;
    if (rep === 0) continue; // warm-up
    checkRates.push(N / (checkMs / 1000));
    md5Rates.push(N / (md5Ms / 1000));
  }
  const per = checkRates.map((c, i) => md5Rates[i]! / c);
  console.log(`digest checks/s                    ${Math.round(median(checkRates))} ${spread(checkRates)}  (${(1e6 / median(checkRates)).toFixed(2)} µs each)`);
  console.log(`MD5 of the header/s (baseline)     ${Math.round(median(md5Rates))} ${spread(md5Rates)}`);
  console.log(`a check costs ${median(per).toFixed(1)} MD5s [${Math.min(...per).toFixed(1)}..${Math.max(...per).toFixed(1)}]  (it does 3 MD5s + 1 HMAC-SHA256)  ok=${ok > 0}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
