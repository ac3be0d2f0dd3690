import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  loadConfig,
  validateNetwork,
  validateServer,
  deepFreeze,
  ParamSet,
  PARAM_DEFS,
  REPO_ROOT,
  type LoadedConfig,
} from '../../src/config/index.js';
import { isSswError, type SswError } from '../../src/util/errors.js';

const NO_ENV = {};
const base = mkdtempSync(join(tmpdir(), 'ssw-config-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A fresh config dir with the given files (undefined = file absent). */
function dir(files: { server?: string; params?: string; network?: string }): string {
  const d = join(base, String(n++));
  mkdirSync(d);
  if (files.server !== undefined) writeFileSync(join(d, 'server.yaml'), files.server);
  if (files.params !== undefined) writeFileSync(join(d, 'params.yaml'), files.params);
  if (files.network !== undefined) writeFileSync(join(d, 'network.yaml'), files.network);
  return d;
}

const GOOD_NETWORK = `
accounts: [{ id: acme, balance: "10.50" }]
mappingGateways: [{ name: acme-in, remoteIps: [192.0.2.10], account: acme }]
routingGateways:
  - { name: up-1, address: 198.51.100.1, prefixes: ["44", "1"] }
  - { name: up-2, address: "2001:db8::1", port: 5080, transport: tcp, prefixes: "911,112" }
`;

/** Runs loadConfig expecting failure; returns the error for assertions on its text. */
function failLoad(d: string, env: Record<string, string> = NO_ENV): SswError {
  try {
    loadConfig(d, { env });
  } catch (e) {
    assert.ok(isSswError(e), `not an SswError: ${String(e)}`);
    return e;
  }
  assert.fail('loadConfig accepted a bad configuration');
}

function hasLine(e: SswError, ...parts: string[]): void {
  const line = e.message.split('\n').find((l) => parts.every((p) => l.includes(p)));
  assert.ok(line, `no line with ${parts.map((p) => JSON.stringify(p)).join(' + ')} in:\n${e.message}`);
}

test('the shipped config/ loads and is the outside contract', () => {
  const c: LoadedConfig = loadConfig(undefined, { env: NO_ENV });
  assert.equal(c.dir, join(REPO_ROOT, 'config'));
  assert.deepEqual(c.server, {
    listen: [{ ip: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] }],
    drainSeconds: 30,
    maxMessageBytes: 65535,
    udpMtu: 1300,
    userAgent: 'open-softswitch',
    dbUrl: 'sqlite:data/ssw.db',
    dataDir: 'data',
    adminHost: '127.0.0.1',
    adminPort: 8080,
  });
  const [mg, ...moreMg] = c.network.mappingGateways;
  assert.equal(moreMg.length, 0);
  assert.equal(mg!.name, 'demo-customer');
  assert.deepEqual(mg!.remoteIps, ['127.0.0.1']);
  assert.equal(mg!.account, 'demo');
  const acct = c.network.accounts.find((a) => a.id === mg!.account)!;
  assert.equal(acct.prepaid, true);
  assert.equal(acct.balance, '1000.00');
  assert.equal(acct.locked, false);
  const [a, b, ...moreRg] = c.network.routingGateways;
  assert.equal(moreRg.length, 0);
  assert.deepEqual([a!.name, a!.address, a!.port, a!.transport, a!.priority, a!.prefixes], ['carrier-a', '127.0.0.1', 5080, 'udp', 1, ['']]);
  assert.deepEqual([b!.name, b!.address, b!.port, b!.transport, b!.priority, b!.prefixes], ['carrier-b', '127.0.0.1', 5081, 'udp', 2, ['']]);
  assert.deepEqual(b!.timeouts, { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 });
  // params.yaml changes nothing.
  assert.deepEqual(c.params, ParamSet.defaults().toJSON());
  assert.equal(c.paramSet.num('SS_SIP_TIMEOUT_INVITE'), 10);
  assert.equal(Object.keys(c.params).length, PARAM_DEFS.length);
});

test('the loaded config is deep-frozen', () => {
  const c = loadConfig(undefined, { env: NO_ENV });
  for (const o of [c, c.server, c.server.listen, c.server.listen[0], c.network.routingGateways[0]!.prefixes, c.network.routingGateways[0]!.timeouts, c.params]) {
    assert.ok(Object.isFrozen(o));
  }
  assert.throws(() => {
    (c.network.routingGateways[0] as { port: number }).port = 1;
  }, TypeError);
  const x = deepFreeze({ a: [{ b: 1 }] });
  assert.ok(Object.isFrozen(x.a[0]));
});

test('defaults fill every field a file leaves out; server.yaml and params.yaml are optional', () => {
  const c = loadConfig(dir({ network: GOOD_NETWORK }), { env: NO_ENV });
  assert.deepEqual(c.server.listen, [{ ip: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] }]);
  assert.equal(c.server.adminPort, 8080);
  const [g1, g2] = c.network.routingGateways;
  assert.deepEqual(g1, {
    name: 'up-1', id: 1, address: '198.51.100.1', port: 5060, transport: 'udp', localIp: '', prefixes: ['44', '1'],
    prefixStyle: 'continuation', prefixPriority: 0, priority: 0, weight: 1, groups: [], locked: false, capacity: 0, cps: 0, minCallSeconds: 0, maxCallSeconds: 0,
    calleeRules: [], callerRules: [], probeSeconds: 0, sessionTimer: true,
    timeouts: { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 },
    account: '', requireRate: false, switchOnCodes: [], schedules: [],
  });
  assert.deepEqual([g2!.id, g2!.address, g2!.transport, g2!.prefixes], [2, '2001:db8::1', 'tcp', ['911', '112']]);
  assert.deepEqual(c.network.accounts[0], {
    id: 'acme', name: 'acme', prepaid: true, balance: '10.50', creditLimit: '0', rateGroup: '', locked: false, capacity: 0,
    kind: 'customer', expiresAt: '', packages: [],
  });
  assert.deepEqual(c.network.mappingGateways[0]!.calleeRules, []);
  assert.equal(c.network.mappingGateways[0]!.sessionTimer, true);
  // Empty files count as "nothing set".
  const e = loadConfig(dir({ server: '', params: '# nothing\n', network: GOOD_NETWORK }), { env: NO_ENV });
  assert.equal(e.server.udpMtu, 1300);
});

