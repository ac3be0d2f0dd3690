// The RFC 4475 torture corpus played at a switch process while SIPp's uac sends calls through it to
// SIPp's uas: every torture message gets its EXPECTED.tsv treatment, every SIPp call succeeds,
// and every SIPp call is one CDR in the store after the switch drains and exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from '../helpers/switch.js';
import { spawnSwitch, type SwitchProcess } from '../helpers/process.js';
import { runSipp } from '../helpers/sipp.js';
import { answeringUas, type SippUas } from '../helpers/sipp-net.js';
import { loadTorture, judge, TortureSender } from '../helpers/torture.js';
import { openStore } from '../../src/store/index.js';

const SW = '127.0.0.4';
const CARRIER = '127.0.0.5';
const UAC = '127.0.0.6';
const CALLS = 1500;
const RATE = 100;

let proc: SwitchProcess;
let dir: string;
let uas: SippUas;
const sender = new TortureSender();

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed (apt-get install -y sip-tester)');
  dir = writeConfig({
    ip: SW, port: 5060, transports: ['udp'],
    // The torture messages come from 127.0.0.1, SIPp's calls from UAC.
    customers: [{ name: 'load', ips: [UAC, '127.0.0.1'] }],
    carriers: [{ name: 'sipp-uas', address: CARRIER, port: 5080 }],
  });
  uas = answeringUas(CARRIER, 5080);
  await uas.listening();
  await sender.open();
  proc = await spawnSwitch(dir);
});

after(async () => {
  sender.close();
  await uas.cleanup();
  await proc.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test(`the torture corpus while SIPp places ${CALLS} calls through the switch: each message treated as EXPECTED.tsv says, no call failed, one CDR per call`, async () => {
  const sipp = runSipp(['-sn', 'uac', `${SW}:5060`, '-i', UAC, '-p', '5070', '-s', '5551000', '-m', String(CALLS), '-r', String(RATE), '-d', '200',
    '-timeout', '90s', '-timeout_error', '-recv_timeout', '10000', '-buff_size', '4194304'], 120_000);
  await new Promise((r) => setTimeout(r, 1000));
  const wrong: string[] = [];
  let played = 0;
  for (const c of loadTorture()) {
    const statuses = await sender.send(c.bytes, SW, c.accept.includes('SILENT'));
    // Only the carrier's answer makes a 200 to an INVITE: a new torture INVITE answered 200 went through.
    const w = judge(c, statuses, sender.got, statuses.includes(200));
    if (w) wrong.push(`${c.name}: ${w}`);
    played++;
  }
  const r = await sipp.done;
  assert.equal(played, 49);
  assert.deepEqual(wrong, []);
  assert.equal(r.failed, 0, `failed SIPp calls\n${r.stdout.slice(-2000)}`);
  assert.equal(r.successful, CALLS);
  assert.ok(proc.child.exitCode === null, 'the switch is still running');

  assert.equal(await proc.stop('SIGTERM'), 0, 'drains and exits 0');
  const store = await openStore(`sqlite:${join(dir, 'data', 'ssw.db')}`);
  try {
    const now = Date.now();
    const page = await store.queryCdrs({ from: now - 86_400_000, to: now + 86_400_000, calleePrefix: '5551000', pageSize: 10 });
    assert.equal(page.total, CALLS, 'one CDR per SIPp call');
    const normal = await store.queryCdrs({ from: now - 86_400_000, to: now + 86_400_000, calleePrefix: '5551000', endReason: 'normal-clearing', pageSize: 10 });
    assert.equal(normal.total, CALLS);
  } finally {
    await store.close();
  }
});
