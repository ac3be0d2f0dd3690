// Live reload of params.yaml and server.yaml in a running switch, shown on the wire: carriers and
// the caller are npm `sip` UAs. SS_GATEWAY_SWITCH_LIMIT 1 -> 3 by editing params.yaml and a reload
// lets the next call fail over to a third carrier it could not reach before; a call in progress
// keeps its own INVITE timeout; a bad value is refused with the start-up message and nothing
// changes; a restart-only change is reported and kept; an admin API override wins over the file;
// server.yaml's live fields apply (the Server header on the wire), the rest are listed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { startTestAdmin, sswOn, type TestAdmin } from '../admin/admin-helpers.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { NetworkPolicy } from '../../src/call/index.js';
import type { CdrRecord } from '../../src/cdr/index.js';
import { until } from '../helpers/sipp-net.js';
import { answeringUa, createUa, invite, ackFor, inDialog, type Ua, type SipMsg } from '../helpers/sip-ua.js';

const SW = '127.0.0.110';
const CALLER = '127.0.0.111';
const C1 = '127.0.0.112';
const C2 = '127.0.0.113';
const C3 = '127.0.0.114';
const SILENT = '127.0.0.115';

// 44...: c1 (503), c2 (503), c3 (answers), in that order.  55...: silent (never answers), then c3.
const NETWORK = {
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'acc' }],
  routingGateways: [
    { name: 'c1', id: 1, address: C1, port: 5080, prefixes: ['44'], priority: 1 },
    { name: 'c2', id: 2, address: C2, port: 5080, prefixes: ['44'], priority: 2 },
    { name: 'c3', id: 3, address: C3, port: 5080, prefixes: ['44', '55'], priority: 3 },
    { name: 'silent', id: 4, address: SILENT, port: 5080, prefixes: ['55'], priority: 0 },
  ],
};

let dir: string;
let sw: Softswitch;
let admin: TestAdmin;
let caller: Ua;
let c1: Ua;
let c2: Ua;
let c3: Ua;
/** A carrier that never answers, on a raw socket: it records every retransmission (a SIP stack would absorb them). */
let silent: dgram.Socket;
const silentLog: Array<{ at: number; text: string }> = [];
const silentInvites = (n: string) => silentLog.filter((m) => m.text.startsWith(`INVITE sip:${n}@`));
const cdrs: CdrRecord[] = [];
let seq = 0;

const refusing = (ip: string) => createUa(ip, 5080, (rq, ua) => {
  if (rq.method === 'INVITE') ua.respond(rq, 503, 'Service Unavailable', { toTag: `r${Math.random()}` });
  else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
});

const writeParams = (p: Record<string, unknown>) => writeFileSync(join(dir, 'params.yaml'), stringify(p));
const invitesFor = (ua: Ua, number: string) => ua.received.filter((r) => r.method === 'INVITE' && r.uri.startsWith(`sip:${number}@`)).length;

before(async () => {
  dir = writeNetworkConfig({ ip: SW, network: NETWORK, params: { SS_GATEWAY_SWITCH_LIMIT: 1, SS_SIP_TIMEOUT_INVITE: 1 } });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  sw.live.env = {};
  await sw.start();
  (sw.policy as NetworkPolicy).onCdr = (cdr) => cdrs.push(cdr);
  admin = await startTestAdmin(sw);
  caller = createUa(CALLER, 5070);
  c1 = refusing(C1);
  c2 = refusing(C2);
  c3 = answeringUa(C3);
  silent = dgram.createSocket('udp4');
  silent.on('message', (b) => silentLog.push({ at: Date.now(), text: b.toString('latin1') }));
  await new Promise<void>((r) => silent.bind(5080, SILENT, () => r()));
});

