// Every RFC 4475 torture message, byte for byte, sent over UDP to a running switch process; each
// gets the treatment its EXPECTED.tsv row asks for, and the switch stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sip from 'sip';
import { writeConfig } from '../helpers/switch.js';
import { spawnSwitch, type SwitchProcess } from '../helpers/process.js';
import { createUa, type Ua } from '../helpers/sip-ua.js';

const CORPUS = process.env.SSW_TORTURE_DIR ?? fileURLToPath(new URL('../../../../shared/sip-torture/', import.meta.url));
const SW = '127.0.0.2';

interface Row { name: string; section: string; type: string; validity: string; accept: string[]; extra: string }
function rows(): Row[] {
  const lines = readFileSync(join(CORPUS, 'EXPECTED.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const c = l.split('\t');
    return { name: c[0]!, section: c[1]!, type: c[3]!, validity: c[4]!, accept: c[5]!.split(','), extra: c[7] ?? '' };
  });
}

let proc: SwitchProcess;
let dir: string;
let carrier: Ua;
let s5060: dgram.Socket;
let s5050: dgram.Socket;
const got: Array<{ status: number; callId: string; cseq: string; raw: string }> = [];

function listen(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.on('message', (b) => {
      const raw = b.toString('latin1');
      try {
        const m = sip.parse(raw);
        if (m && m.status) got.push({ status: m.status, callId: m.headers['call-id'], cseq: `${m.headers.cseq?.seq}`, raw });
      } catch {
        got.push({ status: -1, callId: '', cseq: '', raw });
      }
    });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

before(async () => {
  assert.ok(existsSync(CORPUS), `torture corpus not found at ${CORPUS} (set SSW_TORTURE_DIR)`);
  dir = writeConfig({
    ip: SW, port: 5060, transports: ['udp', 'tcp'],
    customers: [{ name: 'torture', ips: ['127.0.0.1'] }],
    carriers: [{ name: 'busy-carrier', address: '127.0.0.3', port: 5080 }],
  });
  // The carrier that routed INVITEs reach: answers 486, so "processed" is visible on the wire.
  carrier = createUa('127.0.0.3', 5080, (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'b' }); });
  s5060 = await listen(5060);
  s5050 = await listen(5050);
  proc = await spawnSwitch(dir);
});

after(async () => {
  const code = await proc.stop();
  assert.equal(code, 0, `switch exit code\n${proc.output().slice(-2000)}`);
  s5060.close();
  s5050.close();
  carrier.stop();
  rmSync(dir, { recursive: true, force: true });
});

function callIdOf(bytes: Buffer): string {
  const m = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im.exec(bytes.toString('latin1'));
  return m ? m[1]! : '';
}

async function sendAndCollect(bytes: Buffer, callId: string, silent: boolean): Promise<number[]> {
  const start = got.length;
  s5060.send(bytes, 5060, SW);
  const deadline = Date.now() + (silent ? 400 : 2500);
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const mine = got.slice(start).filter((g) => !callId || g.callId === callId);
    if (mine.some((g) => g.status >= 200) || Date.now() > deadline) {
      if (!silent) await new Promise((r) => setTimeout(r, 50));
      return got.slice(start).filter((g) => !callId || g.callId === callId).map((g) => g.status);
    }
  }
}

test('the corpus is complete', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.dat'));
  assert.equal(files.length, 49);
  assert.equal(rows().length, 49);
});

for (const row of rows()) {
  test(`${row.name} (RFC 4475 ${row.section}, ${row.validity}): ${row.accept.join(' or ')}`, async () => {
    const bytes = readFileSync(join(CORPUS, `${row.name}.dat`));
    const callId = callIdOf(bytes);
    const silent = row.accept.includes('SILENT');
    const invitesBefore = carrier.received.filter((r) => r.method === 'INVITE').length;
    const statuses = await sendAndCollect(bytes, callId, silent);
    if (silent) {
      assert.deepEqual(statuses, [], 'a stray or invalid response is never answered');
      return;
    }
    if (row.extra.startsWith('forbid_callid=')) {
      const forbidden = row.extra.slice('forbid_callid='.length);
      assert.ok(!got.some((g) => g.callId === forbidden), 'the trailing octets were never answered');
    }
    const finals = statuses.filter((s) => s >= 200);
    if (finals.length === 0) {
      assert.ok(row.accept.includes('NONE'), `no final response; expected ${row.accept.join('/')}`);
      return;
    }
    const f = finals[0]!;
    const ok = row.accept.some((a) => {
      if (a === '4xx') return f >= 400 && f < 500;
      if (/^\d{3}$/.test(a)) return f === Number(a);
      if (a === 'PROC') {
        if (f === 400 || f === 505 || f >= 500 && f !== 501 && f !== 503) return false;
        const text = bytes.toString('latin1').replace(/\r\n[ \t]+/g, ' ');
        const isInvite = /^INVITE /.test(text);
        const hasToTag = /^(?:to|t)[ \t]*:.*;[ \t]*tag[ \t]*=/im.test(text);
        // A new INVITE that was processed went on to the carrier (whose 486 came back).
        if (isInvite && !hasToTag) return carrier.received.filter((r) => r.method === 'INVITE').length > invitesBefore;
        return true;
      }
      return false;
    });
    assert.ok(ok, `final ${f} is not among ${row.accept.join('/')}`);
  });
}

test('the switch is still up and answers OPTIONS after the corpus', async () => {
  const opt = Buffer.from(
    `OPTIONS sip:${SW}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKalive1;rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:${SW}>\r\nCall-ID: alive-after-torture\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
  const statuses = await sendAndCollect(opt, 'alive-after-torture', false);
  assert.deepEqual(statuses, [200]);
  assert.equal(proc.child.exitCode, null);
});
