// `ssw store import|export`: the network moves between config files and the store; balances the
// store holds are never reset by an import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/index.js';
import { writeNetworkConfig } from '../helpers/switch.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s), env: {} });
  return { code, out, err };
}

test('import then export round-trips the network; a second import keeps the stored balance', async () => {
  const dir = writeNetworkConfig({
    ip: '127.0.0.120',
    network: {
      accounts: [{ id: 'acme', name: 'Acme', prepaid: true, balance: '12.50' }],
      mappingGateways: [{ name: 'acme-gw', remoteIps: ['10.1.1.1'], account: 'acme', calleeRules: [{ from: '00', to: '' }] }],
      routingGateways: [{ name: 'uk', address: '10.2.2.2', port: 5060, prefixes: ['44', '4420'], priority: 3 }],
    },
  });
  try {
    const i = await cli('store', 'import', '--config', dir);
    assert.equal(i.code, 0, i.err);
    assert.match(i.out, /imported 1 account\(s\), 1 mapping and 1 routing gateway\(s\)/);
    const e = await cli('store', 'export', '--config', dir);
    const net = parse(e.out);
    assert.equal(net.accounts[0].balance, '12.5');
    assert.deepEqual(net.mappingGateways[0].calleeRules, [{ from: '00', to: '' }]);
    assert.deepEqual(net.routingGateways[0].prefixes, ['44', '4420']);
    assert.equal(net.routingGateways[0].priority, 3);
    // The file now says 99.00, but the store's balance is what calls have left: it stays.
    const file = join(dir, 'network.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('12.50', '99.00').replace('priority: 3', 'priority: 4'));
    assert.equal((await cli('store', 'import', '--config', dir)).code, 0);
    const again = parse((await cli('store', 'export', '--config', dir)).out);
    assert.equal(again.accounts[0].balance, '12.5');
    assert.equal(again.routingGateways[0].priority, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
