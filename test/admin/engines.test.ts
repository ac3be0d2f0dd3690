// Operator tools over the engines, through the real HTTP API: dial-plan and routing explain, CDR
// query and CSV export, accounts and available time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { createUa, invite, ackFor, inDialog, SDP_B, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { startTestAdmin, sswOn, RO_TOKEN, type TestAdmin } from './admin-helpers.js';

const SW = '127.0.0.110';
let dir: string;
let sw: Softswitch;
let admin: TestAdmin;
let caller: Ua;
let carrier: Ua;
const t0 = Date.now();

before(async () => {
  dir = writeNetworkConfig({ ip: SW, rates: { std: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n' }, network: {
    accounts: [{ id: 'pre', name: 'p', prepaid: true, balance: '0.60', rateGroup: 'std' }],
    mappingGateways: [{ name: 'cust', remoteIps: ['127.0.0.111'], account: 'pre', calleeRules: [{ from: '00', to: '' }] }],
    routingGateways: [
      { name: 'uk', address: '127.0.0.112', port: 5080, prefixes: ['44'], priority: 1, calleeRules: [{ from: '44', to: '0044' }] },
      { name: 'any', address: '127.0.0.113', port: 5080, prefixes: ['*'], priority: 5, locked: true },
    ],
  } });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  admin = await startTestAdmin(sw);
  caller = createUa('127.0.0.111', 5070);
  carrier = createUa('127.0.0.112', 5080, (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: 'ok', contact: `sip:k@${ua.address}:5080`, content: SDP_B });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
  const inv = invite(caller, SW, 5060, '0044123');
  const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  caller.send(ackFor(inv, ok));
  await new Promise((r) => setTimeout(r, 1100));
  await new Promise<SipMsg>((resolve) => caller.send(inDialog('BYE', inv, ok, 2), resolve));
  await sw.engines!.cdr.waitDrained(5000);
});

after(async () => {
  caller.stop();
  carrier.stop();
  await admin.cleanup();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

test('dial-plan explain: the reference\'s $ example, the rule that matched, and validator warnings', async () => {
  const r = await admin.api('/api/v1/dialplans/explain', { method: 'POST', body: { rules: [{ from: '0134', to: '$$$' }, { from: '0', to: '0' }, { from: '0', to: '00' }], number: '0134131' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.output, '013131');
  assert.equal(r.body.matched, 0);
  assert.ok(r.body.candidates.length >= 2);
  assert.ok(r.body.warnings.some((w: { index: number }) => w.index === 2), 'the duplicate original is flagged');
  const bad = await admin.api('/api/v1/dialplans/explain', { method: 'POST', body: { rules: [{ from: '0', to: '1-' }], number: '0' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SSW_ERR_ADMIN_VALIDATION');
  assert.match(bad.body.error.message, /rule/i);
});

test('a configured gateway\'s dial plan can be asked with a read-only token', async () => {
  const r = await admin.api('/api/v1/gateways/mapping/cust/dialplan?number=0044123', { token: RO_TOKEN });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.output, '44123');
  const none = await admin.api('/api/v1/gateways/routing/nope/dialplan?number=1');
  assert.equal(none.status, 404);
});

test('routing explain: candidates in order, and why the others were left out', async () => {
  const r = await admin.api('/api/v1/routing/explain?ingress=cust&number=0044123');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.calleeAfterDialPlan, '44123');
  assert.deepEqual(r.body.candidates.map((c: { gateway: string }) => c.gateway), ['uk']);
  const any = r.body.considered.find((c: { gateway: string }) => c.gateway === 'any');
  assert.equal(any.filtered, 'locked');
  assert.equal(r.body.candidates[0].keys.prefixLength, 2);
});

test('CDR query finds the call with its three number forms and its fee; filters narrow it', async () => {
  const r = await admin.api(`/api/v1/cdrs?from=${t0 - 60_000}&to=${Date.now() + 60_000}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.total, 1);
  const c = r.body.rows[0];
  assert.equal(c.calleeAccess, '0044123');
  assert.equal(c.calleeBilling, '44123');
  assert.equal(c.calleeGateway, '0044123');
  assert.equal(c.fee, '0.0200000');
  const none = await admin.api(`/api/v1/cdrs?from=${t0 - 60_000}&to=${Date.now() + 60_000}&gateway=other`);
  assert.equal(none.body.total, 0);
  const wide = await admin.api(`/api/v1/cdrs?from=${t0 - 40 * 86_400_000}&to=${Date.now()}`);
  assert.equal(wide.status, 400);
  assert.match(wide.body.error.message, /31/);
});

test('CSV export of the range', async () => {
  const r = await admin.api(`/api/v1/cdrs/export?from=${t0 - 60_000}&to=${Date.now() + 60_000}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/csv/);
  const lines = r.text.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /0044123/);
});

test('account and available time use the same code as authorization', async () => {
  const a = await admin.api('/api/v1/accounts/pre');
  assert.equal(a.status, 200, a.text);
  assert.equal(a.body.balance, '0.5800000');
  const t = await admin.api('/api/v1/accounts/pre/available-time?number=44999');
  assert.deepEqual(t.body, { ok: true, seconds: 58 });
  const no = await admin.api('/api/v1/accounts/pre/available-time?number=33');
  assert.equal(no.body.ok, false);
  assert.equal(no.body.reason, 'No matching rate');
});

const cli = (...args: string[]) => sswOn(admin, args);

test('CLI: ssw dialplan explain, for people and with --json', async () => {
  const h = await cli('dialplan', 'explain', '02584316146', '--rule', '025->010', '--rule', '0->0');
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /02584316146 -> 01084316146 {2}\(rule 0: 025 -> 010\)/);
  const j = await cli('--json', 'dialplan', 'explain', '0112345678', '--rule', '*->025*', '--rule', '01->00');
  assert.equal(JSON.parse(j.out).output, '0012345678');
  const bad = await cli('dialplan', 'explain', '1', '--rule', 'nonsense');
  assert.equal(bad.code, 1);
});

test('CLI: ssw route, ssw cdrs (table and CSV), ssw account --number', async () => {
  const r = await cli('--json', 'route', 'cust', '0044123');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).candidates[0].gateway, 'uk');
  const c = await cli('cdrs', '--from', String(t0 - 60_000));
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /0044123/);
  assert.match(c.out, /1 CDR\(s\)/);
  const csv = await cli('cdrs', '--from', String(t0 - 60_000), '--csv');
  assert.equal(csv.out.trim().split('\n').length, 2);
  const a = await cli('--json', 'account', 'pre', '--number', '44999');
  assert.equal(JSON.parse(a.out).availableTime.seconds, 58);
});

