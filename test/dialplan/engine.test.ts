import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialPlan, IDENTITY, EXPLAIN_ALL_LIMIT, buildDialPlanImage } from '../../src/dialplan/index.js';
import { buildImage } from '../../src/dialplan/image.js';
import { parseRules } from '../../src/dialplan/parse.js';
import { DialplanWasm, DIALPLAN_NO_MATCH, DIALPLAN_UNSUPPORTED, dialplanPoolSize, loadDialplanImage } from '../../src/wasm/dialplan.js';

describe('DialPlan', () => {
  test('IDENTITY leaves every number alone', () => {
    assert.equal(IDENTITY.size, 0);
    for (const n of ['', '0', '+8613812345678', '*67#']) assert.deepEqual(IDENTITY.transform(n), { output: n, matched: -1 });
  });

  test('size and rules reflect the compiled set, copied and frozen', () => {
    const src = [{ from: '0', to: '1' }, { from: '*', to: '' }];
    const plan = DialPlan.compile(src);
    src[0] = { from: '9', to: '9' };
    assert.equal(plan.size, 2);
    assert.deepEqual(plan.rules, [{ from: '0', to: '1' }, { from: '*', to: '' }]);
    assert.ok(Object.isFrozen(plan.rules));
  });

  test('an image built elsewhere (a worker) is accepted for its own rules only', () => {
    const rules = [{ from: '00', to: '' }, { from: '*', to: '86*' }];
    const image = buildDialPlanImage(rules);
    const plan = DialPlan.compile(rules, { image: image.slice() });
    assert.deepEqual(plan.transform('0044'), { output: '44', matched: 0 });
    assert.throws(() => DialPlan.compile([{ from: '0', to: '' }], { image }), { code: 'SSW_ERR_DIALPLAN_IMAGE' });
    assert.throws(() => DialPlan.compile([{ from: '0', to: '0' }, { from: '*', to: '86*' }], { image }), { code: 'SSW_ERR_DIALPLAN_IMAGE' });
    assert.throws(() => DialPlan.compile(rules, { image: image.subarray(0, 16) }), { code: 'SSW_ERR_DIALPLAN_IMAGE' });
  });

  test('a disposed plan refuses work loudly', () => {
    const plan = DialPlan.compile([{ from: '0', to: '1' }]);
    plan.dispose();
    plan.dispose();
    assert.throws(() => plan.transform('0'), { code: 'SSW_ERR_DIALPLAN_DISPOSED' });
  });

  test('compiling and disposing many plans reuses WASM memory', () => {
    const rules = Array.from({ length: 2000 }, (_, i) => ({ from: String(10000 + i * 7), to: `9${i}` }));
    DialPlan.compile(rules).dispose();
    const wasm = new DialplanWasm();
    const image = buildImage(parseRules(rules));
    const h0 = wasm.load(image);
    wasm.free(h0);
    const before = wasm.memoryBytes;
    for (let i = 0; i < 200; i++) {
      const h = wasm.load(image);
      wasm.free(h);
    }
    assert.equal(wasm.memoryBytes, before);
  });
});

describe('explain', () => {
  const plan = DialPlan.compile([
    { from: '0', to: '0' },
    { from: '01', to: '025' },
    { from: '011', to: '00' },
    { from: '*', to: '86*' },
    { from: '01E5', to: 'x' },
    { from: '?2', to: 'y' },
  ]);

  test('names the winner and why each other rule lost or did not match', () => {
    const e = plan.explain('01117654321');
    assert.equal(e.output, '0017654321');
    assert.equal(e.matched, 2);
    assert.deepEqual(e.rule, { from: '011', to: '00' });
    assert.equal(e.candidates.length, 6);
    const why = e.candidates.map((c) => [c.index, c.matches, c.why]);
    assert.deepEqual(why[0]!.slice(0, 2), [0, true]);
    assert.match(why[0]![2] as string, /rule 2 has a longer prefix \(3 > 1\)/);
    assert.match(why[2]![2] as string, /^wins: longest matching prefix \(3 characters\)/);
    assert.match(why[3]![2] as string, /default rule/);
    assert.deepEqual(why[4]!.slice(0, 2), [4, false]);
    assert.match(why[4]![2] as string, /length 11 is not exactly 5/);
    assert.match(why[5]![2] as string, /character 1 is '1', the prefix wants '2'/);
  });

  test('when nothing but * matches, * wins', () => {
    const e = plan.explain('+44');
    assert.equal(e.output, '86+44');
    assert.equal(e.matched, 3);
    assert.match(e.candidates[3]!.why, /^wins: default rule/);
    assert.match(e.candidates[5]!.why, /character 0 is '\+', `\?` wants a digit/);
  });

  test('large sets list only the matching rules', () => {
    const rules = Array.from({ length: EXPLAIN_ALL_LIMIT + 10 }, (_, i) => ({ from: String(1000 + i), to: '' }));
    const e = DialPlan.compile(rules).explain('1005999');
    assert.deepEqual(e.candidates.map((c) => c.index), [5]);
  });
});

