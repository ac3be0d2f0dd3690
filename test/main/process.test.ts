// The switch as an operator runs it: `node dist/src/main.js` on a config folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { linkSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { join } from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import { writeConfig } from '../helpers/switch.js';
import { spawnSwitch, MAIN, ROOT } from '../helpers/process.js';
import { createUa, invite, ackFor, inDialog, answeringUa, type SipMsg } from '../helpers/sip-ua.js';
import { rawExchange, rawInvite, statusOf } from '../helpers/raw.js';
import { until } from '../helpers/sipp-net.js';
import { openStore } from '../../src/store/index.js';

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

/**
 * A spawned switch on `sw` with one call answered through it (caller and carrier npm sip UAs), sent
 * `signal`; returns what the shutdown tests look at. `close()` cleans up whatever happened.
 */
async function callThenSignal(sw: string, callerIp: string, carrierIp: string, drainSeconds: number, signal: NodeJS.Signals) {
  const dir = writeConfig({ ip: sw, drainSeconds, customers: [{ name: 'c', ips: [callerIp] }], carriers: [{ name: 'k', address: carrierIp, port: 5080 }] });
  const proc = await spawnSwitch(dir);
  const caller = createUa(callerIp, 5070);
  const carrier = answeringUa(carrierIp);
  const close = async () => {
    caller.stop();
    carrier.stop();
    await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const inv = invite(caller, sw, 5060, '1001');
    const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
    assert.equal(ok.status, 200);
    caller.send(ackFor(inv, ok));
    const bInv = await carrier.waitRequest((r) => r.method === 'INVITE');
    const signalled = Date.now();
    proc.child.kill(signal);
    await new Promise((r) => setTimeout(r, 300));
    // A raw socket: the npm sip client would hide a 503 behind its own address search.
    const got = await rawExchange(callerIp, sw, 5060, rawInvite(callerIp, sw, 5060, '1002'));
    const refused = got.find((m) => statusOf(m) >= 200) ?? '';
    assert.equal(statusOf(refused), 503);
    assert.match(refused, new RegExp(`^Retry-After: ${drainSeconds}\\r$`, 'm'));
    assert.match(refused, /^To: .*;tag=/m);
    return { dir, proc, caller, carrier, inv, ok, bInv, signalled, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Nothing left listening on sw:5060: UDP and TCP bind again. */
async function portsFree(sw: string): Promise<void> {
  const u = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { u.once('error', reject); u.bind(5060, sw, () => resolve()); });
  u.close();
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(5060, sw, () => resolve()); });
  s.close();
}

test('SIGTERM drains: new calls get 503 with Retry-After, the active call finishes, then nothing is left listening', async () => {
  const t = await callThenSignal('127.0.0.34', '127.0.0.35', '127.0.0.36', 10, 'SIGTERM');
  try {
    assert.equal(t.proc.child.exitCode, null, 'still running while a call is up');
    t.caller.send(inDialog('BYE', t.inv, t.ok, 2));
    assert.equal(await t.proc.exited, 0);
    await portsFree('127.0.0.34');
  } finally {
    await t.close();
  }
});

test('SIGINT drains the same way; a call still up when drainSeconds run out is hung up with BYE on both legs before the exit', async () => {
  const t = await callThenSignal('127.0.0.37', '127.0.0.38', '127.0.0.39', 2, 'SIGINT');
  try {
    // Nobody hangs up: the drain deadline does, on both legs, and then the process exits 0.
    await t.caller.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === t.inv.headers['call-id'], 6000);
    await t.carrier.waitRequest((r) => r.method === 'BYE' && r.headers['call-id'] === t.bInv.headers['call-id'], 6000);
    const waited = Date.now() - t.signalled;
    assert.ok(waited >= 1900, `the call was given the drain time (${waited} ms)`);
    assert.equal(await t.proc.exited, 0);
    await portsFree('127.0.0.37');
    // The hung-up call is in the store the process left behind (the INVITE refused while draining
    // never became a call: no CDR, like any refusal before ingress).
    const store = await openStore(`sqlite:${join(t.dir, 'data', 'ssw.db')}`);
    try {
      const now = Date.now();
      const cdrs = await store.queryCdrs({ from: now - 86_400_000, to: now + 86_400_000, pageSize: 10 });
      const drained = cdrs.rows.find((r) => r.callerCallId === t.inv.headers['call-id']);
      assert.ok(drained, 'the drained call has its CDR');
      assert.equal(drained.callerSipCode, 200);
      assert.equal(drained.endReason, 'shutdown');
      assert.ok(drained.holdTimeMs >= 1500, `hold time ${drained.holdTimeMs}`);
      assert.equal(cdrs.total, 1);
    } finally {
      await store.close();
    }
  } finally {
    await t.close();
  }
});

