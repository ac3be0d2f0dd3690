// SIPp (a peer we did not write) drives calls through a running switch process: the README's
// first call on the shipped example network, and the capacity-reference scenarios.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSwitch, ROOT, type SwitchProcess } from '../helpers/process.js';
import { runSipp } from '../helpers/sipp.js';
import { openStore } from '../../src/store/index.js';

const SHARED_SIPP = process.env.SSW_SIPP_DIR ?? fileURLToPath(new URL('../../../../shared/sipp/', import.meta.url));
const CALLS = Number(process.env.SSW_SIPP_CALLS ?? 3000);
const RATE = Number(process.env.SSW_SIPP_RATE ?? 200);

let proc: SwitchProcess;
let dataDir: string;
const uases: ChildProcess[] = [];

function startUas(port: number, scenario: string[]): ChildProcess {
  const c = spawn('sipp', [...scenario, '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-buff_size', '4194304'], { stdio: 'ignore' });
  uases.push(c);
  return c;
}

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed (apt-get install -y sip-tester)');
  dataDir = mkdtempSync(join(tmpdir(), 'ssw-sipp-'));
  // The shipped example network, exactly as `npm start` runs it.
  proc = await spawnSwitch(join(ROOT, 'config'), { SSW_DATA_DIR: dataDir, SSW_DB_URL: `sqlite:${join(dataDir, 'ssw.db')}` });
  await new Promise((r) => setTimeout(r, 200));
});

after(async () => {
  for (const u of uases) u.kill('SIGKILL');
  await proc.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let placed = 0;
let busy = 0;

test(`sipp -sn uac through the switch to sipp -sn uas: ${CALLS} calls, none failed`, async () => {
  const uas = startUas(5080, ['-sn', 'uas']);
  await new Promise((r) => setTimeout(r, 300));
  const r = await runSipp(['-sn', 'uac', '127.0.0.1:5060', '-i', '127.0.0.1', '-p', '5071', '-m', String(CALLS), '-r', String(RATE), '-d', '100', '-l', '2000', '-timeout', '120s', '-timeout_error', '-recv_timeout', '10000', '-buff_size', '4194304'], 150_000).done;
  uas.kill('SIGKILL');
  assert.equal(r.failed, 0, `failed calls\n${r.stdout.slice(-3000)}`);
  assert.equal(r.successful, CALLS);
  assert.equal(r.code, 0);
  placed += CALLS;
});

test('the reference capacity scenarios (uac_rr / uas_rr) pass through the switch', async () => {
  const uas = startUas(5080, ['-sf', join(SHARED_SIPP, 'uas_rr.xml')]);
  await new Promise((r) => setTimeout(r, 300));
  const n = Math.min(CALLS, 2000);
  const r = await runSipp(['-sf', join(SHARED_SIPP, 'uac_rr.xml'), '127.0.0.1:5060', '-i', '127.0.0.1', '-p', '5072', '-m', String(n), '-r', String(RATE), '-d', '200', '-timeout', '120s', '-timeout_error', '-recv_timeout', '10000', '-buff_size', '4194304'], 150_000).done;
  uas.kill('SIGKILL');
  assert.equal(r.failed, 0, `failed calls\n${r.stdout.slice(-3000)}`);
  assert.equal(r.successful, n);
  placed += n;
});

test('a carrier that is busy: every call fails with 486 relayed, none hangs', async () => {
  // SIPp UAS scenario answering 486 to every INVITE.
  const dir = mkdtempSync(join(tmpdir(), 'sipp-busy-'));
  const xml = join(dir, 'uas_busy.xml');
  writeFileSync(xml, `<?xml version="1.0"?>
<scenario name="busy">
  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]busy[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
`);
  const uas = startUas(5080, ['-sf', xml]);
  await new Promise((r) => setTimeout(r, 300));
  const uacXml = join(dir, 'uac_busy.xml');
  writeFileSync(uacXml, `<?xml version="1.0"?>
<scenario name="uac busy">
  <send retrans="500" start_txn="invite"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:load@[local_ip]:[local_port]>;tag=[pid]L[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:load@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="100" optional="true" response_txn="invite"/>
  <recv response="486" response_txn="invite"/>
  <send ack_txn="invite"><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:load@[local_ip]:[local_port]>;tag=[pid]L[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
`);
  const r = await runSipp(['-sf', uacXml, '127.0.0.1:5060', '-i', '127.0.0.1', '-p', '5073', '-m', '500', '-r', '100', '-timeout', '60s', '-timeout_error', '-recv_timeout', '10000'], 90_000).done;
  uas.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.failed, 0, r.stdout.slice(-2000));
  assert.equal(r.successful, 500);
  busy += 500;
});

test('every call SIPp made is exactly one CDR in the store, with its end reason', async () => {
  const code = await proc.stop();
  assert.equal(code, 0, 'the switch drains and exits 0 on SIGTERM');
  const store = await openStore(`sqlite:${join(dataDir, 'ssw.db')}`);
  try {
    const day = 86_400_000;
    const now = Date.now();
    const all = await store.queryCdrs({ from: now - day, to: now + day, pageSize: 10 });
    const normal = await store.queryCdrs({ from: now - day, to: now + day, endReason: 'normal-clearing', pageSize: 10 });
    const failed = await store.queryCdrs({ from: now - day, to: now + day, endReason: 'callee-failure', pageSize: 10 });
    assert.equal(all.total, placed + busy);
    assert.equal(normal.total, placed);
    assert.equal(failed.total, busy);
    const one = normal.rows[0]!;
    assert.equal(one.ingressGateway, 'demo-customer');
    assert.equal(one.egressGateway, 'carrier-a');
    assert.equal(one.callerSipCode, 200);
    assert.ok(one.holdTimeMs >= 90, `hold time ${one.holdTimeMs}`);
    assert.notEqual(one.callerCallId, one.calleeCallId);
  } finally {
    await store.close();
  }
});