test('missing ids are assigned the lowest unused id in file order', () => {
  const c = loadConfig(dir({
    network: `routingGateways:
  - { name: a, address: 10.0.0.1, prefixes: ["*"] }
  - { name: b, address: 10.0.0.2, prefixes: ["*"], id: 1 }
  - { name: c, address: 10.0.0.3, prefixes: ["*"] }
`,
  }), { env: NO_ENV });
  assert.deepEqual(c.network.routingGateways.map((g) => [g.name, g.id]), [['a', 2], ['b', 1], ['c', 3]]);
});

test('params.yaml overrides are applied, with None and On/Off', () => {
  const c = loadConfig(dir({
    network: GOOD_NETWORK,
    params: 'SS_SIP_SESSION_TTL: 900\nSS_MAX_CALL_DURATION: 7200\nSS_GATEWAY_SWITCH_LIMIT: None\nSS_GATEWAY_ASR_CALCULATE: On\nSS_SIP_RESEND_INTERVAL: 0.5,1,2\n',
  }), { env: NO_ENV });
  assert.equal(c.paramSet.num('SS_SIP_SESSION_TTL'), 900);
  assert.equal(c.params.SS_MAX_CALL_DURATION, 7200);
  assert.equal(c.paramSet.numOrNull('SS_GATEWAY_SWITCH_LIMIT'), null);
  assert.equal(c.paramSet.bool('SS_GATEWAY_ASR_CALCULATE'), true);
  assert.deepEqual(c.paramSet.list('SS_SIP_RESEND_INTERVAL'), [0.5, 1, 2]);
});

test('bad port: file, field path, value and range', () => {
  const e = failLoad(dir({
    network: `routingGateways:
  - { name: a, address: 10.0.0.1, prefixes: ["*"] }
  - { name: b, address: 10.0.0.2, prefixes: ["*"], port: 70000 }
`,
  }));
  assert.equal(e.code, 'SSW_ERR_CONFIG_INVALID');
  hasLine(e, 'network.yaml: routingGateways[1].port: 70000 is out of range; allowed: integer 1-65535');
});

test('unknown parameter: SSW_ERR_CONFIG_PARAM with the file and a suggestion', () => {
  const e = failLoad(dir({ network: GOOD_NETWORK, params: 'SS_SIP_SESION_TTL: 900\n' }));
  assert.equal(e.code, 'SSW_ERR_CONFIG_PARAM');
  hasLine(e, 'params.yaml: unknown parameter "SS_SIP_SESION_TTL" (did you mean SS_SIP_SESSION_TTL?)');
});

