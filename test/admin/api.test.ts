// The admin API over HTTP against a switch started in this process (SIP on 127.0.0.40, admin on port 0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { startTestAdmin, RO_TOKEN, type TestAdmin } from './admin-helpers.js';
import { parsePromText } from '../metrics/prom-text.js';
import { PARAM_DEFS } from '../../src/config/index.js';
import { OVERRIDES_FILE } from '../../src/admin/index.js';

let sw: RunningSwitch;
let admin: TestAdmin;

before(async () => {
  sw = await startSwitch({
    ip: '127.0.0.40', port: 5060,
    customers: [{ name: 'cust', ips: ['127.0.0.41'] }],
    carriers: [{ name: 'carrier-a', address: '127.0.0.42', port: 5080 }],
    params: { SS_SIP_TIMEOUT_RINGING: 90 },
  });
  admin = await startTestAdmin(sw.sw);
});

after(async () => {
  await admin.cleanup();
  await sw.stop();
});

test('first start creates a 0600 token file and prints the token once; a restart reuses it silently', async () => {
  assert.equal(admin.printed.length, 1);
  assert.match(admin.token, /^ssw_[A-Za-z0-9_-]{40,}$/);
  const path = join(admin.dataDir, 'admin-token');
  assert.equal(readFileSync(path, 'utf8').trim(), admin.token);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const again = await startTestAdmin(sw.sw, {}, admin.dataDir);
  try {
    assert.equal(again.printed.length, 0, 'not printed on a later start');
    const r = await again.api('/api/v1/health', { token: admin.token });
    assert.equal(r.status, 200);
  } finally {
    await again.close();
  }
});

