// The admin room's small parts on their own: token bucket, token files, CPS sampler, OpenAPI paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { RateLimiter, TokenBook, loadTokens, buildOpenApi } from '../../src/admin/index.js';
import { CpsSampler } from '../../src/admin/perf.js';
import type { Softswitch } from '../../src/switch.js';

test('token bucket: burst, then one token per 1/rate seconds; a failed login charges extra', () => {
  let now = 0;
  const rl = new RateLimiter({ burst: 3, perSecond: 2 }, () => now);
  assert.deepEqual([rl.take('a'), rl.take('a'), rl.take('a')], [0, 0, 0]);
  assert.equal(rl.take('a'), 1, 'empty: wait a second');
  assert.equal(rl.take('b'), 0, 'another client has its own bucket');
  now += 500; // one token back at 2/s
  assert.equal(rl.take('a'), 0);
  assert.ok(rl.take('a') > 0);
  now += 10_000;
  rl.charge('a', 10);
  assert.equal(rl.take('a'), 2, 'charged 10 from a full bucket of 3: debt capped at one burst (-3), so 2 s to the next token');
});

test('token bucket property: over any schedule a client never gets more than burst + rate x elapsed', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }), (gaps) => {
    let now = 0;
    const rl = new RateLimiter({ burst: 5, perSecond: 10 }, () => now);
    let allowed = 0;
    for (const g of gaps) {
      now += g;
      if (rl.take('x') === 0) allowed++;
    }
    return allowed <= 5 + Math.floor((now / 1000) * 10) + 1;
  }));
});

test('token book: bearer syntax, roles, and refusal of short tokens or unknown roles', () => {
  const book = new TokenBook([{ name: 'rw', token: 'a'.repeat(20), role: 'read-write' }, { name: 'ro', token: 'b'.repeat(20), role: 'read-only' }]);
  assert.deepEqual(book.check(`Bearer ${'a'.repeat(20)}`), { ok: true, name: 'rw', role: 'read-write' });
  assert.deepEqual(book.check(`bearer ${'b'.repeat(20)}`), { ok: true, name: 'ro', role: 'read-only' });
  assert.deepEqual(book.check(undefined), { ok: false, reason: 'missing' });
  assert.deepEqual(book.check(`Basic ${'a'.repeat(20)}`), { ok: false, reason: 'invalid' });
  assert.deepEqual(book.check(`Bearer ${'a'.repeat(19)}`), { ok: false, reason: 'invalid' });
  assert.throws(() => new TokenBook([{ name: 'x', token: 'short', role: 'read-write' }]), /at least 16/);
  assert.throws(() => new TokenBook([{ name: 'x', token: 'c'.repeat(20), role: 'admin' as never }]), /role must be/);
});

test('token files: admin-token created once, admin-tokens.json read, a broken file is a coded error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-tokens-'));
  try {
    const first = loadTokens(dir);
    assert.ok(first.created);
    const second = loadTokens(dir);
    assert.equal(second.created, null);
    assert.equal(second.tokens[0]!.token, first.created);
    writeFileSync(join(dir, 'admin-tokens.json'), JSON.stringify([{ name: 'grafana', token: 'g'.repeat(24), role: 'read-only' }]));
    assert.deepEqual(loadTokens(dir).tokens.map((t) => [t.name, t.role]), [['admin-token', 'read-write'], ['grafana', 'read-only']]);
    writeFileSync(join(dir, 'admin-tokens.json'), '{ not json');
    assert.throws(() => loadTokens(dir), (e: any) => e.code === 'SSW_ERR_ADMIN_TOKENS' && e.message.includes('admin-tokens.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CPS sampler: last second and last-minute average from one-second samples', () => {
  const sw = { b2bua: { counters: { attempts: 0 } } } as unknown as Softswitch;
  const s = new CpsSampler(sw);
  try {
    assert.deepEqual(s.cps(), { lastSecond: 0, lastMinute: 0 });
    for (let i = 1; i <= 70; i++) {
      sw.b2bua.counters.attempts += i <= 60 ? 10 : 40; // 10 CPS for a minute, then 40 CPS
      s.sample();
    }
    const c = s.cps();
    assert.equal(c.lastSecond, 40);
    assert.equal(c.lastMinute, (50 * 10 + 10 * 40) / 60);
  } finally {
    s.close();
  }
});

test('OpenAPI: :params become {params}, HEAD is left out, query and body schemas carried', () => {
  const doc = buildOpenApi([
    { method: 'GET', url: '/a/:id', schema: { params: { properties: { id: { type: 'string' } } }, querystring: { properties: { q: { type: 'integer' } }, required: ['q'] } } },
    { method: 'HEAD', url: '/a/:id' },
    { method: 'PUT', url: '/a/:id', schema: { body: { type: 'object' }, response: { 200: { type: 'object' } } } },
  ], { title: 't', version: '1' }) as any;
  assert.deepEqual(Object.keys(doc.paths), ['/a/{id}']);
  assert.deepEqual(Object.keys(doc.paths['/a/{id}']).sort(), ['get', 'put']);
  assert.deepEqual(doc.paths['/a/{id}'].get.parameters.map((p: any) => [p.name, p.in, p.required]), [['id', 'path', true], ['q', 'query', true]]);
  assert.deepEqual(doc.paths['/a/{id}'].put.requestBody.content['application/json'].schema, { type: 'object' });
});