test('out-of-range parameter names the file, the parameter and the range', () => {
  const e = failLoad(dir({ network: GOOD_NETWORK, params: 'SS_GATEWAY_ASR_RESERVE_TIME: 60\n' }));
  assert.equal(e.code, 'SSW_ERR_CONFIG_PARAM');
  hasLine(e, 'params.yaml: SS_GATEWAY_ASR_RESERVE_TIME: 60 is out of range; allowed: integer 300-86400 s');
  const list = failLoad(dir({ network: GOOD_NETWORK, params: '- SS_SIP_SESSION_TTL\n' }));
  hasLine(list, 'params.yaml', 'expected a mapping');
});

test('duplicate names and ids', () => {
  const e = failLoad(dir({
    network: `accounts: [{ id: x }, { id: x }]
mappingGateways:
  - { name: in, remoteIps: [10.1.1.1], account: x }
  - { name: in, remoteIps: [10.1.1.2], account: x }
routingGateways:
  - { name: out, id: 5, address: 10.0.0.1, prefixes: ["*"] }
  - { name: out, id: 5, address: 10.0.0.2, prefixes: ["*"] }
`,
  }));
  hasLine(e, 'network.yaml: accounts[1].id: "x" is already used by accounts[0]');
  hasLine(e, 'network.yaml: mappingGateways[1].name: "in" is already used by mappingGateways[0]', 'allowed: a name no other mapping gateway has');
  hasLine(e, 'network.yaml: routingGateways[1].name: "out" is already used by routingGateways[0]', 'allowed: a name no other routing gateway has');
  hasLine(e, 'network.yaml: routingGateways[1].id: 5 is already used by routingGateways[0]');
  assert.match(e.message, /^4 configuration errors:/);
});

test('unknown account, with a suggestion and the known ids', () => {
  const e = failLoad(dir({
    network: `accounts: [{ id: demo }]
mappingGateways: [{ name: in, remoteIps: [10.1.1.1], account: dmeo }]
`,
  }));
  hasLine(e, 'network.yaml: mappingGateways[0].account: "dmeo" is not an account id (did you mean "demo"?); allowed: an id from accounts ("demo")');
});

test('bad IPs, shared remote IPs and a localIp that is not a listen IP', () => {
  const e = failLoad(dir({
    server: 'listen: [{ ip: 10.0.0.1 }, { ip: 10.0.0.2 }]\nadminHost: localhost\n',
    network: `accounts: [{ id: a }]
mappingGateways:
  - { name: m1, remoteIps: [10.1.1.1, 300.1.1.1], account: a }
  - { name: m2, remoteIps: [10.1.1.1], account: a }
routingGateways:
  - { name: r1, address: carrier.example.com, prefixes: ["*"], localIp: 10.0.0.9 }
  - { name: r2, address: 10.5.5.5, prefixes: ["*"], localIp: 10.0.0.2 }
`,
  }));
  hasLine(e, 'server.yaml: adminHost: "localhost" is not an IP address; allowed: IPv4 or IPv6 address');
  hasLine(e, 'network.yaml: mappingGateways[0].remoteIps[1]: "300.1.1.1" is not an IP address; allowed: IPv4 or IPv6 address');
  hasLine(e, 'network.yaml: mappingGateways[1].remoteIps[0]: "10.1.1.1" already belongs to mappingGateways[0]');
  hasLine(e, 'network.yaml: routingGateways[0].address: "carrier.example.com" is not an IP address');
  hasLine(e, 'network.yaml: routingGateways[0].localIp: "10.0.0.9" is not a listen IP; allowed: empty or one of server.yaml listen IPs (10.0.0.1, 10.0.0.2)');
  assert.ok(!e.message.includes('routingGateways[1].localIp'), 'a listen IP is accepted');
});

