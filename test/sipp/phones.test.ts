// SIPp as the phone: its own digest code (not ours, not the test's) answers the switch's 401 on
// REGISTER and 407 on INVITE, and the call arrives at a SIPp carrier with the phone's dial plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { runSipp } from '../helpers/sipp.js';

const SW = '127.0.0.192';
const PHONE = '127.0.0.193';
const CARRIER = '127.0.0.194';
let dir: string;
let sw: Softswitch;
let uas: ChildProcess;
const msgFile = () => join(dir, 'uas-messages.log');

const HEAD = (method: string, uri: string, cseq: number) => `${method} ${uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:${method === 'REGISTER' ? 'alice' : '0123'}@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:alice@[local_ip]:[local_port]>
      Max-Forwards: 70`;

/** ACK or BYE of the call (the To tag is the peer's). */
const inDialog = (method: string, uri: string, cseq: number, attrs = '') => `  <send${attrs}><![CDATA[
      ${method} ${uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:0123@[remote_ip]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>`;

const REGISTER_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[
      ${HEAD('REGISTER', 'sip:[remote_ip]', 1)}
      Expires: 120
      Content-Length: 0
    ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
      ${HEAD('REGISTER', 'sip:[remote_ip]', 2)}
      [authentication username=alice password=secret1]
      Expires: 120
      Content-Length: 0
    ]]></send>
  <recv response="200"/>
</scenario>
`;

const INVITE_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call with proxy digest">
  <send retrans="500"><![CDATA[
      ${HEAD('INVITE', 'sip:0123@[remote_ip]:[remote_port]', 1)}
      Content-Length: 0
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
${inDialog('ACK', 'sip:0123@[remote_ip]:[remote_port]', 1)}
  <send retrans="500"><![CDATA[
      ${HEAD('INVITE', 'sip:0123@[remote_ip]:[remote_port]', 2)}
      [authentication username=alice password=secret1]
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
${inDialog('ACK', '[next_url]', 2)}
  <pause milliseconds="200"/>
${inDialog('BYE', '[next_url]', 3, ' retrans="500"')}
  <recv response="200"/>
</scenario>
`;

before(async () => {
  dir = writeNetworkConfig({ ip: SW, network: {
    accounts: [{ id: 'ph', name: 'phones', prepaid: false, balance: '0' }],
    routingGateways: [{ name: 'uk', address: CARRIER, port: 5080, prefixes: ['44'] }],
    phones: [{ number: '1001', username: 'alice', password: 'secret1', account: 'ph', calleeRules: [{ from: '0', to: '44' }], callerRules: [{ from: '*', to: '+86*' }] }],
  } });
  writeFileSync(join(dir, 'register.xml'), REGISTER_XML);
  writeFileSync(join(dir, 'invite.xml'), INVITE_XML);
  process.env.SSW_LOG_LEVEL ??= 'warn';
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  uas = spawn('sipp', ['-sn', 'uas', '-i', CARRIER, '-p', '5080', '-nostdin', '-trace_msg', '-message_file', msgFile()], { cwd: dir, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 400));
});

after(async () => {
  uas.kill('SIGKILL');
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

test('SIPp registers with its own digest answer to the 401', async () => {
  const r = await runSipp([`${SW}:5060`, '-sf', join(dir, 'register.xml'), '-i', PHONE, '-p', '5090', '-m', '1', '-timeout', '20s', '-timeout_error'], 30_000).done;
  assert.equal(r.successful, 1, r.stdout.slice(-1500));
  const b = sw.phones!.registrar.contacts('1001');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.uri, `sip:alice@${PHONE}:5090`);
  assert.equal(b[0]!.source.address, PHONE);
});

test('SIPp calls through the 407 with Proxy-Authorization; the carrier gets the phone\'s dial plan', async () => {
  const errors = join(dir, 'phone-errors.log');
  const msgs = join(dir, 'phone-messages.log');
  const r = await runSipp([`${SW}:5060`, '-sf', join(dir, 'invite.xml'), '-i', PHONE, '-p', '5091', '-m', '1', '-timeout', '20s', '-timeout_error', '-trace_err', '-error_file', errors, '-trace_msg', '-message_file', msgs], 30_000).done;
  const why = () => `${existsSync(errors) ? readFileSync(errors, 'utf8') : ''}\n${existsSync(msgs) ? readFileSync(msgs, 'utf8').slice(-3000) : ''}`;
  assert.equal(r.failed, 0, why());
  assert.equal(r.successful, 1, r.stdout.slice(-1500));
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(existsSync(msgFile()), 'SIPp wrote its message trace');
  const invites = readFileSync(msgFile(), 'utf8').split(/\n(?=-{5,})/).filter((b) => /^INVITE /m.test(b));
  assert.equal(invites.length, 1);
  assert.match(invites[0]!, /^INVITE sip:44123@127\.0\.0\.194:5080 SIP\/2\.0/m);
  assert.match(invites[0]!, /^From: <sip:\+861001@/m);
  assert.doesNotMatch(invites[0]!, /Proxy-Authorization/i);
  assert.equal(sw.phones!.registrar.counters.invite.ok, 1);
  assert.equal(sw.phones!.registrar.counters.invite.challenged, 1);
});