after(async () => {
  for (const u of [caller, c1, c2, c3]) u.stop();
  silent.close();
  await admin.cleanup();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

/** Places a call; resolves with its final response (a 2xx is ACKed) and every response seen. */
function call(number: string): { inv: SipMsg; done: Promise<{ final: SipMsg; all: SipMsg[] }> } {
  const inv = invite(caller, SW, 5060, number);
  const all: SipMsg[] = [];
  const done = new Promise<{ final: SipMsg; all: SipMsg[] }>((resolve) => caller.send(inv, (rs) => {
    all.push(rs);
    if (rs.status >= 200) {
      if (rs.status < 300) caller.send(ackFor(inv, rs));
      resolve({ final: rs, all });
    }
  }));
  return { inv, done };
}

function bye(inv: SipMsg, ok: SipMsg): Promise<number> {
  return new Promise((resolve) => caller.send(inDialog('BYE', inv, ok, 2), (rs) => resolve(rs.status)));
}

const number = (prefix: string) => `${prefix}${String(++seq).padStart(6, '0')}`;

test('SS_GATEWAY_SWITCH_LIMIT 1 -> 3 in params.yaml + reload: the next call fails over to the third carrier', async () => {
  const n1 = number('44');
  const r1 = await call(n1).done;
  assert.ok(r1.final.status >= 300, `limit 1: the call fails after the first carrier (got ${r1.final.status})`);
  assert.deepEqual([invitesFor(c1, n1), invitesFor(c2, n1), invitesFor(c3, n1)], [1, 0, 0]);

  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 1 });
  const before = sw.b2bua.params;
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.applied, [{ name: 'SS_GATEWAY_SWITCH_LIMIT', from: '1', to: '3' }]);
  assert.deepEqual(r.body.pendingRestart, []);
  assert.equal(r.body.source, join(dir, 'params.yaml'));
  assert.match(r.body.message, /in force for new calls: SS_GATEWAY_SWITCH_LIMIT/);
  assert.notEqual(sw.b2bua.params, before, 'a new set was swapped in');
  assert.equal(before.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), 1, 'the old set (held by calls in progress) is untouched');

  const n2 = number('44');
  const c = call(n2);
  const r2 = await c.done;
  assert.equal(r2.final.status, 200);
  assert.deepEqual([invitesFor(c1, n2), invitesFor(c2, n2), invitesFor(c3, n2)], [1, 1, 1]);
  assert.equal(await bye(c.inv, r2.final), 200);
  // And in the CDR, through the journal into the store.
  await sw.engines!.cdr.waitDrained(5000);
  const day = 86_400_000;
  const rows = (await sw.engines!.store!.queryCdrs({ from: Date.now() - day, to: Date.now() + day })).rows;
  const row = (n: string) => rows.find((x) => x.calleeAccess === n)!;
  assert.deepEqual([row(n1).gatewaysTried, row(n1).egressGateway], [1, 'c1']);
  assert.deepEqual([row(n2).gatewaysTried, row(n2).egressGateway, row(n2).endReason], [3, 'c3', 'normal-clearing']);
});

test('a call in progress keeps the INVITE timeout it started with; a call after the reload waits the new one', async () => {
  const n1 = number('55');
  const c = call(n1);
  await until(() => silentInvites(n1).length > 0, 5000, 'the INVITE at the silent carrier');
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 30 });
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.deepEqual(r.body.applied, [{ name: 'SS_SIP_TIMEOUT_INVITE', from: '1', to: '30' }]);
  // Its own 1 s timeout still moves it on to c3.
  const r1 = await c.done;
  assert.equal(r1.final.status, 200);
  assert.equal(invitesFor(c3, n1), 1);
  assert.equal(await bye(c.inv, r1.final), 200);

  const n2 = number('55');
  const c2call = call(n2);
  await until(() => silentInvites(n2).length > 0, 5000, 'the INVITE at the silent carrier');
  await new Promise((res) => setTimeout(res, 2500));
  assert.equal(invitesFor(c3, n2), 0, 'a new call waits the 30 s now in force');
  // Release it through the API (both legs); the caller hears the end.
  const list = await admin.api('/api/v1/calls');
  const flow = (list.body.calls as any[]).find((x) => x.callee.received === n2);
  assert.ok(flow, 'the call is listed in progress');
  assert.equal((await admin.api(`/api/v1/calls/${flow.flowNo}`, { method: 'DELETE' })).status, 200);
  assert.ok((await c2call.done).final.status >= 400);
});

