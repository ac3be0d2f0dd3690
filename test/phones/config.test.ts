// Phones in network.yaml: defaults, the cross-field rules, and dial rules compiled at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateNetwork, ParamSet } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/index.js';
import { createHash } from 'node:crypto';
import { PhoneService } from '../../src/phones/index.js';
import { openStore } from '../../src/store/index.js';

const accounts = [{ id: 'a1' }];

test('a phone takes its number as user name, no capacity limit and no dial plan by default', () => {
  const net = validateNetwork({ accounts, phones: [{ number: '1001', password: 'pw', account: 'a1' }] }, 'network.yaml');
  assert.deepEqual(net.phones, [{ number: '1001', username: '1001', password: 'pw', account: 'a1', locked: false, capacity: 0, calleeRules: [], callerRules: [] }]);
  assert.ok(Object.isFrozen(net.phones[0]));
});

test('duplicate numbers and user names, unknown accounts and bad fields are named, all in one error', () => {
  assert.throws(() => validateNetwork({
    accounts,
    phones: [
      { number: '1001', password: 'pw', account: 'a1' },
      { number: '1001', username: 'x', password: 'pw', account: 'a1' },
      { number: '1002', username: '1001', password: 'pw', account: 'a1' },
      { number: '1003', password: 'pw', account: 'nope' },
      { number: '12a', password: '', account: 'a1', capacity: -1 },
    ],
  }, 'network.yaml'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SSW_ERR_CONFIG_INVALID');
    assert.match(err.message, /phones\[1\]\.number: "1001" is already used by phones\[0\]/);
    assert.match(err.message, /phones\[2\]\.username: "1001" is already used by phones\[0\]/);
    assert.match(err.message, /phones\[3\]\.account: "nope" is not an account id/);
    assert.match(err.message, /phones\[4\]\.number: "12a"/);
    assert.match(err.message, /phones\[4\]\.password: "" is empty/);
    assert.match(err.message, /phones\[4\]\.capacity: -1 is out of range/);
    return true;
  });
});

test('a phone dial rule the engine cannot compile stops the start with a coded error naming the phone', () => {
  const network = validateNetwork({ accounts, phones: [{ number: '1001', password: 'pw', account: 'a1', calleeRules: [{ from: '12G', to: '' }] }] }, 'network.yaml');
  const cfg = { network, paramSet: ParamSet.defaults() } as unknown as LoadedConfig;
  assert.throws(() => new PhoneService(cfg, () => ParamSet.defaults()), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SSW_ERR_CONFIG_INVALID');
    assert.match(err.message, /phones 1001: .*calleeRules/);
    return true;
  });
});

test('store import/export keeps a phone\'s user name and rules; a clear password imported from a file is hashed on load', async () => {
  const store = await openStore('sqlite::memory:');
  try {
    const phone = { number: '3001', account: 'a1', password: 'clear', locked: false, username: 'dave', capacity: 1, calleeRules: [{ from: '0', to: '44' }] };
    await store.importNetwork({ accounts: [], mappingGateways: [], routingGateways: [], phones: [phone] });
    assert.deepEqual((await store.exportNetwork()).phones, [phone]);
    const network = validateNetwork({ accounts }, 'network.yaml');
    const svc = new PhoneService({ network, paramSet: ParamSet.defaults() } as unknown as LoadedConfig, () => ParamSet.defaults());
    await svc.load(store);
    const e = svc.directory.byUsername('dave');
    assert.ok(e);
    assert.equal(e.def.number, '3001');
    assert.equal(e.def.capacity, 1);
    assert.equal(e.def.ha1, createHash('md5').update('dave:open-softswitch:clear').digest('hex'));
    assert.equal(e.callee.transform('0123').output, '44123');
    assert.equal(svc.sourceOf('3001'), 'api');
  } finally {
    await store.close();
  }
});