describe('DialplanWasm handles', () => {
  const wasm = new DialplanWasm();
  const img = (pairs: Array<[string, string]>) => buildImage(parseRules(pairs.map(([from, to]) => ({ from, to }))));

  test('several rule sets live side by side', () => {
    const a = wasm.load(img([['0', 'A']]));
    const b = wasm.load(img([['0', 'B']]));
    assert.equal(wasm.transform(a, '01', Math.random), 0);
    assert.equal(wasm.output, 'A1');
    assert.equal(wasm.transform(b, '01', Math.random), 0);
    assert.equal(wasm.output, 'B1');
    wasm.free(a);
    wasm.free(b);
  });

  test('replace swaps a handle to the new image; earlier results stand', () => {
    const h = wasm.load(img([['0', 'old']]));
    wasm.transform(h, '01', Math.random);
    const before = wasm.output;
    wasm.replace(h, img([['*', 'new*'], ['9', '']]));
    assert.equal(before, 'old1');
    assert.equal(wasm.transform(h, '01', Math.random), 0);
    assert.equal(wasm.output, 'new01');
    assert.equal(wasm.transform(h, '91', Math.random), 1);
    assert.equal(wasm.output, '1');
    wasm.free(h);
    assert.throws(() => wasm.transform(h, '1', Math.random), { code: 'SSW_ERR_DIALPLAN_HANDLE' });
  });

  test('no match, too long and wide characters are codes, not throws', () => {
    const h = wasm.load(img([['1', '2']]));
    assert.equal(wasm.transform(h, '9', Math.random), DIALPLAN_NO_MATCH);
    assert.equal(wasm.output, '9');
    assert.equal(wasm.transform(h, '1'.repeat(wasm.inputCap + 1), Math.random), DIALPLAN_UNSUPPORTED);
    assert.equal(wasm.transform(h, '1\u20ac', Math.random), DIALPLAN_UNSUPPORTED);
    assert.equal(wasm.transform(h, '1'.repeat(wasm.inputCap), Math.random), 0);
    assert.equal(wasm.output, '2' + '1'.repeat(wasm.inputCap - 1));
    wasm.free(h);
  });

  test('memory runs out with a coded error, not a crash', () => {
    const w = new DialplanWasm();
    const big = new Uint8Array(4 << 20);
    const hs: number[] = [];
    assert.throws(() => { for (let i = 0; i < 8; i++) hs.push(w.load(big)); }, { code: 'SSW_ERR_DIALPLAN_MEMORY' });
    assert.ok(hs.length >= 2);
  });

  test('the pool adds an instance when the others are full, so sets together may exceed one memory', () => {
    const before = dialplanPoolSize();
    const big = new Uint8Array(6 << 20);
    const loaded = Array.from({ length: 4 }, () => loadDialplanImage(big));
    assert.ok(dialplanPoolSize() >= Math.max(before, 2));
    assert.ok(new Set(loaded.map((l) => l.wasm)).size >= 2);
    for (const l of loaded) l.wasm.free(l.handle);
    // freed room is reused before any new instance is made
    const n = dialplanPoolSize();
    const again = loadDialplanImage(big);
    assert.equal(dialplanPoolSize(), n);
    again.wasm.free(again.handle);
  });
});