test('wrong types: every one reported, with what is allowed', () => {
  const e = failLoad(dir({
    server: 'drainSeconds: "30"\nlisten: { ip: 127.0.0.1 }\nudpMtu: 1300.5\nuserAgent: 42\n',
    network: `accounts:
  - { id: 1001, balance: 100.5, prepaid: "yes", creditLimit: "-5" }
mappingGateways:
  - { name: in, remoteIps: 10.1.1.1, account: "1001", calleeRules: [{ to: "0" }] }
routingGateways:
  - { name: out, address: 10.0.0.1, prefixes: ["+44"], locked: On, transport: sctp, timeouts: { invite: -1, ring: 3 } }
  - 7
`,
  }));
  assert.equal(e.code, 'SSW_ERR_CONFIG_INVALID');
  hasLine(e, 'server.yaml: drainSeconds: "30" is not a whole number; allowed: integer 0-3600 s');
  hasLine(e, 'server.yaml: listen: {"ip":"127.0.0.1"} is not a list');
  hasLine(e, 'server.yaml: udpMtu: 1300.5 is not a whole number; allowed: integer 576-65535 bytes');
  hasLine(e, 'server.yaml: userAgent: 42 is a number, not text');
  hasLine(e, 'network.yaml: accounts[0].id: 1001 is a number, not text (quote it)');
  hasLine(e, 'network.yaml: accounts[0].balance: 100.5 is a YAML number; write money as a quoted decimal string');
  hasLine(e, 'network.yaml: accounts[0].prepaid: "yes" is not true/false');
  hasLine(e, 'network.yaml: accounts[0].creditLimit: "-5" is not a decimal amount; allowed: non-negative decimal string');
  hasLine(e, 'network.yaml: mappingGateways[0].remoteIps: "10.1.1.1" is not a list');
  hasLine(e, 'network.yaml: mappingGateways[0].calleeRules[0].from: missing; required: text');
  hasLine(e, 'network.yaml: routingGateways[0].prefixes[0]: "+44" is not a prefix; allowed: digits, or "*" for every number');
  hasLine(e, 'network.yaml: routingGateways[0].locked: "On" is not true/false');
  hasLine(e, 'network.yaml: routingGateways[0].transport: "sctp" is not allowed; allowed: "udp" or "tcp"');
  hasLine(e, 'network.yaml: routingGateways[0].timeouts.invite: -1 is out of range; allowed: integer 0-3600 s');
  hasLine(e, 'network.yaml: routingGateways[0].timeouts.ring: unknown field (did you mean trying?)');
  hasLine(e, 'network.yaml: routingGateways[1]: 7 is not a mapping; allowed fields: name, id, address');
});

test('unknown fields, missing required fields, and a misspelt section', () => {
  const e = failLoad(dir({
    network: `routingGateway:
  - { name: a }
accounts: [{ name: no-id }]
`,
  }));
  hasLine(e, 'network.yaml: routingGateway: unknown field (did you mean routingGateways?); allowed fields: accounts, mappingGateways, routingGateways');
  hasLine(e, 'network.yaml: accounts[0].id: missing; required: text');
});

test('missing network.yaml and YAML syntax errors name the file', () => {
  const d = dir({});
  const e = failLoad(d);
  assert.equal(e.code, 'SSW_ERR_CONFIG_INVALID');
  hasLine(e, join(d, 'network.yaml'), 'not found; required');
  const s = failLoad(dir({ network: 'accounts: [\n  - id: a\n', server: 'listen: [{ip: 127.0.0.1}]\nlisten: []\n' }));
  hasLine(s, 'network.yaml: (file): YAML error');
  hasLine(s, 'server.yaml: (file): YAML error', 'unique');
  const t = failLoad(dir({ server: 'listen: [\n', network: 'routingGateways: [{ name: r, address: 1.2.3.4, prefixes: ["*"], localIp: 10.0.0.1 }]\n' }));
  assert.ok(!t.message.includes('localIp'), 'no localIp complaint when server.yaml could not be read');
});

test('errors from every file are collected into one error', () => {
  const e = failLoad(dir({ server: 'adminPort: 70000\n', params: 'SS_TRACE_MASK: LOUD\n', network: 'routingGateways: [{ name: r, address: 1.2.3.4, prefixes: [], port: 0 }]\n' }));
  assert.equal(e.code, 'SSW_ERR_CONFIG_INVALID', 'mixed errors are INVALID, not PARAM');
  hasLine(e, 'server.yaml: adminPort: 70000 is out of range');
  hasLine(e, 'params.yaml: SS_TRACE_MASK: "LOUD" is not allowed; allowed: "ERROR", "DEBUG"');
  hasLine(e, 'network.yaml: routingGateways[0].prefixes: [] has 0 entries; allowed: list of 1 or more');
  hasLine(e, 'network.yaml: routingGateways[0].port: 0 is out of range');
  assert.deepEqual((e.details as { errors: string[] }).errors.length, 4);
});

