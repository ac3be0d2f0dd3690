import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DialPlan, parseRuleText, parseRulesText, validateRules, SSW_ERR_DIALPLAN_SYNTAX, type DialRule } from '../../src/dialplan/index.js';
import { SswError } from '../../src/util/errors.js';

function syntaxErrorOf(rules: DialRule[]): SswError {
  try {
    DialPlan.compile(rules);
  } catch (e) {
    assert.ok(e instanceof SswError);
    return e;
  }
  assert.fail('compile accepted a bad rule set');
}

describe('syntax errors name the rule, the position and what was expected', () => {
  const cases: Array<{ from: string; to: string; field: 'from' | 'to'; position: number; expected: RegExp }> = [
    { from: '', to: '1', field: 'from', position: 0, expected: /prefix, `\*` or a length escape/ },
    { from: '13L', to: '1', field: 'from', position: 3, expected: /count after L/ },
    { from: '13E', to: '1', field: 'from', position: 3, expected: /count after E.*\\E/ },
    { from: '0*1', to: '1', field: 'from', position: 2, expected: /after `\*`/ },
    { from: '0L5x', to: '1', field: 'from', position: 3, expected: /another length escape/ },
    { from: '01$', to: '1', field: 'from', position: 2, expected: /for targets/ },
    { from: '01\\', to: '1', field: 'from', position: 3, expected: /character after/ },
    { from: '0 1', to: '1', field: 'from', position: 1, expected: /printable ASCII/ },
    { from: 'E1234', to: '1', field: 'from', position: 1, expected: /at most 999/ },
    { from: '0', to: '1-', field: 'to', position: 2, expected: /high end/ },
    { from: '0', to: '-1', field: 'to', position: 0, expected: /low end/ },
    { from: '0', to: '12-123', field: 'to', position: 3, expected: /as many digits/ },
    { from: '0', to: '21-12', field: 'to', position: 3, expected: /not below the low end/ },
    { from: '0', to: '1a-12', field: 'to', position: 1, expected: /digit in a range/ },
    { from: '0', to: 'a;;b', field: 'to', position: 2, expected: /alternative between/ },
    { from: '0', to: 'a;', field: 'to', position: 2, expected: /alternative between/ },
    { from: '0', to: '1**', field: 'to', position: 2, expected: /at most one `\*`/ },
    { from: '0', to: '1234567890123456-1234567890123457', field: 'to', position: 0, expected: /at most 15 digits/ },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`, () => {
      const e = syntaxErrorOf([{ from: '0', to: '0' }, { from: '1', to: '1' }, { from: c.from, to: c.to }]);
      assert.equal(e.code, SSW_ERR_DIALPLAN_SYNTAX);
      assert.equal(e.status, 400);
      assert.equal(e.details?.index, 2);
      assert.equal(e.details?.field, c.field);
      assert.equal(e.details?.position, c.position);
      assert.match(String(e.details?.expected), c.expected);
      assert.match(e.message, /^dial-plan rule 2 /);
      assert.ok(e.message.includes(JSON.stringify(c.from)) && e.message.includes(JSON.stringify(c.to)), e.message);
      assert.ok(e.message.includes(`position ${c.position}`), e.message);
    });
  }

  test('non-string fields are a syntax error, not a crash', () => {
    const e = syntaxErrorOf([{ from: 5 as unknown as string, to: '1' }]);
    assert.equal(e.details?.index, 0);
  });

  test('long prefixes and targets are refused at the limit', () => {
    assert.equal(syntaxErrorOf([{ from: '1'.repeat(129), to: '' }]).details?.position, 128);
    assert.equal(syntaxErrorOf([{ from: '1', to: '2'.repeat(129) }]).details?.position, 128);
    DialPlan.compile([{ from: '1'.repeat(128), to: '2'.repeat(128) }]);
  });
});

describe('rule text', () => {
  test('accepts -> and : separators and trims around them', () => {
    assert.deepEqual(parseRuleText('0134 -> $$$'), { from: '0134', to: '$$$' });
    assert.deepEqual(parseRuleText('025:010'), { from: '025', to: '010' });
    assert.deepEqual(parseRuleText('00 ->'), { from: '00', to: '' });
    assert.deepEqual(parseRulesText('* -> 86*\n\n+ : 00\n'), [{ from: '*', to: '86*' }, { from: '+', to: '00' }]);
  });

  test('refuses text without a separator', () => {
    assert.throws(() => parseRuleText('0134'), { code: SSW_ERR_DIALPLAN_SYNTAX });
  });
});

describe('validator', () => {
  const v = (pairs: Array<[string, string]>) => validateRules(pairs.map(([from, to]) => ({ from, to })));
  const idx = (xs: Array<{ index: number }>) => xs.map((x) => x.index);

  test('a clean rule set has no findings', () => {
    assert.deepEqual(v([['*', '86*'], ['00', ''], ['+', '00'], ['E8', '025*'], ['025', '010'], ['01', 'y'], ['0?', 'x']]), { errors: [], warnings: [] });
  });

  test('syntax errors are reported per rule, the rest still checked', () => {
    const r = v([['0', '1'], ['13L', ''], ['0', '2']]);
    assert.deepEqual(idx(r.errors), [1]);
    assert.match(r.errors[0]!.message, /position 3: expected a count after L/);
    assert.deepEqual(idx(r.warnings), [2]);
  });

  test('the same original twice: the second never matches', () => {
    const r = v([['025', '010'], ['025*', '020']]);
    assert.deepEqual(idx(r.warnings), [1]);
    assert.match(r.warnings[0]!.message, /shadowed completely: rule\(s\) 0/);
  });

  test('an earlier ? rule shadows a later exact one of the same length', () => {
    assert.deepEqual(idx(v([['0?', 'a'], ['01', 'b']]).warnings), [1]);
  });

  test('unreachable length conditions', () => {
    const r = v([['0134L3', 'x'], ['E3G5', 'y'], ['L0', 'z'], ['1E1', 'ok']]);
    assert.deepEqual(idx(r.warnings), [0, 1, 2]);
    assert.match(r.warnings[0]!.message, /can never match/);
  });

  test('several conditioned rules together shadow the bare prefix', () => {
    assert.deepEqual(idx(v([['0E5', 'a'], ['0L5', 'b'], ['0G5', 'c'], ['0', 'd']]).warnings), [3]);
    assert.deepEqual(idx(v([['0E5', 'a'], ['0G5', 'c'], ['0', 'd']]).warnings), []);
  });

  test('root length rules can leave the default rule nothing', () => {
    assert.deepEqual(idx(v([['L5', 'a'], ['G4', 'b'], ['*', 'c']]).warnings), [2]);
    assert.deepEqual(idx(v([['*', 'a'], ['*', 'b']]).warnings), [1]);
    assert.deepEqual(idx(v([['L5', 'a'], ['*', 'c']]).warnings), []);
  });

  test('a ? covers digits only', () => {
    assert.deepEqual(idx(v([['?1', 'a'], ['+1', 'b'], ['21', 'c']]).warnings), [2]);
    assert.deepEqual(idx(v([['0?', 'a'], ['?1', 'b'], ['01', 'c'], ['??', 'd'], ['1?', 'e']]).warnings), [2, 4]);
    assert.deepEqual(idx(v([['0?', 'a'], ['??', 'b']]).warnings), []);
  });

  test('validates 100,000 rules with ? groups without a quadratic blow-up', () => {
    const rules = Array.from({ length: 100_000 }, (_, i) => ({ from: String(1_000_000 + i * 7).slice(0, 6) + (i % 20 === 0 ? '?' : String(i % 10)), to: '' }));
    const t0 = performance.now();
    const r = validateRules(rules);
    assert.ok(performance.now() - t0 < 10_000); // ~1 s here; a pairwise scan would be 5,000 x 100,000 checks
    assert.equal(r.errors.length, 0);
    assert.ok(r.warnings.length > 0);
  });

  test('a ? does not cover positions left open (numbers may hold + or #)', () => {
    assert.deepEqual(idx(v([['01?', 'a'], ['01E3', 'b']]).warnings), []);
  });

  test('a later, more specific rule is not shadowed', () => {
    assert.deepEqual(idx(v([['0', 'a'], ['01', 'b'], ['01E5', 'c']]).warnings), []);
  });
});
