// Table-driven: every example of VOS3000-REFERENCE.md §2 (our reading, docs/dialplan.md), run
// through the WASM engine and the reference engine alike.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialPlan, ReferencePlan, type DialRule } from '../../src/dialplan/index.js';
import { seeded, sequence } from './helpers.js';

interface Row {
  readonly name: string;
  readonly rules: Array<[string, string]>;
  readonly input: string;
  readonly output: string;
  readonly matched: number;
  readonly draws?: number[];
}

const toRules = (r: Array<[string, string]>): DialRule[] => r.map(([from, to]) => ({ from, to }));

function both(rows: readonly Row[]): void {
  for (const row of rows) {
    test(`${row.name}: ${row.rules.map(([f, t]) => `${f}→${t}`).join(', ')} on ${row.input}`, () => {
      const opts = { random: sequence(...(row.draws ?? [0.5])) };
      const wasm = DialPlan.compile(toRules(row.rules), opts).transform(row.input);
      assert.deepEqual(wasm, { output: row.output, matched: row.matched });
      const ref = ReferencePlan.compile(toRules(row.rules), { random: sequence(...(row.draws ?? [0.5])) }).transform(row.input);
      assert.deepEqual(ref, { output: row.output, matched: row.matched });
    });
  }
}

describe('reference table 4-1', () => {
  both([
    { name: 'unchanged', rules: [['0', '0']], input: '02584316146', output: '02584316146', matched: 0 },
    // Published output 01084316146 contradicts the published description ("replace prefix 0 by
    // 010") and the reading; the reading gives this. 025→010 gives the published output.
    { name: 'replace prefix 0 by 010 (see docs: published output is 025→010)', rules: [['0', '010']], input: '02584316146', output: '0102584316146', matched: 0 },
    { name: 'published output of row 2, written as 025→010', rules: [['025', '010']], input: '02584316146', output: '01084316146', matched: 0 },
    { name: 'strip prefix', rules: [['025', '']], input: '02584316146', output: '84316146', matched: 0 },
    { name: 'add prefix to every number', rules: [['*', '025*']], input: '117', output: '025117', matched: 0 },
    { name: 'replace prefix 025 by 010', rules: [['025*', '010']], input: '02584316146', output: '01084316146', matched: 0 },
    { name: 'garbled row as its note says: add prefix 010', rules: [['*', '010*']], input: '02584316146', output: '01002584316146', matched: 0 },
    { name: 'garbled row as printed strips 010, so it leaves 025… alone', rules: [['010*', '']], input: '02584316146', output: '02584316146', matched: -1 },
    { name: 'garbled row as printed on a 010 number', rules: [['010*', '']], input: '01084316146', output: '84316146', matched: 0 },
    { name: 'delete the whole number', rules: [['*', '']], input: '02584316146', output: '', matched: 0 },
    { name: 'replace by a constant', rules: [['*', '12345678']], input: '02584316146', output: '12345678', matched: 0 },
    { name: 'range, low draw', rules: [['025*', '8008100-8008121']], input: '02584316146', output: '8008100', matched: 0, draws: [0] },
    { name: 'range, middle draw', rules: [['025*', '8008100-8008121']], input: '02584316146', output: '8008111', matched: 0, draws: [0.5] },
    { name: 'range, top draw', rules: [['025*', '8008100-8008121']], input: '02584316146', output: '8008121', matched: 0, draws: [0.9999999] },
    { name: '? in target, draw 0.1', rules: [['*', '12345?78']], input: '02584316146', output: '12345178', matched: 0, draws: [0.1] },
    { name: '? in target, draw 0.25', rules: [['*', '12345?78']], input: '02584316146', output: '12345278', matched: 0, draws: [0.25] },
    { name: '? in the original matches any digit', rules: [['0??8431', '8431']], input: '02584316146', output: '84316146', matched: 0 },
    { name: '$ keeps the original digit at that position', rules: [['0134', '$$$']], input: '0134131', output: '013131', matched: 0 },
  ]);
});