test('a bad dbUrl is reported without its password', () => {
  const e = failLoad(dir({ server: 'dbUrl: "postgres://ssw:hunter2@db/ssw"\n', network: GOOD_NETWORK }));
  hasLine(e, 'server.yaml: dbUrl: "postgres://ssw:***@db/ssw" is not a store URL');
  assert.ok(!e.message.includes('hunter2'));
  const ok = loadConfig(dir({ server: 'dbUrl: "mysql://ssw:pw@10.0.0.5:3306/ssw"\n', network: GOOD_NETWORK }), { env: NO_ENV });
  assert.equal(ok.server.dbUrl, 'mysql://ssw:pw@10.0.0.5:3306/ssw');
});

test('environment overrides', () => {
  const d = dir({ server: 'listen: [{ ip: 127.0.0.1, port: 5060 }, { ip: 127.0.0.3, port: 5062 }]\n', network: GOOD_NETWORK });
  const c = loadConfig(d, {
    env: { SSW_SIP_IP: '127.0.0.2', SSW_SIP_PORT: '5070', SSW_DB_URL: 'mysql://u:p@h:3306/db', SSW_DATA_DIR: '/var/lib/ssw', SSW_ADMIN_PORT: '9090' },
  });
  assert.deepEqual(c.server.listen, [
    { ip: '127.0.0.2', port: 5070, transports: ['udp', 'tcp'] },
    { ip: '127.0.0.3', port: 5062, transports: ['udp', 'tcp'] },
  ]);
  assert.equal(c.server.dbUrl, 'mysql://u:p@h:3306/db');
  assert.equal(c.server.dataDir, '/var/lib/ssw');
  assert.equal(c.server.adminPort, 9090);
  // Empty variables are ignored.
  assert.equal(loadConfig(d, { env: { SSW_ADMIN_PORT: '' } }).server.adminPort, 8080);
  const e = failLoad(d, { SSW_ADMIN_PORT: 'http', SSW_SIP_IP: 'localhost', SSW_SIP_PORT: '65536' });
  hasLine(e, 'environment: SSW_ADMIN_PORT: "http" is not a whole number; allowed: integer 0-65535');
  hasLine(e, 'environment: SSW_SIP_IP: "localhost" is not an IP address');
  hasLine(e, 'environment: SSW_SIP_PORT: 65536 is out of range; allowed: integer 1-65535');
  // The overridden IP counts as a listen IP for routing gateways' localIp.
  const net = 'routingGateways: [{ name: r, address: 1.2.3.4, prefixes: ["*"], localIp: 127.0.0.9 }]\n';
  assert.equal(loadConfig(dir({ network: net }), { env: { SSW_SIP_IP: '127.0.0.9' } }).network.routingGateways[0]!.localIp, '127.0.0.9');
});

test('SSW_CONFIG chooses the directory when none is given', () => {
  const d = dir({ network: GOOD_NETWORK });
  const c = loadConfig(undefined, { env: { SSW_CONFIG: d } });
  assert.equal(c.dir, d);
  assert.equal(c.network.accounts[0]!.id, 'acme');
  const prev = process.env.SSW_CONFIG;
  process.env.SSW_CONFIG = d;
  try {
    assert.equal(loadConfig().dir, d, 'process.env is the default environment');
  } finally {
    if (prev === undefined) delete process.env.SSW_CONFIG;
    else process.env.SSW_CONFIG = prev;
  }
});

test('validateNetwork and validateServer check parsed objects for the live-change path', () => {
  const net = validateNetwork({ routingGateways: [{ name: 'r', address: '10.0.0.1', prefixes: '*', localIp: '10.0.0.1' }] }, 'api');
  assert.deepEqual(net.routingGateways[0]!.prefixes, ['']);
  assert.equal(net.routingGateways[0]!.id, 1);
  assert.ok(Object.isFrozen(net.routingGateways[0]));
  const server = validateServer({ listen: [{ ip: '10.0.0.2' }] }, 'server.yaml');
  assert.throws(
    () => validateNetwork({ routingGateways: [{ name: 'r', address: '10.0.0.1', prefixes: ['*'], localIp: '10.0.0.1' }] }, 'PUT /api/v1/network', server),
    (e: unknown) => isSswError(e) && e.code === 'SSW_ERR_CONFIG_INVALID' && e.message.startsWith('PUT /api/v1/network: routingGateways[0].localIp'),
  );
  assert.throws(() => validateServer({ udpMtu: 100 }, 'server.yaml'), /server\.yaml: udpMtu: 100 is out of range; allowed: integer 576-65535 bytes/);
  assert.throws(() => validateNetwork([], 'x'), /x: \(top level\): \[\] is not a mapping/);
});
