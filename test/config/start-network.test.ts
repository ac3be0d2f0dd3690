// At start, stored admin changes are laid over network.yaml; one that no longer fits an edited file
// is left out (logged) and the switch starts with the rest; a bad file itself still stops start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from '../../src/engines.js';
import type { NetworkChange } from '../../src/store/index.js';
import { isSswError } from '../../src/util/errors.js';

const server = { listen: [{ ip: '127.0.0.1', port: 5060, transports: ['udp' as const] }] } as any;
const raw = {
  accounts: [{ id: 'acc', prepaid: false }],
  mappingGateways: [{ name: 'cust', remoteIps: ['192.0.2.1'], account: 'acc' }],
  routingGateways: [{ name: 'uk', address: '192.0.2.9', port: 5060, prefixes: ['44'] }],
};
const changes: NetworkChange[] = [
  { kind: 'routing', name: 'fr', seq: 1, body: { name: 'fr', address: '192.0.2.10', port: 5060, prefixes: ['33'] } },
  // The account this gateway bills to was removed from the file since: no longer fits.
  { kind: 'mapping', name: 'm2', seq: 2, body: { name: 'm2', remoteIps: ['192.0.2.2'], account: 'gone' } },
  { kind: 'routing', name: 'uk', seq: 3, body: { name: 'uk', address: '192.0.2.9', port: 5060, prefixes: ['44'], capacity: 7 } },
];

test('every change that fits is applied in order; the one that does not is left out', () => {
  const { network, changes: kept } = startNetwork(raw, changes, 'network.yaml', { server });
  assert.deepEqual(kept.map((c) => c.seq), [1, 3]);
  assert.deepEqual(network.routingGateways.map((g) => [g.name, g.capacity]).sort(), [['fr', 0], ['uk', 7]]);
  assert.deepEqual(network.mappingGateways.map((g) => g.name), ['cust']);
});

test('when all fit, all are kept', () => {
  const ok = changes.filter((c) => c.seq !== 2);
  assert.equal(startNetwork(raw, ok, 'network.yaml', { server }).changes.length, 2);
});

test('a bad network.yaml still stops start-up with the loader\'s coded error', () => {
  const bad = { ...raw, routingGateways: [{ name: 'uk', address: '192.0.2.9', port: 70000, prefixes: ['44'] }] };
  assert.throws(() => startNetwork(bad, changes, 'network.yaml', { server }), (e: unknown) => isSswError(e) && /port/.test((e as Error).message));
});