test('recharge through the API: stored first, applied once per request id, visible in the ledger and to calls', async () => {
  const r = await admin.api('/api/v1/accounts/pre/recharge', { method: 'POST', body: { amount: '1.00', requestId: 'r-1' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.balance, '1.5800000');
  assert.equal(r.body.applied, true);
  const again = await admin.api('/api/v1/accounts/pre/recharge', { method: 'POST', body: { amount: '1.00', requestId: 'r-1' } });
  assert.equal(again.body.applied, false);
  assert.equal(again.body.balance, '1.5800000');
  assert.equal(await sw.engines!.store!.balance('pre'), 15_800_000n);
  const bad = await admin.api('/api/v1/accounts/pre/recharge', { method: 'POST', body: { amount: '-5' } });
  assert.equal(bad.status, 400);
  const ro = await admin.api('/api/v1/accounts/pre/recharge', { method: 'POST', body: { amount: '1' }, token: RO_TOKEN });
  assert.equal(ro.status, 403);
  const h = await admin.api('/api/v1/accounts/pre/ledger');
  assert.deepEqual(h.body.entries.map((e: { reason: string }) => e.reason), ['call', 'recharge']);
  assert.equal(h.body.entries[1].balanceAfter, '1.5800000');
  const t = await admin.api('/api/v1/accounts/pre/available-time?number=44999');
  assert.equal(t.body.seconds, 158);
  const c = await cli('--json', 'recharge', 'pre', '0.42', '--request-id', 'r-2');
  assert.equal(JSON.parse(c.out).balance, '2.0000000');
  const hist = await cli('account', 'pre', '--history');
  assert.match(hist.out, /recharge/);
});

test('adjustment through the API and the CLI: signed, with its memo stored in the ledger, once per request id; expiry unchanged', async () => {
  const before = sw.engines!.book.account('pre')!;
  const r = await admin.api('/api/v1/accounts/pre/adjust', { method: 'POST', body: { amount: '-0.25', memo: 'disputed call 2026-11-28', requestId: 'a-1' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.balance, '1.7500000');
  assert.equal(r.body.expiresAt, before.expiresAt);
  assert.equal((await admin.api('/api/v1/accounts/pre/adjust', { method: 'POST', body: { amount: '-0.25', memo: 'disputed call 2026-11-28', requestId: 'a-1' } })).body.applied, false);
  assert.equal(await sw.engines!.store!.balance('pre'), 17_500_000n);
  for (const body of [{ amount: '0', memo: 'x' }, { amount: '-1' }, { amount: '-1', memo: '' }, { amount: 'lots', memo: 'x' }]) {
    const bad = await admin.api('/api/v1/accounts/pre/adjust', { method: 'POST', body });
    assert.equal(bad.status, 400, JSON.stringify(body));
  }
  assert.equal((await admin.api('/api/v1/accounts/nobody/adjust', { method: 'POST', body: { amount: '1', memo: 'x' } })).status, 404);
  assert.equal((await admin.api('/api/v1/accounts/pre/adjust', { method: 'POST', body: { amount: '1', memo: 'x' }, token: RO_TOKEN })).status, 403);
  const c = await cli('--json', 'adjust', 'pre', '-0.05', '--memo', 'late fee', '--request-id', 'a-2'); // a negative amount as written
  assert.equal(c.code, 0, c.err);
  assert.equal(JSON.parse(c.out).balance, '1.7000000');
  const h = await admin.api('/api/v1/accounts/pre/ledger');
  const adj = h.body.entries.filter((e: { reason: string }) => e.reason === 'adjustment');
  assert.deepEqual(adj.map((e: { amount: string; memo: string }) => [e.amount, e.memo]), [['-0.2500000', 'disputed call 2026-11-28'], ['-0.0500000', 'late fee']]);
  assert.equal(h.body.entries.find((e: { reason: string }) => e.reason === 'recharge').memo, 'recharge');
  const hist = await cli('account', 'pre', '--history');
  assert.match(hist.out, /adjustment\s+-0\.2500000\s+1\.7500000\s+disputed call 2026-11-28/);
});