test('SIGHUP re-reads params.yaml and server.yaml: live values apply and are logged, a restart-only one is logged as waiting, a bad file is refused', async () => {
  const SW = '127.0.0.116';
  const dir = writeConfig({ ip: SW, customers: [{ name: 'c', ips: ['127.0.0.117'] }], carriers: [{ name: 'k', address: '127.0.0.118', port: 5080 }], params: { SS_GATEWAY_SWITCH_LIMIT: 1 } });
  // Written through hard links the file watcher does not look at, so only SIGHUP can pick the edits up.
  linkSync(join(dir, 'params.yaml'), join(dir, 'params-edit'));
  linkSync(join(dir, 'server.yaml'), join(dir, 'server-edit'));
  const proc = await spawnSwitch(dir);
  const waitFor = (re: RegExp, what: string) => until(() => re.test(proc.output()), 5000, `a log line for ${what}`);
  try {
    await waitFor(/SIGHUP re-reads all three/, 'the signal handler in place');
    writeFileSync(join(dir, 'params-edit'), 'SS_GATEWAY_SWITCH_LIMIT: 3\nSSW_TIME_ZONE: Asia/Tokyo\n');
    const server = parse(readFileSync(join(dir, 'server.yaml'), 'utf8'));
    writeFileSync(join(dir, 'server-edit'), stringify({ ...server, drainSeconds: 2, logLevel: 'debug', adminPort: 18080 }));
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(proc.output(), /SS_GATEWAY_SWITCH_LIMIT: 1 -> 3/, 'nothing is taken before the signal');
    proc.child.kill('SIGHUP');
    await waitFor(/"msg":"parameters in force for new calls"/, 'the parameters applied');
    assert.match(proc.output(), /"applied":\["SS_GATEWAY_SWITCH_LIMIT: 1 -> 3"\]/);
    await waitFor(/SSW_TIME_ZONE needs a restart: UTC stays in force, Asia\/Tokyo applies after the restart/, 'the restart-only parameter');
    await waitFor(/"msg":"server settings reloaded"/, 'the server settings applied');
    await waitFor(/server\.yaml: adminPort needs a restart; 0 stays in force until then/, 'the restart-only server field');
    // logLevel: debug is in force: an unparseable datagram is now logged (at info it is not).
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.117', () => r()));
    u.send(Buffer.from('this is not SIP\r\n\r\n'), 5060, SW);
    await waitFor(/"msg":"unparseable message"/, 'a debug line');
    u.close();

    writeFileSync(join(dir, 'params-edit'), 'SS_GATEWAY_SWITCH_LIMIT: 500\n');
    proc.child.kill('SIGHUP');
    await waitFor(/params\.yaml reload refused; the values in force stay/, 'the refusal');
    assert.match(proc.output(), /SS_GATEWAY_SWITCH_LIMIT: 500 is out of range; allowed: integer 1-100 gateways or None/);

    // drainSeconds 2 is in force for the SIGTERM that follows.
    proc.child.kill('SIGTERM');
    await waitFor(/"drainSeconds":2,"msg":"draining: new calls get 503"/, 'the drain with the reloaded drainSeconds');
    assert.equal(await proc.exited, 0);
  } finally {
    await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an edit of params.yaml is picked up by the file watcher of a running switch', async () => {
  const SW = '127.0.0.119';
  const dir = writeConfig({ ip: SW, customers: [{ name: 'c', ips: ['127.0.0.117'] }], carriers: [{ name: 'k', address: '127.0.0.118', port: 5080 }] });
  const proc = await spawnSwitch(dir);
  try {
    // The watchers start right after SIP listens; an edit before that would go unseen.
    await until(() => proc.output().includes('for changes (SIGHUP re-reads all three)'), 5000, 'the watchers in place');
    writeFileSync(join(dir, 'params.yaml'), 'SS_SIP_TIMEOUT_INVITE: 4\n');
    await until(() => /"applied":\["SS_SIP_TIMEOUT_INVITE: 10 -> 4"\]/.test(proc.output()), 5000, 'the reload by the watcher');
  } finally {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
