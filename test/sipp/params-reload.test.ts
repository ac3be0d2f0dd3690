// Live parameter reload with carriers and callers played by SIPp: params.yaml is edited under a
// running switch and reloaded; the next SIPp call shows the change on the wire (which carriers got
// an INVITE, the caller's final answer) and in the stored CDR. A bad file changes nothing; a
// restart-only change is reported while the live ones in the same file apply.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  SippUas, landedOn, answeringUas, rejectingUas, runUac, refusedScenario, finalStatuses, startNetSwitch, cleanupAll, type NetSwitch,
} from '../helpers/sipp-net.js';

const SW = '127.0.0.116';
const CUST = '127.0.0.117';
const CARRIERS = { g503: '127.0.0.118', busy: '127.0.0.112', ok: '127.0.0.119' };

// 7...: g503 (503), then busy (486), then ok (answers).
const NETWORK = {
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: [CUST], account: 'acc' }],
  routingGateways: [
    { name: 'g503', id: 1, address: CARRIERS.g503, port: 5080, prefixes: ['7'], priority: 1 },
    { name: 'busy', id: 2, address: CARRIERS.busy, port: 5080, prefixes: ['7'], priority: 2 },
    { name: 'ok', id: 3, address: CARRIERS.ok, port: 5080, prefixes: ['7'], priority: 3 },
  ],
};

let sw: NetSwitch;
let work: string;
const uas: Record<keyof typeof CARRIERS, SippUas> = {} as never;
let port = 6400;

before(async () => {
  assert.equal(spawnSync('sipp', ['-v']).error, undefined, 'sipp is installed');
  work = mkdtempSync(join(tmpdir(), 'ssw-sipp-params-'));
  uas.g503 = rejectingUas(CARRIERS.g503, 5080, 503, 'Service Unavailable', work);
  uas.busy = rejectingUas(CARRIERS.busy, 5080, 486, 'Busy Here', work);
  uas.ok = answeringUas(CARRIERS.ok, 5080);
  sw = await startNetSwitch({ ip: SW, network: NETWORK, params: { SS_GATEWAY_SWITCH_LIMIT: 1 } });
  await Promise.all(Object.values(uas).map((u) => u.listening()));
});

after(async () => {
  await cleanupAll(Object.values(uas));
  await sw?.stop();
  rmSync(work, { recursive: true, force: true });
});

const reload = (params: Record<string, unknown>) => {
  writeFileSync(join(sw.dir, 'params.yaml'), stringify(params));
  return sw.sw.live.reloadParams();
};

const landed = (callee: string) => landedOn(uas, callee);

async function refused(callee: string, code: number) {
  const r = await runUac({ scenario: refusedScenario(work, code), to: `${SW}:5060`, ip: CUST, port: ++port, number: callee });
  assert.deepEqual(finalStatuses(r), [code], `the caller's final answer for ${callee}\n${r.stdout.slice(-1500)}`);
}

async function answered(callee: string) {
  const r = await runUac({ scenario: ['-sn', 'uac'], to: `${SW}:5060`, ip: CUST, port: ++port, number: callee, holdMs: 300 });
  assert.equal(r.successful, 1, `SIPp call to ${callee} answered\n${r.stdout.slice(-1500)}`);
}

test('SS_GATEWAY_SWITCH_LIMIT 1 -> 3, then SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY On -> Off: each reload shows on the next call', async () => {
  await refused('7000001', 503);
  assert.deepEqual(landed('7000001'), { g503: 1 });
  assert.equal((await sw.cdr('7000001')).gatewaysTried, 1);

  const u = reload({ SS_GATEWAY_SWITCH_LIMIT: 3 });
  assert.deepEqual(u.applied, [{ name: 'SS_GATEWAY_SWITCH_LIMIT', from: '1', to: '3' }]);
  // Busy stops failover (the default, On): the second carrier is reached now, the third not.
  await refused('7000002', 486);
  assert.deepEqual(landed('7000002'), { g503: 1, busy: 1 });

  reload({ SS_GATEWAY_SWITCH_LIMIT: 3, SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: 'Off' });
  await answered('7000003');
  assert.deepEqual(landed('7000003'), { g503: 1, busy: 1, ok: 1 });
  const cdr = await sw.cdr('7000003');
  assert.deepEqual([cdr.gatewaysTried, cdr.egressGateway, cdr.endReason], [3, 'ok', 'normal-clearing']);
});

test('a bad params.yaml is refused naming the parameter and range; the next call runs on the values in force', async () => {
  assert.throws(() => reload({ SS_GATEWAY_SWITCH_LIMIT: 'lots', SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: 'On' }), (e: any) =>
    e.code === 'SSW_ERR_CONFIG_PARAM' && e.message.includes('params.yaml: SS_GATEWAY_SWITCH_LIMIT: "lots" is not a number; allowed: integer 1-100 gateways or None'));
  await answered('7000004');
  assert.deepEqual(landed('7000004'), { g503: 1, busy: 1, ok: 1 }, 'limit 3 and busy Off still in force');
});

test('a restart-only change is reported and kept while the live ones in the same file apply', async () => {
  const u = reload({ SS_GATEWAY_SWITCH_LIMIT: 2, SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY: 'Off', SSW_TIME_ZONE: 'Asia/Shanghai' });
  assert.deepEqual(u.applied, [{ name: 'SS_GATEWAY_SWITCH_LIMIT', from: '3', to: '2' }]);
  assert.deepEqual(u.pendingRestart.map((p) => [p.name, p.from, p.to]), [['SSW_TIME_ZONE', 'UTC', 'Asia/Shanghai']]);
  assert.equal(sw.sw.b2bua.params.str('SSW_TIME_ZONE'), 'UTC');
  await refused('7000005', 486);
  assert.deepEqual(landed('7000005'), { g503: 1, busy: 1 }, 'limit 2: the third carrier is not tried');
});