describe('longest match examples', () => {
  both([
    { name: 'example 1', rules: [['0', '0'], ['010', '025']], input: '01012345678', output: '02512345678', matched: 1 },
    { name: 'example 2', rules: [['*', '025*'], ['01', '00']], input: '0112345678', output: '0012345678', matched: 1 },
    { name: 'example 3', rules: [['0', '0'], ['01', '025'], ['011', '00']], input: '01117654321', output: '0017654321', matched: 2 },
    { name: 'example 3, rule order reversed', rules: [['011', '00'], ['01', '025'], ['0', '0']], input: '01117654321', output: '0017654321', matched: 0 },
    { name: 'example 2, no longer rule applies', rules: [['*', '025*'], ['01', '00']], input: '0212345678', output: '0250212345678', matched: 0 },
  ]);
});

describe('common uses', () => {
  both([
    { name: 'strip 00', rules: [['00', '']], input: '008613812345678', output: '8613812345678', matched: 0 },
    { name: 'add 00', rules: [['*', '00*']], input: '8613812345678', output: '008613812345678', matched: 0 },
    { name: '+ to 00', rules: [['+', '00']], input: '+8613812345678', output: '008613812345678', matched: 0 },
    { name: '+ to 00 leaves national numbers', rules: [['+', '00']], input: '013812345678', output: '013812345678', matched: -1 },
    { name: 'add country code', rules: [['*', '86*']], input: '13812345678', output: '8613812345678', matched: 0 },
    { name: 'area code for 8-digit locals', rules: [['E8', '025*']], input: '84316146', output: '02584316146', matched: 0 },
    { name: 'area code rule skips 11-digit numbers', rules: [['E8', '025*']], input: '13812345678', output: '13812345678', matched: -1 },
    { name: 'change area code', rules: [['025', '010']], input: '02584316146', output: '01084316146', matched: 0 },
    { name: 'emergency number kept exact', rules: [['110E3', '110'], ['1', '861']], input: '110', output: '110', matched: 0 },
  ]);
});

describe('length escapes and their literal forms', () => {
  both([
    { name: 'L: shorter than 9', rules: [['13L9', '9']], input: '13812345', output: '9812345', matched: 0 },
    { name: 'L: 9 is not shorter than 9', rules: [['13L9', '9']], input: '138123456', output: '138123456', matched: -1 },
    { name: 'E: exactly 7', rules: [['010E7', '9']], input: '0101234', output: '91234', matched: 0 },
    { name: 'E: 8 is not 7', rules: [['010E7', '9']], input: '01012345', output: '01012345', matched: -1 },
    { name: 'G: longer than 7', rules: [['010G7', '9']], input: '01012345', output: '912345', matched: 0 },
    { name: 'G: 7 is not longer than 7', rules: [['010G7', '9']], input: '0101234', output: '0101234', matched: -1 },
    { name: 'two conditions make a window', rules: [['1G3L6', 'x']], input: '12345', output: 'x2345', matched: 0 },
    { name: 'window excludes 6', rules: [['1G3L6', 'x']], input: '123456', output: '123456', matched: -1 },
    { name: 'trailing * before a condition', rules: [['025*E11', '']], input: '02584316146', output: '84316146', matched: 0 },
    { name: '\\L is a literal L', rules: [['\\L9', 'x']], input: 'L91', output: 'x1', matched: 0 },
    { name: '\\E is a literal E', rules: [['1\\E2', 'x']], input: '1E23', output: 'x3', matched: 0 },
    { name: '\\G is a literal G', rules: [['\\G', '']], input: 'G7', output: '7', matched: 0 },
    { name: '\\L does not act as a condition', rules: [['\\L9', 'x']], input: '12', output: '12', matched: -1 },
    { name: 'condition beats the same prefix without one', rules: [['010', 'a'], ['010E7', 'b']], input: '0101234', output: 'b1234', matched: 1 },
    { name: 'longer prefix beats a condition', rules: [['E8', 'a'], ['0', 'b']], input: '01234567', output: 'b1234567', matched: 1 },
    { name: 'condition alone beats *', rules: [['*', '86*'], ['E3', '']], input: '110', output: '110', matched: 1 },
  ]);
});