test('a SIP transaction keeps the retransmission schedule it began with; the next one takes the new schedule', async () => {
  // 200 ms between resends, and an INVITE timeout longer than the whole schedule (Timer B ends it after 1 s).
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 30, SS_SIP_RESEND_INTERVAL: '0.2,0.2,0.2,0.2,0.2' });
  sw.live.reloadParams();
  const n1 = number('55');
  const a = call(n1);
  await until(() => silentInvites(n1).length > 0, 5000, 'the first INVITE');
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 30, SS_SIP_RESEND_INTERVAL: '4,4' });
  assert.deepEqual(sw.live.reloadParams().applied.map((c) => c.name), ['SS_SIP_RESEND_INTERVAL']);
  const ra = await a.done;
  assert.equal(ra.final.status, 200, 'Timer B of its own schedule moved it on to c3');
  const times = silentInvites(n1).map((m) => m.at);
  assert.equal(times.length, 5, 'the first send and 4 resends of the 0.2 s schedule');
  assert.ok(times[4]! - times[0]! < 1500, `resends 200 ms apart (${times.map((t) => t - times[0]!).join(', ')} ms)`);
  await bye(a.inv, ra.final);

  const n2 = number('55');
  const b = call(n2);
  await until(() => silentInvites(n2).length > 0, 5000, 'the first INVITE');
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(silentInvites(n2).length, 1, 'no resend within 1.5 s: the new call waits 4 s');
  const list = await admin.api('/api/v1/calls');
  const flow = (list.body.calls as any[]).find((x) => x.callee.received === n2);
  await admin.api(`/api/v1/calls/${flow.flowNo}`, { method: 'DELETE' });
  await b.done;
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 30 });
  sw.live.reloadParams();
});

