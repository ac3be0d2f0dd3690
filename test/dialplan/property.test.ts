// Property test: on random rule sets and numbers the WASM engine, the reference engine and a
// brute-force oracle written here agree, with the same injected randomness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DialPlan, ReferencePlan, type DialRule } from '../../src/dialplan/index.js';
import { parseRules, type ParsedRule } from '../../src/dialplan/parse.js';
import { rewrite, ruleMatches } from '../../src/dialplan/reference.js';
import { seeded } from './helpers.js';

const prefixChar = fc.constantFrom('0', '1', '2', '9', '?', '+', '#', '\\E');
const cond = fc.tuple(fc.constantFrom('L', 'E', 'G'), fc.integer({ min: 0, max: 9 })).map(([l, n]) => `${l}${n}`);
const original: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('*') },
  {
    weight: 9,
    arbitrary: fc
      .tuple(fc.array(prefixChar, { maxLength: 4 }), fc.boolean(), fc.array(cond, { maxLength: 2 }))
      .map(([p, star, c]) => p.join('') + (star ? '*' : '') + c.join(''))
      .filter((s) => s.length > 0),
  },
);
const range = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(999), fc.nat(999)).map(([w, a, b]) => {
  const m = 10 ** w;
  const lo = Math.min(a % m, b % m), hi = Math.max(a % m, b % m);
  return `${String(lo).padStart(w, '0')}-${String(hi).padStart(w, '0')}`;
});
const opsAlt = fc
  .tuple(fc.array(fc.constantFrom<string>('0', '1', '9', '?', '$', '+', '\\*'), { maxLength: 5 }), fc.option(fc.nat(5)))
  .map(([ops, star]) => {
    // copy: fast-check reuses generated values while shrinking, so they must not be mutated
    const o = [...ops];
    if (star !== null) o.splice(Math.min(star, o.length), 0, '*');
    return o.join('');
  });
const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: opsAlt },
  { weight: 1, arbitrary: range },
  { weight: 2, arbitrary: fc.array(fc.oneof(opsAlt.filter((s) => s !== ''), range), { minLength: 2, maxLength: 3 }).map((a) => a.join(';')) },
);
const rule: fc.Arbitrary<DialRule> = fc.record({ from: original, to: target });
const number = fc.array(fc.constantFrom('0', '1', '2', '9', '+', '#', 'E'), { maxLength: 10 }).map((a) => a.join(''));

// Brute force: every matching rule, best by the documented order, no index structures.
function oracle(rules: readonly ParsedRule[], n: string, random: () => number): { output: string; matched: number } {
  let best: ParsedRule | undefined;
  const key = (p: ParsedRule): number[] => (p.starAlone ? [-1, 0, -p.index] : [p.prefix.length, p.condCount, -p.index]);
  for (const p of rules) {
    if (!ruleMatches(p, n)) continue;
    if (!best) { best = p; continue; }
    const [a, b] = [key(p), key(best)];
    if (a[0]! > b[0]! || (a[0] === b[0] && (a[1]! > b[1]! || (a[1] === b[1] && a[2]! > b[2]!)))) best = p;
  }
  return best ? { output: rewrite(best, n, random), matched: best.index } : { output: n, matched: -1 };
}

test('WASM engine == reference engine == brute force on random rule sets', () => {
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 12 }), fc.array(number, { minLength: 1, maxLength: 20 }), fc.integer(), (rules, numbers, seed) => {
      const wasm = DialPlan.compile(rules, { random: seeded(seed) });
      const ref = ReferencePlan.compile(rules, { random: seeded(seed) });
      const parsed = parseRules(rules);
      const brute = seeded(seed);
      try {
        for (const n of numbers) {
          const w = wasm.transform(n);
          assert.deepEqual(w, ref.transform(n), `number ${JSON.stringify(n)}`);
          assert.deepEqual(w, oracle(parsed, n, brute), `number ${JSON.stringify(n)}`);
        }
      } finally {
        wasm.dispose();
      }
    }),
    { numRuns: 400 },
  );
});

test('large random rule sets: WASM engine == reference engine', () => {
  fc.assert(
    fc.property(fc.array(rule, { minLength: 50, maxLength: 300 }), fc.array(number, { minLength: 50, maxLength: 200 }), fc.integer(), (rules, numbers, seed) => {
      const wasm = DialPlan.compile(rules, { random: seeded(seed) });
      const ref = ReferencePlan.compile(rules, { random: seeded(seed) });
      try {
        for (const n of numbers) assert.deepEqual(wasm.transform(n), ref.transform(n), `number ${JSON.stringify(n)}`);
      } finally {
        wasm.dispose();
      }
    }),
    { numRuns: 40 },
  );
});

test('any string is a valid input: unicode and over-long numbers take the reference path', () => {
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 300 }), (rules, n) => {
      const wasm = DialPlan.compile(rules, { random: seeded(1) });
      try {
        assert.deepEqual(wasm.transform(n), ReferencePlan.compile(rules, { random: seeded(1) }).transform(n));
      } finally {
        wasm.dispose();
      }
    }),
    { numRuns: 150 },
  );
  const long = '0'.repeat(400);
  const plan = DialPlan.compile([{ from: '00', to: '+' }]);
  assert.deepEqual(plan.transform(long), { output: '+' + '0'.repeat(398), matched: 0 });
});
