// A SIPp call through the switch arrives at the carrier (another SIPp) with the numbers that the
// mapping gateway's and the routing gateway's dial plans make of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeNetworkConfig } from '../helpers/switch.js';
import { spawnSwitch, type SwitchProcess } from '../helpers/process.js';
import { runSipp } from '../helpers/sipp.js';

const SW = '127.0.0.60';
const CARRIER = '127.0.0.61';
let dir: string;
let proc: SwitchProcess;
let uas: ChildProcess;
const msgFile = () => join(dir, 'uas-messages.log');

before(async () => {
  dir = writeNetworkConfig({ ip: SW, network: {
    accounts: [{ id: 'a', name: 'a', prepaid: false, balance: '0' }],
    // Strip the international 00 and add a country code to the caller, before routing.
    mappingGateways: [{ name: 'sipp', remoteIps: ['127.0.0.1'], account: 'a', calleeRules: [{ from: '00', to: '' }], callerRules: [{ from: '*', to: '86*' }] }],
    // This carrier wants a tech prefix 101 on the called number and + on the calling one.
    routingGateways: [{ name: 'uk', address: CARRIER, port: 5080, prefixes: ['44'], calleeRules: [{ from: '*', to: '101*' }], callerRules: [{ from: '86', to: '+86' }] }],
  } });
  proc = await spawnSwitch(dir);
  uas = spawn('sipp', ['-sn', 'uas', '-i', CARRIER, '-p', '5080', '-nostdin', '-trace_msg', '-message_file', msgFile()], { cwd: dir, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 400));
});

after(async () => {
  uas.kill('SIGKILL');
  await proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the carrier receives Request-URI, To and From rewritten by both dial plans', async () => {
  const r = await runSipp(['-sn', 'uac', `${SW}:5060`, '-i', '127.0.0.1', '-p', '5074', '-s', '0044123456', '-m', '5', '-r', '5', '-d', '100', '-timeout', '30s', '-timeout_error'], 40_000).done;
  assert.equal(r.failed, 0, r.stdout.slice(-1500));
  assert.equal(r.successful, 5);
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(existsSync(msgFile()), 'SIPp wrote its message trace');
  const log = readFileSync(msgFile(), 'utf8');
  const invites = log.split(/\n(?=-{5,})/).filter((b) => /^INVITE /m.test(b));
  assert.ok(invites.length >= 5, `carrier saw ${invites.length} INVITEs`);
  for (const inv of invites.slice(0, 5)) {
    assert.match(inv, /^INVITE sip:10144123456@127\.0\.0\.61:5080 SIP\/2\.0/m);
    assert.match(inv, /^To: <sip:10144123456@127\.0\.0\.61:5080>/m);
    assert.match(inv, /^From: <sip:\+86sipp@/m);
    assert.doesNotMatch(inv, /0044123456/, 'the number as received never reaches the carrier');
  }
});