test('a bad value is refused with the start-up message (file, parameter, range) and nothing changes', async () => {
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 0, SS_SIP_TIMEOUT_INVITE: 'soon' });
  const before = sw.b2bua.params;
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'SSW_ERR_CONFIG_PARAM');
  const path = join(dir, 'params.yaml');
  assert.match(r.body.error.message, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: SS_GATEWAY_SWITCH_LIMIT: 0 is out of range; allowed: integer 1-100 gateways or None`));
  assert.match(r.body.error.message, /SS_SIP_TIMEOUT_INVITE: "soon" is not a number; allowed: integer 1-3600 s/);
  // Exactly what start-up says about the same file.
  assert.throws(() => loadConfig(dir, { env: {} }), (e: any) => e.code === 'SSW_ERR_CONFIG_PARAM' && e.message === r.body.error.message);
  assert.equal(sw.b2bua.params, before, 'the set in force is untouched');
  assert.equal(sw.live.params, before);
  // On the wire: limit 3 still holds.
  const n = number('44');
  const c = call(n);
  const res = await c.done;
  assert.equal(res.final.status, 200);
  assert.equal(invitesFor(c3, n), 1);
  await bye(c.inv, res.final);
  // A file that is not YAML at all is refused too.
  writeFileSync(join(dir, 'params.yaml'), 'SS_GATEWAY_SWITCH_LIMIT: [1\n');
  const y = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.equal(y.status, 400);
  assert.match(y.body.error.message, /params\.yaml: \(file\): YAML error/);
  assert.equal(sw.b2bua.params, before);
});

test('a restart-only change is reported and kept; the live ones in the same file apply', async () => {
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 2, SS_SIP_TIMEOUT_INVITE: 1, SSW_TIME_ZONE: 'Europe/London' });
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.applied, [
    { name: 'SS_SIP_TIMEOUT_INVITE', from: '30', to: '1' },
    { name: 'SS_GATEWAY_SWITCH_LIMIT', from: '3', to: '2' },
  ]);
  assert.equal(r.body.pendingRestart.length, 1);
  assert.deepEqual({ ...r.body.pendingRestart[0], why: undefined }, { name: 'SSW_TIME_ZONE', from: 'UTC', to: 'Europe/London', why: undefined });
  assert.match(r.body.pendingRestart[0].why, /daily CDR tables/);
  assert.match(r.body.message, /needs a restart \(the value in force stays\): SSW_TIME_ZONE/);
  assert.equal(sw.b2bua.params.str('SSW_TIME_ZONE'), 'UTC');
  const tz = await admin.api('/api/v1/parameters/SSW_TIME_ZONE');
  assert.deepEqual([tz.body.value, tz.body.pending, tz.body.applies, tz.body.source], ['UTC', 'Europe/London', 'restart', 'default']);
  const list = await admin.api('/api/v1/parameters');
  assert.deepEqual(list.body.pendingRestart, ['SSW_TIME_ZONE']);
  const limit = (list.body.parameters as any[]).find((p) => p.name === 'SS_GATEWAY_SWITCH_LIMIT');
  assert.deepEqual([limit.value, limit.source, limit.applies, limit.pending], [2, 'file', 'live', undefined]);
  // On the wire: limit 2 stops after c1 and c2; c3 is not reached.
  const n = number('44');
  const res = await call(n).done;
  assert.ok(res.final.status >= 300);
  assert.deepEqual([invitesFor(c1, n), invitesFor(c2, n), invitesFor(c3, n)], [1, 1, 0]);
  // The CLI shows the same.
  const cli = await sswOn(admin, ['params', 'list', '--changed']);
  assert.equal(cli.code, 0, cli.err);
  assert.match(cli.out, /APPLIES/);
  assert.match(cli.out, /SSW_TIME_ZONE\s+UTC \(Europe\/London after restart\)/);
  assert.match(cli.out, /SS_GATEWAY_SWITCH_LIMIT\s+2\s/);
  const again = await sswOn(admin, ['params', 'reload']);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /params\.yaml: nothing changed; needs a restart/);
  assert.match(again.out, /restart {2}SSW_TIME_ZONE: UTC stays in force; Europe\/London after the next restart/);
});

test('an admin API override wins over the file: the reload says so; dropping it follows the file', async () => {
  const put = await admin.api('/api/v1/parameters/SS_GATEWAY_SWITCH_LIMIT', { method: 'PUT', body: { value: 3 } });
  assert.deepEqual([put.status, put.body.value, put.body.source], [200, 3, 'api']);
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 1, SS_SIP_TIMEOUT_INVITE: 1, SSW_TIME_ZONE: 'Europe/London' });
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.deepEqual(r.body.applied, []);
  assert.deepEqual(r.body.overridden, [{ name: 'SS_GATEWAY_SWITCH_LIMIT', file: '1', inForce: '3' }]);
  assert.equal(sw.b2bua.params.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), 3);
  const n = number('44');
  const c = call(n);
  const res = await c.done;
  assert.equal(res.final.status, 200, 'the override (3) reaches c3');
  await bye(c.inv, res.final);
  const del = await admin.api('/api/v1/parameters/SS_GATEWAY_SWITCH_LIMIT', { method: 'DELETE' });
  assert.deepEqual([del.body.value, del.body.source], [1, 'file']);
  // A restart-only parameter set through the API waits for the restart too.
  const tz = await admin.api('/api/v1/parameters/SSW_TIME_ZONE', { method: 'PUT', body: { value: 'Asia/Tokyo' } });
  assert.deepEqual([tz.status, tz.body.value, tz.body.pending], [200, 'UTC', 'Asia/Tokyo']);
  const cli = await sswOn(admin, ['params', 'set', 'SSW_TIME_ZONE', 'Asia/Shanghai']);
  assert.match(cli.out, /SSW_TIME_ZONE = UTC in force; Asia\/Shanghai after the next restart/);
  await admin.api('/api/v1/parameters/SSW_TIME_ZONE', { method: 'DELETE' });
});

test('parameters read once at start follow a reload: billing precision, CDR query limits, retransmission schedule, quality windows', async () => {
  writeParams({
    SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 1, SERVER_BILLING_FEE_PRECISION: 2, SERVER_QUERY_CDR_MAX_DAY_INTERVAL: 1,
    SS_SIP_RESEND_INTERVAL: '0.5,1,2', SS_GATEWAY_ASR_RESERVE_TIME: 300, SS_GATEWAY_ASR_RESERVE_SEPARATE: 5,
  });
  const r = await admin.api('/api/v1/parameters/reload', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.qualityWindows, ['asr']);
  assert.deepEqual(r.body.pendingRestart, [], 'SSW_TIME_ZONE left the file: nothing waits any more');
  assert.equal(sw.engines!.book.settings.feePrecision, 2);
  assert.deepEqual(sw.tx.timers.resend, [500, 1000, 2000]);
  assert.deepEqual((sw.policy as NetworkPolicy).quality.windows.asr, [300, 5]);
  const now = Date.now();
  const q = await admin.api(`/api/v1/cdrs?from=${now - 3 * 86_400_000}&to=${now}`);
  assert.equal(q.status, 400);
  assert.equal(q.body.error.code, 'SSW_ERR_ADMIN_VALIDATION');
  assert.match(q.body.error.message, /at most 1 \(SERVER_QUERY_CDR_MAX_DAY_INTERVAL\)/);
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_SIP_TIMEOUT_INVITE: 1 });
  sw.live.reloadParams();
  assert.equal(sw.engines!.book.settings.feePrecision, 7);
});

test('server.yaml: live fields apply at once (the Server header on the wire), restart-only ones are listed; a bad file changes nothing', async () => {
  const path = join(dir, 'server.yaml');
  const original = readFileSync(path, 'utf8');
  const doc = parse(original);
  writeFileSync(path, stringify({ ...doc, userAgent: 'ssw-live-2', drainSeconds: 7, listen: [{ ...doc.listen[0], port: 5062 }] }));
  const r = await admin.api('/api/v1/server/reload', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.applied, [{ name: 'drainSeconds', from: '0', to: '7' }, { name: 'userAgent', from: 'open-softswitch', to: 'ssw-live-2' }]);
  assert.deepEqual(r.body.pendingRestart.map((p: any) => p.name), ['listen']);
  assert.match(r.body.message, /needs a restart \(the value in force stays\): listen/);
  assert.equal(sw.live.server.drainSeconds, 7);
  const shown = await admin.api('/api/v1/server');
  const listen = (shown.body.fields as any[]).find((f) => f.name === 'listen');
  assert.deepEqual([listen.applies, listen.value[0].port, listen.pending[0].port], ['restart', 5060, 5062]);

  const n = number('44');
  const c = call(n);
  const res = await c.done;
  assert.equal(res.final.status, 200);
  assert.equal(res.final.headers.server, 'ssw-live-2', 'responses carry the new Server header');
  await bye(c.inv, res.final);

  writeFileSync(path, stringify({ ...doc, udpMtu: 10 }));
  const bad = await admin.api('/api/v1/server/reload', { method: 'POST' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SSW_ERR_CONFIG_INVALID');
  assert.match(bad.body.error.message, /server\.yaml: udpMtu: 10 is/);
  assert.equal(sw.live.server.userAgent, 'ssw-live-2', 'nothing changed');
  const cli = await sswOn(admin, ['server']);
  assert.match(cli.out, /listen\s+.*restart\s+\[\{"ip":"127\.0\.0\.110","port":5062/);

  writeFileSync(path, original);
  const back = await sswOn(admin, ['server', 'reload']);
  assert.equal(back.code, 0, back.err);
  assert.match(back.out, /applied {2}userAgent: ssw-live-2 -> open-softswitch/);
  assert.deepEqual(sw.live.pendingServer(), []);
});

test('the file watcher reloads params.yaml when it changes', async () => {
  const seen: any[] = [];
  sw.live.watch((r) => seen.push(r));
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 2, SS_SIP_TIMEOUT_INVITE: 1 });
  await until(() => seen.some((r) => r.ok && r.update.applied.length > 0), 5000, 'the watcher reloading the file');
  const r = seen.find((x) => x.ok && x.update.applied.length > 0);
  assert.equal(r.file, 'params.yaml');
  assert.deepEqual(r.update.applied, [{ name: 'SS_GATEWAY_SWITCH_LIMIT', from: '3', to: '2' }]);
  assert.equal(sw.b2bua.params.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), 2);
  sw.live.close();
});

test('metrics count the reloads by file and result, and what waits for a restart', async () => {
  writeParams({ SS_GATEWAY_SWITCH_LIMIT: 2, SS_SIP_TIMEOUT_INVITE: 1, SSW_TIME_ZONE: 'Asia/Tokyo' });
  sw.live.reloadParams();
  const m = await admin.api('/metrics');
  assert.equal(m.status, 200);
  // Two refused params.yaml reloads (a bad value, broken YAML) and one refused server.yaml earlier in this file.
  assert.match(m.text, /^ssw_config_reloads_total\{file="params\.yaml",result="refused"\} 2$/m);
  assert.match(m.text, /^ssw_config_reloads_total\{file="server\.yaml",result="refused"\} 1$/m);
  assert.match(m.text, /^ssw_config_reloads_total\{file="params\.yaml",result="applied"\} \d+$/m);
  assert.match(m.text, /^ssw_config_pending_restart 1$/m);
});
