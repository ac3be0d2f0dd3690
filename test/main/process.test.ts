// The switch as an operator runs it: `node dist/src/main.js` on a config folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import { writeConfig } from '../helpers/switch.js';
import { spawnSwitch, MAIN, ROOT } from '../helpers/process.js';
import { createUa, invite, ackFor, inDialog, type SipMsg } from '../helpers/sip-ua.js';
import { rawExchange, rawInvite, statusOf } from '../helpers/raw.js';

function runMain(configDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { ...process.env, SSW_CONFIG: configDir }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (b) => (stderr += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

test('a wrong parameter stops start-up with a message naming the file, the parameter and the range', async () => {
  const dir = writeConfig({ ip: '127.0.0.30', customers: [{ name: 'c', ips: ['127.0.0.31'] }], carriers: [{ name: 'k', address: '127.0.0.32', port: 5080 }] });
  writeFileSync(join(dir, 'params.yaml'), 'SS_SIP_SESSION_TTL: 5\n');
  const r = await runMain(dir);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /params\.yaml/);
  assert.match(r.stderr, /SS_SIP_SESSION_TTL/);
  assert.match(r.stderr, /\d+\s*-\s*\d+|range|allowed/i);
});

test('a wrong gateway field stops start-up naming the field', async () => {
  const dir = writeConfig({ ip: '127.0.0.30', customers: [{ name: 'c', ips: ['127.0.0.31'] }], carriers: [{ name: 'k', address: '127.0.0.32', port: 70000 }] });
  const r = await runMain(dir);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /network\.yaml: routingGateways\[0\]\.port/);
});

test('a port already taken stops start-up with a clear bind error', async () => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((r) => blocker.bind(5060, '127.0.0.33', () => r()));
  const dir = writeConfig({ ip: '127.0.0.33', customers: [{ name: 'c', ips: ['127.0.0.31'] }], carriers: [{ name: 'k', address: '127.0.0.32', port: 5080 }] });
  const r = await runMain(dir);
  blocker.close();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /SSW_ERR_SIP_BIND.*127\.0\.0\.33:5060/);
});

test('SIGTERM drains: new calls get 503 with Retry-After, the active call finishes, then nothing is left listening', async () => {
  const SW = '127.0.0.34';
  const dir = writeConfig({ ip: SW, drainSeconds: 10, customers: [{ name: 'c', ips: ['127.0.0.35'] }], carriers: [{ name: 'k', address: '127.0.0.36', port: 5080 }] });
  const proc = await spawnSwitch(dir);
  const caller = createUa('127.0.0.35', 5070);
  const carrier = createUa('127.0.0.36', 5080, (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: 'dr', contact: `sip:k@${ua.address}:${ua.port}`, content: 'v=0\r\n' });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
  try {
    const inv = invite(caller, SW, 5060, '1001');
    const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    caller.send(ackFor(inv, ok));
    proc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    // A raw socket: the npm sip client would hide a 503 behind its own address search.
    const got = await rawExchange('127.0.0.35', SW, 5060, rawInvite('127.0.0.35', SW, 5060, '1002'));
    const refused = got.find((m) => statusOf(m) >= 200) ?? '';
    assert.equal(statusOf(refused), 503);
    assert.match(refused, /^Retry-After: 10\r$/m);
    assert.match(refused, /^To: .*;tag=/m);
    assert.equal(proc.child.exitCode, null, 'still running while a call is up');
    caller.send(inDialog('BYE', inv, ok, 2));
    const code = await proc.exited;
    assert.equal(code, 0);
    // Nothing left listening: the ports bind again.
    const u = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => { u.once('error', reject); u.bind(5060, SW, () => resolve()); });
    u.close();
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(5060, SW, () => resolve()); });
    s.close();
  } finally {
    caller.stop();
    carrier.stop();
    await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