describe('? in originals, $, escapes and non-digit characters', () => {
  both([
    { name: '? does not match +', rules: [['?1', 'x']], input: '+1', output: '+1', matched: -1 },
    { name: '? ties broken by order', rules: [['0?', 'a'], ['01', 'b']], input: '012', output: 'a2', matched: 0 },
    { name: 'exact after ? in order', rules: [['01', 'b'], ['0?', 'a']], input: '012', output: 'b2', matched: 0 },
    { name: '$$$ with a *', rules: [['*', '$$$*']], input: '12345', output: '12312345', matched: 0 },
    { name: '$ past the end of the number is empty', rules: [['1', '$$$$']], input: '12', output: '122', matched: 0 },
    { name: '$ and a rest marker', rules: [['99', '$$0*']], input: '991234', output: '9901234', matched: 0 },
    { name: '* in the middle of the target', rules: [['00', '+*#']], input: '0044123', output: '+44123#', matched: 0 },
    { name: 'escaped * ? $ in target are literal', rules: [['1', '\\*\\?\\$']], input: '12', output: '*?$2', matched: 0 },
    { name: 'escaped - is literal, not a range', rules: [['1', '8\\-9']], input: '12', output: '8-92', matched: 0 },
    { name: 'escaped ; is literal', rules: [['1', 'a\\;b']], input: '12', output: 'a;b2', matched: 0 },
    { name: 'escaped * in the original matches a literal *', rules: [['\\*67', '']], input: '*6712345', output: '12345', matched: 0 },
    { name: '# and letters are literal characters', rules: [['#9A', 'z']], input: '#9A1', output: 'z1', matched: 0 },
    { name: 'empty number, * rule', rules: [['*', '1*']], input: '', output: '1', matched: 0 },
    { name: 'empty number, no rule', rules: [['0', '1']], input: '', output: '', matched: -1 },
    { name: 'L1 matches only the empty number', rules: [['L1', 'empty']], input: '', output: 'empty', matched: 0 },
    { name: 'no rules', rules: [], input: '12345', output: '12345', matched: -1 },
  ]);
});

describe('; alternatives', () => {
  const rules: Array<[string, string]> = [['*', '12345678;8008100-8008121;12345?78']];
  both([
    { name: 'first alternative', rules, input: '02584316146', output: '12345678', matched: 0, draws: [0] },
    { name: 'range alternative', rules, input: '02584316146', output: '8008111', matched: 0, draws: [0.4, 0.5] },
    { name: '? alternative', rules, input: '02584316146', output: '12345378', matched: 0, draws: [0.9, 0.3] },
    { name: 'alternative with * keeps the rest', rules: [['00', '1*;2*']], input: '0099', output: '299', matched: 0, draws: [0.7] },
    { name: 'alternatives without * replace the whole number', rules: [['00', 'a;b']], input: '0099', output: 'b', matched: 0, draws: [0.7] },
  ]);

  test('membership over many draws: every alternative, every range value, every digit', () => {
    const plan = DialPlan.compile(toRules(rules), { random: seeded(7) });
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const { output, matched } = plan.transform('02584316146');
      assert.equal(matched, 0);
      const inRange = /^\d{7}$/.test(output) && +output >= 8008100 && +output <= 8008121;
      assert.ok(output === '12345678' || inRange || /^12345\d78$/.test(output), output);
      seen.add(output);
    }
    for (let v = 8008100; v <= 8008121; v++) assert.ok(seen.has(String(v)), `range value ${v} never drawn`);
    for (let d = 0; d <= 9; d++) assert.ok(seen.has(`12345${d}78`), `digit ${d} never drawn`);
    assert.ok(seen.has('12345678'));
  });

  test('range and ? rows by membership with Math.random', () => {
    const range = DialPlan.compile([{ from: '025*', to: '8008100-8008121' }]);
    const digit = DialPlan.compile([{ from: '*', to: '12345?78' }]);
    for (let i = 0; i < 500; i++) {
      const r = +range.transform('02584316146').output;
      assert.ok(r >= 8008100 && r <= 8008121, String(r));
      assert.match(digit.transform('02584316146').output, /^12345\d78$/);
    }
  });

  test('zero-padded range keeps its width', () => {
    const plan = DialPlan.compile([{ from: '*', to: '0001-0120' }], { random: sequence(0) });
    assert.equal(plan.transform('5').output, '0001');
  });

  test('a broken random source is clamped, not trusted', () => {
    for (const r of [1, 5, -1, Number.NaN]) {
      const out = DialPlan.compile([{ from: '*', to: 'a;b;c' }], { random: () => r }).transform('1').output;
      assert.ok(['a', 'c'].includes(out), `${r} -> ${out}`);
    }
  });
});
