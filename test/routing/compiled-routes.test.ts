// A routing table whose prefix side was compiled elsewhere (compileRoutes, as the network worker
// does it) routes exactly as one built in this thread; bad input is a coded failure, and a
// compiled side that does not fit its gateways is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RoutingTable, compileRoutes, paramReader, type CompiledRoutes, type RouteContext } from '../../src/routing/index.js';
import { reserveTrieMemory } from '../../src/wasm/trie.js';
import { gw, mgw } from './helpers.js';

const P = paramReader();
const ctx = (callee: string): RouteContext => ({ mapping: mgw(), callee, nowWall: Date.UTC(2026, 10, 25, 12), nowMono: 1_000_000 });

function compiled(gws: Parameters<typeof compileRoutes>[0]): CompiledRoutes {
  const r = compileRoutes(gws, reserveTrieMemory());
  assert.ok(!('ok' in r), 'compiled');
  return r as CompiledRoutes;
}

test('property: fromCompiled routes every number as build() does', () => {
  const prefix = fc.oneof(fc.constant('*'), fc.stringMatching(/^[0-9]{1,4}$/));
  fc.assert(fc.property(
    fc.array(fc.record({ prefixes: fc.array(prefix, { minLength: 1, maxLength: 4 }), priority: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 40 }),
    fc.array(fc.stringMatching(/^[0-9]{0,6}$/), { minLength: 1, maxLength: 30 }),
    (specs, numbers) => {
      const gws = specs.map((s, i) => gw(i + 1, s));
      const here = RoutingTable.build(gws);
      const there = RoutingTable.fromCompiled(gws, compiled(gws));
      for (const n of numbers) {
        const a = here.route(ctx(n), { params: P });
        const b = there.route(ctx(n), { params: P });
        assert.deepEqual(b.considered.map((c) => [c.gateway.id, c.prefix, c.keys.prefixLength]), a.considered.map((c) => [c.gateway.id, c.prefix, c.keys.prefixLength]));
      }
      here.release();
      there.release();
    },
  ), { numRuns: 60 });
});

test('no gateways, or one that takes every number: the empty prefix text means either', () => {
  const none = RoutingTable.fromCompiled([], compiled([]));
  assert.deepEqual(none.route(ctx('44'), { params: P }).candidates, []);
  const all = RoutingTable.fromCompiled([gw(7, { prefixes: ['*'] })], compiled([gw(7, { prefixes: ['*'] })]));
  assert.deepEqual(all.route(ctx('44'), { params: P }).candidates.map((c) => c.gateway.id), [7]);
});

test('compileRoutes: a non-digit prefix is a coded failure; a duplicate gateway id throws', () => {
  const r = compileRoutes([gw(1, { prefixes: ['44'] }), gw(2, { prefixes: ['4a'] })], reserveTrieMemory());
  assert.ok('ok' in r && !r.ok);
  assert.equal(r.code, 'SSW_ERR_TRIE_BAD_PREFIX');
  assert.throws(() => compileRoutes([gw(1), gw(1)], reserveTrieMemory()), { code: 'SSW_ERR_ROUTING_DUPLICATE_GATEWAY' });
});

test('fromCompiled refuses a compiled side that names gateways the list does not have', () => {
  const c = compiled([gw(1, { prefixes: ['1'] }), gw(2, { prefixes: ['2'] })]);
  assert.throws(() => RoutingTable.fromCompiled([gw(1, { prefixes: ['1'] })], c), { code: 'SSW_ERR_ROUTING_COMPILED_MISMATCH' });
  assert.throws(() => RoutingTable.fromCompiled([gw(1), gw(2)], { ...c, prefixText: '1,2,3' }), { code: 'SSW_ERR_ROUTING_COMPILED_MISMATCH' });
});
