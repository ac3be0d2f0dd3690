// The phones API over real HTTP: list/read/create/change/delete with the password never returned
// (only its HA1 lands in the store), registrations of a phone registered by an npm sip UA, the
// dial-plan explain, file phones protected, and API phones surviving a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { writeNetworkConfig } from '../helpers/switch.js';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { createUa, type Ua } from '../helpers/sip-ua.js';
import { startTestAdmin, sswOn, RO_TOKEN, type TestAdmin } from './admin-helpers.js';
import { registerWithAuth } from '../phones/phone-helpers.js';

const SW = '127.0.0.186';
let dir: string;
let sw: Softswitch;
let admin: TestAdmin;
let ua: Ua;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

before(async () => {
  dir = writeNetworkConfig({
    ip: SW,
    network: {
      accounts: [{ id: 'acc', name: 'a', prepaid: false, balance: '1.00' }],
      phones: [{ number: '2001', password: 'file-secret', account: 'acc' }],
    },
  });
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
  admin = await startTestAdmin(sw);
  ua = createUa('127.0.0.187', 5074);
});

after(async () => {
  ua.stop();
  await admin.cleanup();
  await sw.stop(0);
  rmSync(dir, { recursive: true, force: true });
});

test('list and read: the file phone, its source, no password or hash in any answer', async () => {
  const r = await admin.api('/api/v1/phones');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.phones.length, 1);
  assert.deepEqual(r.body.phones[0], {
    number: '2001', username: '2001', account: 'acc', locked: false, capacity: 0, calleeRules: [], callerRules: [], source: 'config',
    registered: false, contacts: 0, activeCalls: 0, warnings: [],
  });
  assert.doesNotMatch(r.text, /file-secret|password|ha1/);
  const one = await admin.api('/api/v1/phones/2001');
  assert.equal(one.status, 200);
  assert.equal(one.body.number, '2001');
  assert.equal((await admin.api('/api/v1/phones/9999')).status, 404);
});

test('create: 201, stored as HA1 only; duplicates 409; bad rules, accounts and bodies 400; read-only token 403', async () => {
  const r = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2002', password: 'pw2002', account: 'acc', calleeRules: [{ from: '9', to: '0049' }], capacity: 2 } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.source, 'api');
  assert.equal(r.body.capacity, 2);
  assert.doesNotMatch(r.text, /pw2002/);
  const row = await sw.engines!.store!.db.selectFrom('phones').selectAll().where('number', '=', '2002').executeTakeFirst();
  assert.ok(row);
  assert.equal(row.password, `md5:${md5('2002:open-softswitch:pw2002')}`);
  assert.equal(row.account, 'acc');

  const dup = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2001', password: 'x', account: 'acc' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'SSW_ERR_PHONE_CONFLICT');
  const sameUser = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2009', username: '2001', password: 'x', account: 'acc' } });
  assert.equal(sameUser.status, 409);
  const badRule = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2010', password: 'x', account: 'acc', calleeRules: [{ from: '12G', to: '' }] } });
  assert.equal(badRule.status, 400);
  assert.equal(badRule.body.error.code, 'SSW_ERR_ADMIN_VALIDATION');
  assert.match(badRule.body.error.message, /calleeRules/);
  const badAcc = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2010', password: 'x', account: 'ghost' } });
  assert.equal(badAcc.status, 400);
  assert.match(badAcc.body.error.message, /account "ghost" does not exist/);
  const noPw = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2010', account: 'acc' } });
  assert.equal(noPw.status, 400);
  const badNumber = await admin.api('/api/v1/phones', { method: 'POST', body: { number: 'abc', password: 'x', account: 'acc' } });
  assert.equal(badNumber.status, 400);
  const extra = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2010', password: 'x', account: 'acc', ha1: 'x' } });
  assert.equal(extra.status, 400);
  const ro = await admin.api('/api/v1/phones', { method: 'POST', token: RO_TOKEN, body: { number: '2010', password: 'x', account: 'acc' } });
  assert.equal(ro.status, 403);
  assert.equal(sw.phones!.directory.byNumber('2010'), undefined, 'nothing refused became live');
});

test('a phone made through the API registers at once; its registrations and dial-plan explain', async () => {
  const { final } = await registerWithAuth(ua, SW, { user: '2002', aor: '2002', password: 'pw2002', contact: 'sip:2002@127.0.0.187:5074', expires: 600 });
  assert.equal(final.status, 200);
  const r = await admin.api('/api/v1/phones/2002/registrations');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.contacts.length, 1);
  const c = r.body.contacts[0];
  assert.equal(c.uri, 'sip:2002@127.0.0.187:5074');
  assert.equal(c.sourceIp, '127.0.0.187');
  assert.equal(c.sourcePort, 5074);
  assert.equal(c.transport, 'udp');
  assert.ok(c.expiresIn > 590 && c.expiresIn <= 600);
  assert.equal((await admin.api('/api/v1/phones/2002')).body.registered, true);
  const x = await admin.api('/api/v1/phones/2002/dialplan?number=912345');
  assert.equal(x.status, 200, x.text);
  assert.equal(x.body.output, '004912345');
  assert.equal(x.body.matched, 0);
  assert.deepEqual(x.body.rule, { from: '9', to: '0049' });
  const none = await admin.api('/api/v1/phones/2002/dialplan?number=5&side=caller');
  assert.equal(none.body.output, '5');
  assert.equal(none.body.matched, -1);
});