test('missing or wrong token: 401 with a coded error, counted per reason; read-only token on PUT: 403', async () => {
  const scrape = async () => parsePromText((await admin.api('/metrics')).text);
  const before = await scrape();
  const missing = await admin.api('/api/v1/parameters', { token: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.body.error.code, 'SSW_ERR_ADMIN_UNAUTHORIZED');
  assert.match(missing.body.error.message, /Bearer/);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="ssw"');
  const wrong = await admin.api('/api/v1/parameters', { token: 'not-the-token-at-all-xxxxxxxx' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.message, 'the API token is not valid');
  // Unknown routes are refused before they are revealed.
  assert.equal((await admin.api('/api/v1/nothing-here', { token: null })).status, 401);
  const ro = await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVITE', { method: 'PUT', body: { value: 5 }, token: RO_TOKEN });
  assert.equal(ro.status, 403);
  assert.equal(ro.body.error.code, 'SSW_ERR_ADMIN_FORBIDDEN');
  assert.equal((await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVITE', { token: RO_TOKEN })).status, 200, 'read-only may read');
  const after = await scrape();
  const d = (reason: string) => (after.get('ssw_admin_auth_failures_total', { reason }) ?? 0) - (before.get('ssw_admin_auth_failures_total', { reason }) ?? 0);
  assert.equal(d('missing'), 2);
  assert.equal(d('invalid'), 1);
  assert.equal(d('read-only'), 1);
  assert.equal(sw.sw.b2bua.params.num('SS_SIP_TIMEOUT_INVITE'), 10, 'the refused PUT changed nothing');
});

test('GET /parameters lists every registry parameter with value, default, range and source', async () => {
  const r = await admin.api('/api/v1/parameters');
  assert.equal(r.status, 200);
  const list = r.body.parameters as any[];
  assert.deepEqual(list.map((p) => p.name), PARAM_DEFS.map((d) => d.name));
  const ringing = list.find((p) => p.name === 'SS_SIP_TIMEOUT_RINGING');
  assert.equal(ringing.value, 90);
  assert.equal(ringing.default, 120);
  assert.equal(ringing.source, 'file');
  assert.equal(ringing.range, 'integer 1-3600 s');
  const max = list.find((p) => p.name === 'SS_MAX_CALL_DURATION');
  assert.equal(max.value, null);
  assert.equal(max.text, 'None');
  assert.equal(max.source, 'default');
  const resend = list.find((p) => p.name === 'SS_SIP_RESEND_INTERVAL');
  assert.deepEqual(resend.value, [0.5, 1, 2, 4, 4, 4, 4, 4, 4, 4]);
});

test('unknown parameter: 404 that suggests the name meant; out of range: 400 naming the range', async () => {
  const unknown = await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVIT');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'SSW_ERR_ADMIN_UNKNOWN_PARAM');
  assert.match(unknown.body.error.message, /did you mean SS_SIP_TIMEOUT_INVITE\?/);
  const bad = await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVITE', { method: 'PUT', body: { value: 99999 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SSW_ERR_ADMIN_PARAM_INVALID');
  assert.match(bad.body.error.message, /out of range; allowed: integer 1-3600 s/);
  const notBool = await admin.api('/api/v1/parameters/SS_SIP_STOP_SWITCH_AFTER_SDP', { method: 'PUT', body: { value: 'maybe' } });
  assert.equal(notBool.status, 400);
  assert.match(notBool.body.error.message, /On\/Off/);
});

test('schema validation: missing value, extra field, bad JSON, wrong media type, oversize body', async () => {
  const url = '/api/v1/parameters/SS_SIP_TIMEOUT_INVITE';
  const missing = await admin.api(url, { method: 'PUT', body: {} });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 'SSW_ERR_ADMIN_VALIDATION');
  assert.match(missing.body.error.message, /value/);
  const extra = await admin.api(url, { method: 'PUT', body: { value: 5, force: true } });
  assert.equal(extra.status, 400);
  assert.match(extra.body.error.message, /additional properties/);
  const json = await admin.api(url, { method: 'PUT', raw: '{"value": 5' });
  assert.equal(json.status, 400);
  assert.equal(json.body.error.code, 'SSW_ERR_ADMIN_BAD_JSON');
  const media = await admin.api(url, { method: 'PUT', raw: 'value=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(media.status, 415);
  assert.equal(media.body.error.code, 'SSW_ERR_ADMIN_MEDIA_TYPE');
  const big = await admin.api(url, { method: 'PUT', raw: JSON.stringify({ value: 'x'.repeat(70_000) }) });
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 'SSW_ERR_ADMIN_BODY_TOO_LARGE');
});

test('PUT changes the parameter for new calls at once, persists it, and a restart re-applies it; DELETE reverts to the file', async () => {
  const before = sw.sw.b2bua.params;
  const r = await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVITE', { method: 'PUT', body: { value: '7' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.value, 7);
  assert.equal(r.body.source, 'api');
  assert.equal(sw.sw.b2bua.params.num('SS_SIP_TIMEOUT_INVITE'), 7, 'new calls take 7');
  assert.equal(before.num('SS_SIP_TIMEOUT_INVITE'), 10, 'the old set (held by calls in progress) is untouched');
  const resend = await admin.api('/api/v1/parameters/SS_SIP_RESEND_INTERVAL', { method: 'PUT', body: { value: '0.5,1,2' } });
  assert.equal(resend.status, 200);
  assert.deepEqual(sw.sw.tx.timers.resend, [500, 1000, 2000], 'the transaction layer takes the new schedule');
  const file = JSON.parse(readFileSync(join(admin.dataDir, OVERRIDES_FILE), 'utf8'));
  assert.deepEqual(file, { SS_SIP_TIMEOUT_INVITE: '7', SS_SIP_RESEND_INTERVAL: '0.5,1,2' });
  // A restart: the switch comes back with its file values, the admin start re-applies the overrides.
  sw.sw.b2bua.params = sw.sw.config.paramSet;
  const again = await startTestAdmin(sw.sw, {}, admin.dataDir);
  try {
    assert.equal(sw.sw.b2bua.params.num('SS_SIP_TIMEOUT_INVITE'), 7);
  } finally {
    await again.close();
  }
  const reset = await admin.api('/api/v1/parameters/SS_SIP_TIMEOUT_INVITE', { method: 'DELETE' });
  assert.equal(reset.status, 200);
  assert.equal(reset.body.value, 10);
  assert.equal(reset.body.source, 'default');
  await admin.api('/api/v1/parameters/SS_SIP_RESEND_INTERVAL', { method: 'DELETE' });
  assert.deepEqual(JSON.parse(readFileSync(join(admin.dataDir, OVERRIDES_FILE), 'utf8')), {});
});

test('a bad persisted override stops the admin start with a coded error naming the file and entry', async () => {
  const dir = admin.dataDir;
  const path = join(dir, OVERRIDES_FILE);
  const saved = readFileSync(path, 'utf8');
  writeFileSync(path, JSON.stringify({ SS_SIP_TIMEOUT_INVITE: '0' }));
  try {
    await assert.rejects(startTestAdmin(sw.sw, {}, dir), (e: any) => e.code === 'SSW_ERR_ADMIN_PARAM_OVERRIDES' && e.message.includes(OVERRIDES_FILE) && e.message.includes('SS_SIP_TIMEOUT_INVITE'));
  } finally {
    writeFileSync(path, saved);
  }
});

test('performance and health', async () => {
  const p = await admin.api('/api/v1/performance');
  assert.equal(p.status, 200);
  assert.equal(p.body.calls.active, 0);
  assert.equal(typeof p.body.cps.lastSecond, 'number');
  assert.equal(typeof p.body.eventLoopDelayMs.p99, 'number');
  assert.ok(p.body.eventLoopDelayMs.p99 >= p.body.eventLoopDelayMs.p50);
  assert.deepEqual(Object.keys(p.body.transactions).sort(), ['client', 'server']);
  assert.equal(p.body.cdrQueueDepth, 0);
  const h = await admin.api('/api/v1/health');
  assert.deepEqual({ status: h.body.status, activeCalls: h.body.activeCalls }, { status: 'ok', activeCalls: 0 });
  const gone = await admin.api('/api/v1/calls/no-such-flow', { method: 'DELETE' });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'SSW_ERR_ADMIN_CALL_NOT_FOUND');
});

test('the OpenAPI document lists every registered route with its schemas', async () => {
  const r = await admin.api('/api/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = r.body;
  assert.equal(doc.openapi, '3.1.0');
  const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`)).sort();
  const network = ['accounts', 'mapping-gateways', 'routing-gateways'].flatMap((r) => {
    const one = `/api/v1/${r}/${r === 'accounts' ? '{id}' : '{name}'}`;
    return [`DELETE ${one}`, `GET /api/v1/${r}`, ...(r === 'accounts' ? [] : [`GET ${one}`]), `PATCH ${one}`, `POST /api/v1/${r}`, `PUT ${one}`];
  });
  assert.deepEqual(ops, [
    'DELETE /api/v1/calls/{flowNo}', 'DELETE /api/v1/parameters/{name}', 'GET /api/v1/accounts/{id}', 'GET /api/v1/accounts/{id}/available-time', 'GET /api/v1/accounts/{id}/ledger',
    'GET /api/v1/calls', 'GET /api/v1/cdrs', 'GET /api/v1/cdrs/export', 'GET /api/v1/cdrs/{flowNo}/analysis', 'GET /api/v1/gateways/{kind}/{name}/dialplan', 'GET /api/v1/health',
    'GET /api/v1/network/changes', 'GET /api/v1/openapi.json', 'GET /api/v1/parameters', 'GET /api/v1/parameters/{name}', 'GET /api/v1/performance',
    'GET /api/v1/routing/explain', 'GET /metrics', 'POST /api/v1/accounts/{id}/adjust', 'POST /api/v1/accounts/{id}/recharge', 'POST /api/v1/dialplans/explain', 'POST /api/v1/network/reload',
    'PUT /api/v1/gateways/{kind}/{name}/dialplan', 'PUT /api/v1/parameters/{name}', ...network,
    // live reload of params.yaml and server.yaml (routes-params.ts)
    'GET /api/v1/server', 'POST /api/v1/parameters/reload', 'POST /api/v1/server/reload',
    // rate groups, rates, deck import/export (routes-rates.ts)
    'DELETE /api/v1/rate-groups/{name}', 'DELETE /api/v1/rate-groups/{name}/rates/{prefix}', 'GET /api/v1/rate-groups', 'GET /api/v1/rate-groups/{name}/export',
    'GET /api/v1/rate-groups/{name}/rates', 'GET /api/v1/rate-imports/{id}', 'GET /api/v1/rates/explain', 'POST /api/v1/rate-groups',
    'POST /api/v1/rate-groups/{name}/import', 'POST /api/v1/rate-groups/{name}/rates', 'PUT /api/v1/rate-groups/{name}/rates/{prefix}',
    // phones (routes-phones.ts)
    'GET /api/v1/phones', 'POST /api/v1/phones', 'GET /api/v1/phones/{number}', 'PATCH /api/v1/phones/{number}', 'DELETE /api/v1/phones/{number}',
    'GET /api/v1/phones/{number}/registrations', 'GET /api/v1/phones/{number}/dialplan',
  ].sort());
  const put = doc.paths['/api/v1/parameters/{name}'].put;
  assert.deepEqual(put.requestBody.content['application/json'].schema.required, ['value']);
  assert.equal(put.parameters[0].name, 'name');
  assert.ok(put.responses['400'] && put.responses['403'] && put.responses['200']);
  assert.ok(doc.paths['/api/v1/calls'].get.parameters.some((p: any) => p.name === 'limit' && p.in === 'query'));
  assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain; version=0.0.4']);
});

test('rate limit: a client over its burst gets 429 with Retry-After, counted', async () => {
  const small = await startTestAdmin(sw.sw, { rateLimit: { burst: 5, perSecond: 1 } });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await small.api('/api/v1/health')).status);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const r = await small.api('/api/v1/health');
    assert.equal(r.body.error.code, 'SSW_ERR_ADMIN_RATE_LIMITED');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.ok((await small.metrics.registry.getSingleMetricAsString('ssw_admin_rate_limited_total')).includes('ssw_admin_rate_limited_total 3'));
  } finally {
    await small.cleanup();
  }
});

test('/metrics: allow-listed client IPs need no token; others need one', async () => {
  const closed = await startTestAdmin(sw.sw, { metricsAllow: [] });
  try {
    const refused = await closed.api('/metrics', { token: null });
    assert.equal(refused.status, 401);
    const withToken = await closed.api('/metrics', { token: RO_TOKEN });
    assert.equal(withToken.status, 200);
    assert.match(withToken.text, /^# HELP ssw_call_active /m);
    assert.equal((await admin.api('/metrics', { token: null })).status, 200, 'loopback is on the default allow-list');
  } finally {
    await closed.cleanup();
  }
});
