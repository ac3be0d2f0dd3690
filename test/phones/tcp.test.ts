// A phone registered over TCP is called over the connection it registered on (the phone's port
// is an ephemeral one nobody could connect to).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { createUa, invite, ackFor, inDialog, SDP_B, uniq, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { answer, sendInvite } from './phone-helpers.js';

const SW = '127.0.0.195';
let dir: string;
let sw: Softswitch;
let phone: Ua;
let cust: Ua;

before(async () => {
  dir = writeNetworkConfig({
    ip: SW, transports: ['udp', 'tcp'],
    network: {
      accounts: [{ id: 'acc', name: 'a', prepaid: false, balance: '1.00' }],
      mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.197'], account: 'acc' }],
      phones: [{ number: '4001', password: 'pw4', account: 'acc' }],
    },
  });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  phone = createUa('127.0.0.196', 5075, (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: 'tcpphone', contact: `sip:4001@${ua.address}:${ua.port};transport=tcp`, content: SDP_B });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  }, { tcp: true });
  cust = createUa('127.0.0.197', 5076);
});

after(async () => {
  phone.stop();
  cust.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

function registerTcp(auth?: Record<string, string>, seq = 1, callId = 'tcp-reg'): Promise<SipMsg> {
  const m: SipMsg = {
    method: 'REGISTER',
    uri: `sip:${SW}:5060;transport=tcp`,
    headers: {
      to: { uri: `sip:4001@${SW}` }, from: { uri: `sip:4001@${SW}`, params: { tag: uniq('t') } }, 'call-id': callId,
      cseq: { method: 'REGISTER', seq }, contact: [{ uri: `sip:4001@127.0.0.196:5075;transport=tcp` }], 'max-forwards': 70, expires: 300,
    },
  };
  if (auth) m.headers.authorization = [auth];
  return new Promise((resolve) => phone.send(m, (rs: SipMsg) => { if (rs.status >= 200) resolve(rs); }));
}

test('REGISTER over TCP, then a call to the phone arrives on that TCP connection', async () => {
  const first = await registerTcp();
  assert.equal(first.status, 401);
  const ok = await registerTcp(answer(first.headers['www-authenticate'][0], '4001', 'pw4', 'REGISTER', `sip:${SW}:5060;transport=tcp`), 2);
  assert.equal(ok.status, 200);
  const b = sw.phones!.registrar.contacts('4001');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.source.transport, 'tcp');
  assert.notEqual(b[0]!.source.port, 5075, 'the source port is the connection\'s ephemeral port');
  const inv = invite(cust, SW, 5060, '4001');
  const rs = await sendInvite(cust, inv);
  assert.equal(rs.status, 200);
  cust.send(ackFor(inv, rs));
  const rq = await phone.waitRequest((r) => r.method === 'INVITE');
  assert.equal(rq.uri, 'sip:4001@127.0.0.196:5075;transport=tcp');
  assert.equal(rq.headers.via[0].protocol, 'TCP');
  await new Promise<SipMsg>((resolve) => cust.send(inDialog('BYE', inv, rs, 2), resolve));
});
