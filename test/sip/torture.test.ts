// Every RFC 4475 torture message, byte for byte, sent over UDP to a running switch process; each
// gets the treatment its EXPECTED.tsv row asks for, and the switch stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { writeConfig } from '../helpers/switch.js';
import { spawnSwitch, type SwitchProcess } from '../helpers/process.js';
import { createUa, type Ua } from '../helpers/sip-ua.js';
import { loadTorture, tortureDir, judge, TortureSender } from '../helpers/torture.js';

const CORPUS = tortureDir();
const SW = '127.0.0.2';

let proc: SwitchProcess;
let dir: string;
let carrier: Ua;
const sender = new TortureSender();

before(async () => {
  assert.ok(existsSync(CORPUS), `torture corpus not found at ${CORPUS} (set SSW_TORTURE_DIR)`);
  dir = writeConfig({
    ip: SW, port: 5060, transports: ['udp', 'tcp'],
    customers: [{ name: 'torture', ips: ['127.0.0.1'] }],
    carriers: [{ name: 'busy-carrier', address: '127.0.0.3', port: 5080 }],
  });
  // The carrier that routed INVITEs reach: answers 486, so "processed" is visible on the wire.
  carrier = createUa('127.0.0.3', 5080, (rq, ua) => { if (rq.method === 'INVITE') ua.respond(rq, 486, 'Busy Here', { toTag: 'b' }); });
  await sender.open();
  proc = await spawnSwitch(dir);
});

after(async () => {
  const code = await proc.stop();
  assert.equal(code, 0, `switch exit code\n${proc.output().slice(-2000)}`);
  sender.close();
  carrier.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the corpus is complete', () => {
  assert.equal(readdirSync(CORPUS).filter((f) => f.endsWith('.dat')).length, 49);
  assert.equal(loadTorture().length, 49);
});

for (const c of loadTorture()) {
  test(`${c.name} (RFC 4475 ${c.section}, ${c.validity}): ${c.accept.join(' or ')}`, async () => {
    const invitesBefore = carrier.received.filter((r) => r.method === 'INVITE').length;
    const statuses = await sender.send(c.bytes, SW, c.accept.includes('SILENT'));
    const reached = carrier.received.filter((r) => r.method === 'INVITE').length > invitesBefore;
    const wrong = judge(c, statuses, sender.got, reached);
    assert.equal(wrong, null, wrong ?? '');
  });
}

test('the switch is still up and answers OPTIONS after the corpus', async () => {
  const opt = Buffer.from(
    `OPTIONS sip:${SW}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKalive1;rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:${SW}>\r\nCall-ID: alive-after-torture\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
  const statuses = await sender.send(opt, SW, false);
  assert.deepEqual(statuses, [200]);
  assert.equal(proc.child.exitCode, null);
});