test('change: a file phone is 409; locking drops the registrations and the next REGISTER gets 403', async () => {
  const file = await admin.api('/api/v1/phones/2001', { method: 'PATCH', body: { locked: true } });
  assert.equal(file.status, 409);
  assert.match(file.body.error.message, /network\.yaml/);
  const user = await admin.api('/api/v1/phones/2002', { method: 'PATCH', body: { username: 'bob' } });
  assert.equal(user.status, 400, 'a new user name needs the password (HA1 binds both)');
  const r = await admin.api('/api/v1/phones/2002', { method: 'PATCH', body: { locked: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.locked, true);
  assert.equal(r.body.registered, false);
  const row = await sw.engines!.store!.db.selectFrom('phones').selectAll().where('number', '=', '2002').executeTakeFirst();
  assert.equal(Number(row!.locked), 1);
  const { final } = await registerWithAuth(ua, SW, { user: '2002', aor: '2002', password: 'pw2002', contact: 'sip:2002@127.0.0.187:5074' });
  assert.equal(final.status, 403);
  const pw = await admin.api('/api/v1/phones/2002', { method: 'PATCH', body: { locked: false, username: 'bob', password: 'new-pw' } });
  assert.equal(pw.status, 200, pw.text);
  const again = await registerWithAuth(ua, SW, { user: 'bob', aor: 'bob', password: 'new-pw', contact: 'sip:bob@127.0.0.187:5074' });
  assert.equal(again.final.status, 200);
});

test('delete: gone from the API, the registrar and the store; a file phone cannot be deleted here', async () => {
  assert.equal((await admin.api('/api/v1/phones/2001', { method: 'DELETE' })).status, 409);
  const r = await admin.api('/api/v1/phones/2002', { method: 'DELETE' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { deleted: '2002' });
  assert.equal((await admin.api('/api/v1/phones/2002')).status, 404);
  assert.equal(sw.phones!.registrar.contacts('2002').length, 0);
  const row = await sw.engines!.store!.db.selectFrom('phones').selectAll().where('number', '=', '2002').executeTakeFirst();
  assert.equal(row, undefined);
  assert.equal((await admin.api('/api/v1/phones/2002', { method: 'DELETE' })).status, 404);
});

test('ssw phones: add, list, set, remove from the command line; the password is sent, never shown', async () => {
  const cli = (...args: string[]) => sswOn(admin, args);
  const add = await cli('phones', 'add', 'number=2077', 'password=cli-secret', 'account=acc', 'capacity=1');
  assert.equal(add.code, 0, add.err);
  const stored = (await admin.api('/api/v1/phones/2077')).body;
  assert.equal(stored.capacity, 1);
  assert.equal(stored.source, 'api');
  const list = await cli('phones', 'list');
  assert.match(list.out, /2077 +2077 +acc +api +no +0 +0/);
  assert.ok(!list.out.includes('cli-secret'));
  assert.equal((await cli('phones', 'set', '2077', 'locked=true')).code, 0);
  assert.equal((await admin.api('/api/v1/phones/2077')).body.locked, true);
  const regs = await cli('phones', 'registrations', '2077');
  assert.equal(regs.code, 0, regs.err);
  assert.equal((await cli('phones', 'remove', '2001')).code, 1, 'a network.yaml phone is not removed here');
  assert.equal((await cli('phones', 'remove', '2077')).code, 0);
  assert.equal((await admin.api('/api/v1/phones/2077')).status, 404);
});

test('API phones come back after a restart; file phones stay the file\'s', async () => {
  const r = await admin.api('/api/v1/phones', { method: 'POST', body: { number: '2003', username: 'carol', password: 'pw3', account: 'acc', callerRules: [{ from: '*', to: '1*' }] } });
  assert.equal(r.status, 201, r.text);
  // The same config folder and store file: the first switch stops first (its SIP address is reused).
  await sw.stop(0);
  const sw2 = new Softswitch(loadConfig(dir, { env: {} }));
  try {
    await sw2.start();
    const p = sw2.phones!.directory.byNumber('2003');
    assert.ok(p);
    assert.equal(p.def.username, 'carol');
    assert.equal(p.def.ha1, md5('carol:open-softswitch:pw3'));
    assert.deepEqual(p.def.callerRules, [{ from: '*', to: '1*' }]);
    assert.equal(sw2.phones!.sourceOf('2003'), 'api');
    assert.equal(sw2.phones!.sourceOf('2001'), 'config');
  } finally {
    await sw2.stop(0);
  }
  sw = new Softswitch(loadConfig(dir, { env: {} }));
  await sw.start();
});

