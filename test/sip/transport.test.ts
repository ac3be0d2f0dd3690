// Transports against raw sockets: TCP framing (pipelined, partial, oversize) and UDP size limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';

const SW = '127.0.0.20';
let sw: RunningSwitch;

before(async () => {
  sw = await startSwitch({
    ip: SW, port: 5060, maxMessageBytes: 4000,
    customers: [{ name: 'c', ips: ['127.0.0.21'] }],
    carriers: [{ name: 'k', address: '127.0.0.22', port: 5080 }],
  });
});
after(async () => {
  await sw.stop();
});

function options(callId: string, via = 'SIP/2.0/TCP 127.0.0.21:5999;branch=z9hG4bK' + callId, extra = ''): string {
  return `OPTIONS sip:${SW}:5060 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.21>;tag=t${callId}\r\n` +
    `To: <sip:${SW}>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`;
}

function tcpSession(): Promise<{ sock: net.Socket; data: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    let buf = '';
    const sock = net.connect({ host: SW, port: 5060, localAddress: '127.0.0.21' }, () => resolve({ sock, data: () => buf, closed }));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('data', (b) => (buf += b.toString('latin1')));
    sock.on('error', () => {});
  });
}

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('TCP: two pipelined requests in one segment get two responses on the same connection', async () => {
  const s = await tcpSession();
  s.sock.write(options('pipe1') + '\r\n\r\n' + options('pipe2'));
  await until(() => (s.data().match(/SIP\/2\.0 200/g) ?? []).length === 2);
  assert.match(s.data(), /Call-ID: pipe1[\s\S]*Call-ID: pipe2/);
  s.sock.destroy();
});

test('TCP: a request split over several segments is reassembled', async () => {
  const s = await tcpSession();
  const m = options('split1');
  s.sock.write(m.slice(0, 17));
  await new Promise((r) => setTimeout(r, 30));
  s.sock.write(m.slice(17, 90));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.data(), '');
  s.sock.write(m.slice(90));
  await until(() => s.data().includes('SIP/2.0 200'));
  s.sock.destroy();
});

test('TCP: a message over maxMessageBytes is refused with 513 and the connection closed', async () => {
  const s = await tcpSession();
  s.sock.write(options('big1', undefined, `X-Pad: ${'a'.repeat(5000)}\r\n`));
  await s.closed;
  assert.match(s.data(), /^SIP\/2\.0 513/);
});

test('TCP: a frame that never ends within the limit closes the connection', async () => {
  const s = await tcpSession();
  s.sock.write(`OPTIONS sip:${SW} SIP/2.0\r\nX-Endless: ${'b'.repeat(6000)}`);
  await s.closed;
  assert.equal(s.data(), '');
});

test('TCP: conflicting Content-Length values close the connection after the error', { timeout: 10_000 }, async () => {
  const s = await tcpSession();
  s.sock.write(options('mcl', undefined, 'Content-Length: 5\r\n'));
  await s.closed;
  assert.match(s.data(), /^SIP\/2\.0 400/);
});

test('UDP: an over-limit datagram gets 513; the response goes to the rport', async () => {
  const u = dgram.createSocket('udp4');
  await new Promise<void>((r) => u.bind(0, '127.0.0.21', () => r()));
  const got = new Promise<string>((r) => u.once('message', (b) => r(b.toString('latin1'))));
  u.send(options('bigudp', 'SIP/2.0/UDP 127.0.0.21:5999;branch=z9hG4bKbigudp;rport', `X-Pad: ${'c'.repeat(5000)}\r\n`), 5060, SW);
  const rs = await got;
  assert.match(rs, /^SIP\/2\.0 513/);
  assert.match(rs, new RegExp(`rport=${u.address().port}`));
  assert.match(rs, /received=127\.0\.0\.21/);
  u.close();
});

test('UDP: a response without rport goes to the Via sent-by port', async () => {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await new Promise<void>((r) => a.bind(0, '127.0.0.21', () => r()));
  await new Promise<void>((r) => b.bind(0, '127.0.0.21', () => r()));
  const got = new Promise<string>((r) => b.once('message', (m) => r(m.toString('latin1'))));
  a.send(options('norport', `SIP/2.0/UDP 127.0.0.21:${b.address().port};branch=z9hG4bKnorport`), 5060, SW);
  assert.match(await got, /^SIP\/2\.0 200[\s\S]*Call-ID: norport/);
  a.close();
  b.close();
});
