// The `ssw` CLI against a live admin API: in-process for most commands, and once through bin/ssw.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSwitch, type RunningSwitch } from '../helpers/switch.js';
import { startTestAdmin, sswOn, RO_TOKEN, type TestAdmin } from './admin-helpers.js';
import { runCli } from '../../src/cli/index.js';

let sw: RunningSwitch;
let admin: TestAdmin;
const BIN = fileURLToPath(new URL('../../../bin/ssw.js', import.meta.url));

before(async () => {
  sw = await startSwitch({ ip: '127.0.0.48', customers: [{ name: 'cust', ips: ['127.0.0.49'] }], carriers: [{ name: 'carrier-a', address: '127.0.0.50', port: 5080 }] });
  admin = await startTestAdmin(sw.sw);
});

after(async () => {
  await admin.cleanup();
  await sw.stop();
});

const ssw = (args: string[], env: Record<string, string | undefined> = {}) => sswOn(admin, args, env);

test('params list/get/set/reset with --json parse as the API bodies; tables for people', async () => {
  const list = await ssw(['--json', 'params', 'list', '--area', 'sip']);
  assert.equal(list.code, 0, list.err);
  const params = JSON.parse(list.out).parameters;
  assert.ok(params.length > 5 && params.every((p: any) => p.area === 'sip'));
  const set = await ssw(['--json', 'params', 'set', 'SS_SIP_TIMEOUT_TRYING', '15']);
  assert.equal(set.code, 0, set.err);
  assert.equal(JSON.parse(set.out).value, 15);
  assert.equal(sw.sw.b2bua.params.num('SS_SIP_TIMEOUT_TRYING'), 15);
  const get = await ssw(['params', 'get', 'SS_SIP_TIMEOUT_TRYING']);
  assert.match(get.out, /^value\s+15$/m);
  assert.match(get.out, /^source\s+api$/m);
  const changed = await ssw(['params', '--changed']);
  assert.match(changed.out, /^NAME\s+VALUE\s+DEFAULT\s+RANGE\s+SOURCE\s+APPLIES$/m);
  assert.match(changed.out, /^SS_SIP_TIMEOUT_TRYING\s+15\s+20\s+integer 1-3600 s\s+api\s+live$/m);
  const reset = await ssw(['--json', 'params', 'reset', 'SS_SIP_TIMEOUT_TRYING']);
  assert.equal(JSON.parse(reset.out).value, 20);
});

test('API refusals come out as `ssw: CODE: message` with exit 1, and as JSON with --json', async () => {
  const bad = await ssw(['params', 'set', 'SS_SIP_TIMEOUT_TRYING', '0']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^ssw: SSW_ERR_ADMIN_PARAM_INVALID: SS_SIP_TIMEOUT_TRYING: "0" is out of range; allowed: integer 1-3600 s\n$/);
  const ro = await ssw(['--json', '--token', RO_TOKEN, 'params', 'set', 'SS_SIP_TIMEOUT_TRYING', '5']);
  assert.equal(ro.code, 1);
  assert.equal(JSON.parse(ro.out).error.code, 'SSW_ERR_ADMIN_FORBIDDEN');
  const down = await runCli(['--url', 'http://127.0.0.1:9', 'health'], { out: () => {}, err: (s) => assert.match(s, /SSW_ERR_CLI_UNREACHABLE/), env: { SSW_TOKEN: 'x' } });
  assert.equal(down, 1);
  const usage = await ssw(['params', 'set', 'ONLY_NAME']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /missing required argument/);
});

test('the token comes from --token, else SSW_TOKEN, else <data-dir>/admin-token', async () => {
  const fromFile = await ssw(['--json', '--data-dir', admin.dataDir, 'health'], { SSW_TOKEN: undefined });
  assert.equal(fromFile.code, 0, fromFile.err);
  assert.equal(JSON.parse(fromFile.out).status, 'ok');
  const dir = join(admin.dataDir, 'nowhere');
  const none = await ssw(['health', '--data-dir', dir], { SSW_TOKEN: undefined });
  assert.equal(none.code, 1);
  assert.match(none.err, /SSW_ERR_ADMIN_UNAUTHORIZED/);
});

test('calls list, perf, and calls hangup of an unknown flow', async () => {
  const calls = await ssw(['--json', 'calls']);
  assert.deepEqual(JSON.parse(calls.out), { total: 0, calls: [] });
  const human = await ssw(['calls', 'list']);
  assert.match(human.out, /^FLOWNO\s+STATE\s+CALLER\s+CALLEE\s+INGRESS\s+GATEWAY\s+DURATION$/m);
  assert.match(human.out, /^0 call\(s\)$/m);
  const perf = await ssw(['--json', 'perf']);
  const p = JSON.parse(perf.out);
  assert.equal(p.calls.active, 0);
  assert.equal(typeof p.eventLoopDelayMs.p99, 'number');
  const hang = await ssw(['calls', 'hangup', 'nope']);
  assert.equal(hang.code, 1);
  assert.match(hang.err, /SSW_ERR_ADMIN_CALL_NOT_FOUND/);
});

test('bin/ssw.js runs the CLI as an operator would', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [BIN, '--url', admin.url, '--token', admin.token, '--json', 'health'], { timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(JSON.parse(out).status, 'ok');
});
