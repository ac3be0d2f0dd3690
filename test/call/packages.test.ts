// Packages (free seconds on listed prefixes, used before money), end to end: calls through the
// switch take package seconds first and then money; what a package gave lands in the store's ledger
// with the call's entry, so a restart on the same store and a reload of network.yaml keep it used.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { createUa, invite, ackFor, inDialog, answeringUa, type Ua, type SipMsg } from '../helpers/sip-ua.js';
import { startTestAdmin, sswOn } from '../admin/admin-helpers.js';

const SW = '127.0.0.243';
const CALLER = '127.0.0.244';
const CARRIER = '127.0.0.245';

// 0.60 per minute billed per second (1/1): one second costs 0.01.
const RATES = { std: '44,UK,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n33,FR,international,0.6,1,1,0,,2020-01-01T00:00:00Z,0\n' };
const network = (packages: object[]) => ({
  accounts: [{ id: 'pre', prepaid: true, balance: '1.00', rateGroup: 'std', packages }],
  mappingGateways: [{ name: 'cust', remoteIps: [CALLER], account: 'pre' }],
  routingGateways: [{ name: 'carrier', address: CARRIER, port: 5080, prefixes: ['*'] }],
});

let dir: string;
let sw: Softswitch;
let caller: Ua;
let carrier: Ua;

before(async () => {
  dir = writeNetworkConfig({ ip: SW, rates: RATES, network: network([{ id: 'uk2', prefixes: '44', freeSeconds: 2 }]) });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  caller = createUa(CALLER, 5070);
  carrier = answeringUa(CARRIER);
});

after(async () => {
  caller.stop();
  carrier.stop();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

/** A call that talks about `talkMs`, hung up by the caller; resolves when its CDR and ledger are stored. */
async function talk(number: string, talkMs: number): Promise<void> {
  const inv = invite(caller, SW, 5060, number);
  const ok = await new Promise<SipMsg>((resolve) => caller.send(inv, (rs) => { if (rs.status >= 200) resolve(rs); }));
  assert.equal(ok.status, 200);
  caller.send(ackFor(inv, ok));
  await new Promise((r) => setTimeout(r, talkMs));
  await new Promise<SipMsg>((resolve) => caller.send(inDialog('BYE', inv, ok, 2), resolve));
  await sw.engines!.cdr.waitDrained(5000);
}

const account = () => sw.engines!.book.account('pre')!;
const pkg = (id: string) => account().packages.find((p) => p.id === id);

test('package seconds go first (no charge), then money; the ledger entry carries them', async () => {
  await talk('44100', 1200); // billed 2 s: both from the package
  assert.equal(pkg('uk2')!.remainingSeconds, 0);
  assert.equal(account().balance, 10_000_000n, 'nothing charged: 1.00 (at 7 decimals)');
  await talk('44101', 1200); // package empty: 2 s at 0.01
  assert.equal(account().balance, 9_800_000n);
  await talk('33100', 1200); // not a package prefix
  assert.equal(account().balance, 9_600_000n);
  const ledger = await sw.engines!.store!.ledger('pre');
  const calls = ledger.filter((e) => e.reason === 'call');
  assert.equal(calls.length, 3, 'a free call leaves an entry too');
  assert.deepEqual(calls.map((e) => [e.amount, e.packageId, e.packageSeconds]), [[0n, 'uk2', 2], [-200_000n, '', 0], [-200_000n, '', 0]]);
  assert.deepEqual(await sw.engines!.store!.packageUsage(), new Map([['pre\u0000uk2', 2]]));
});

test('a restart on the same store keeps the package used; the admin API and the CLI show it', async () => {
  await sw.stop(0);
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  assert.equal(pkg('uk2')!.remainingSeconds, 0, 'the used seconds come back from the store');
  assert.equal(account().balance, 9_600_000n);
  const admin = await startTestAdmin(sw);
  try {
    const r = await admin.api('/api/v1/accounts/pre');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.packages, [{ id: 'uk2', prefixes: ['44'], freeSeconds: 2, remainingSeconds: 0, reservedSeconds: 0, expiresAt: null }]);
    const l = await admin.api('/api/v1/accounts/pre/ledger');
    assert.equal(l.body.entries.filter((e: { packageId: string }) => e.packageId === 'uk2').length, 1);
    const cli = await sswOn(admin, ['account', 'pre', '--history']);
    assert.equal(cli.code, 0, cli.err);
    assert.match(cli.out, /uk2\s+44\s+2\s+0\s+0\s+never/);
    assert.match(cli.out, /2 \(uk2\)/);
  } finally {
    await admin.cleanup();
  }
});

test('a reload that raises the free seconds adds the difference; a new package starts whole; a removed one is gone', async () => {
  writeFileSync(join(dir, 'network.yaml'), stringify(network([
    { id: 'uk2', prefixes: '44', freeSeconds: 5 },
    { id: 'all3', prefixes: '*', freeSeconds: 3, expiresAt: '2099-01-01T00:00:00Z' },
  ])));
  await sw.reloadNetwork();
  assert.equal(pkg('uk2')!.remainingSeconds, 3, '5 free, 2 used');
  assert.equal(pkg('all3')!.remainingSeconds, 3);
  await talk('33101', 1200); // 2 s from all3
  assert.equal(pkg('all3')!.remainingSeconds, 1);
  assert.equal(account().balance, 9_600_000n);
  writeFileSync(join(dir, 'network.yaml'), stringify(network([{ id: 'all3', prefixes: '*', freeSeconds: 3 }])));
  await sw.reloadNetwork();
  assert.deepEqual(account().packages.map((p) => [p.id, p.remainingSeconds]), [['all3', 1]]);
});

test('packages change through the admin API like any account field; a bad one is refused with its field named', async () => {
  const admin = await startTestAdmin(sw);
  try {
    const bad = await admin.api('/api/v1/accounts/pre', { method: 'PATCH', body: { packages: [{ id: 'fr9', prefixes: '33', freeSeconds: -1 }] } });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.error.message, /packages\[0\]\.freeSeconds/);
    assert.deepEqual(account().packages.map((p) => p.id), ['all3'], 'nothing changed');
    const r = await admin.api('/api/v1/accounts/pre', { method: 'PATCH', body: { packages: [{ id: 'fr9', prefixes: '33', freeSeconds: 9 }] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(account().packages.map((p) => [p.id, p.remainingSeconds]), [['fr9', 9]]);
    await talk('33102', 1200);
    assert.equal(pkg('fr9')!.remainingSeconds, 7);
    assert.equal(account().balance, 9_600_000n);
  } finally {
    await admin.cleanup();
  }
});

test('the loader refuses a package id used twice on one account, naming the field', () => {
  const bad = writeNetworkConfig({ ip: SW, rates: RATES, network: network([{ id: 'p', prefixes: '44', freeSeconds: 1 }, { id: 'p', prefixes: '33', freeSeconds: 1 }]) });
  try {
    assert.throws(() => loadConfig(bad, { env: {} }), (e: Error) => /accounts\[0\]\.packages\[1\]\.id/.test(e.message) && /already used/.test(e.message));
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
