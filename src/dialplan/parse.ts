/**
 * Dial-plan rule syntax (VOS3000 manual 4.3.1, our reading in docs/dialplan.md) -> plain data.
 * A rule set is parsed once; everything downstream (the reference engine, the WASM image, the
 * validator, `explain`) works from these descriptions, never from the text.
 */
import { createError, type SswError } from '../util/errors.js';

export interface DialRule {
  readonly from: string;
  readonly to: string;
}

/** `?` in an original: any digit 0-9. Every other prefix element is a character code. */
export const WILD = -1;
/** Upper length bound meaning "no bound" (fits the u16 of the WASM image). */
export const NO_MAX = 0xffff;

/** Limits that keep the WASM output region bounded (see assembly/dialplan). */
export const MAX_PREFIX = 128;
export const MAX_ALT_SYMBOLS = 128;
export const MAX_ALTS = 64;
export const MAX_RANGE_DIGITS = 15;
export const MAX_COUNT = 999;
export const MAX_CONDS = 8;

export type TargetOp =
  | { readonly k: 'lit'; readonly s: string }
  | { readonly k: 'rand' }
  | { readonly k: 'dollar'; readonly pos: number }
  | { readonly k: 'rest' };

export type TargetAlt =
  | { readonly kind: 'ops'; readonly ops: readonly TargetOp[]; readonly draws: number; readonly hasRest: boolean }
  | { readonly kind: 'range'; readonly lo: number; readonly hi: number; readonly width: number; readonly draws: 1 };

export interface ParsedRule {
  readonly index: number;
  readonly rule: DialRule;
  /** `*` and nothing else: the default rule, lowest priority, matches the whole number. */
  readonly starAlone: boolean;
  /** Fixed prefix: char codes, WILD for `?`. */
  readonly prefix: readonly number[];
  /** Allowed number length, inclusive; the intersection of every L/E/G condition. */
  readonly minLen: number;
  readonly maxLen: number;
  readonly condCount: number;
  readonly alts: readonly TargetAlt[];
  /** Single non-range alternative without `*`: the rest of the number follows the target. */
  readonly appendRest: boolean;
  /** Needs draws from the random source (several alternatives, `?` or a range). */
  readonly random: boolean;
}

export const SSW_ERR_DIALPLAN_SYNTAX = 'SSW_ERR_DIALPLAN_SYNTAX';
const syntaxError = createError(SSW_ERR_DIALPLAN_SYNTAX, 400);

export interface SyntaxProblem {
  readonly index: number;
  readonly rule: DialRule;
  readonly field: 'from' | 'to';
  readonly position: number;
  readonly expected: string;
}

/** One line naming the rule, the field, the position and what was expected. */
export function describeProblem(p: SyntaxProblem): string {
  return `dial-plan rule ${p.index} (${JSON.stringify(p.rule.from)} -> ${JSON.stringify(p.rule.to)}): ` +
    `${p.field === 'from' ? 'original' : 'target'} position ${p.position}: expected ${p.expected}`;
}

/** The SSW_ERR_DIALPLAN_SYNTAX error for a problem, with the problem as its details. */
export function problemError(p: SyntaxProblem): SswError {
  return syntaxError(describeProblem(p), { ...p, rule: { from: p.rule.from, to: p.rule.to } });
}

class Fail {
  constructor(readonly field: 'from' | 'to', readonly position: number, readonly expected: string) {}
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const printable = (c: number): boolean => c > 0x20 && c < 0x7f;

function parseOriginal(s: string): Pick<ParsedRule, 'starAlone' | 'prefix' | 'minLen' | 'maxLen' | 'condCount'> {
  if (s === '*') return { starAlone: true, prefix: [], minLen: 0, maxLen: NO_MAX, condCount: 0 };
  const prefix: number[] = [];
  let minLen = 0;
  let maxLen = NO_MAX;
  let condCount = 0;
  let i = 0;
  let star = false;
  if (s.length === 0) throw new Fail('from', 0, 'a prefix, `*` or a length escape (L, E, G)');
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 76 /* L */ || c === 69 /* E */ || c === 71 /* G */) {
      let j = i + 1;
      while (j < s.length && isDigit(s.charCodeAt(j))) j++;
      if (j === i + 1) throw new Fail('from', i + 1, `a count after ${s[i]} (write \\${s[i]} for a literal ${s[i]})`);
      if (condCount >= MAX_CONDS) throw new Fail('from', i, `at most ${MAX_CONDS} length escapes`);
      if (j - i - 1 > 3) throw new Fail('from', i + 1, `a count of at most ${MAX_COUNT}`);
      const n = Number(s.slice(i + 1, j));
      if (c === 76) maxLen = Math.min(maxLen, n - 1);
      else if (c === 69) { minLen = Math.max(minLen, n); maxLen = Math.min(maxLen, n); }
      else minLen = Math.max(minLen, n + 1);
      condCount++;
      i = j;
      continue;
    }
    if (condCount > 0) throw new Fail('from', i, 'another length escape (L, E, G) or the end of the original');
    if (star) throw new Fail('from', i, 'a length escape (L, E, G) or the end of the original after `*`');
    if (c === 42 /* * */) { star = true; i++; continue; }
    if (prefix.length >= MAX_PREFIX) throw new Fail('from', i, `at most ${MAX_PREFIX} prefix characters`);
    if (c === 63 /* ? */) { prefix.push(WILD); i++; continue; }
    if (c === 92 /* \ */) {
      if (i + 1 >= s.length || !printable(s.charCodeAt(i + 1))) throw new Fail('from', i + 1, 'a character after `\\`');
      prefix.push(s.charCodeAt(i + 1));
      i += 2;
      continue;
    }
    if (c === 36 /* $ */ || c === 59 /* ; */) throw new Fail('from', i, `a digit, \`?\`, \`*\` or a length escape (\`${s[i]}\` is for targets; write \\${s[i]} for a literal)`);
    if (!printable(c)) throw new Fail('from', i, 'a printable ASCII character');
    prefix.push(c);
    i++;
  }
  return { starAlone: false, prefix, minLen, maxLen, condCount };
}

function parseAlt(s: string, start: number, end: number): TargetAlt {
  // A whole alternative of the form digits-digits is a range.
  let dash = -1;
  for (let i = start; i < end && dash < 0; i++) if (s.charCodeAt(i) === 45 /* - */ && !escaped(s, i)) dash = i;
  if (dash >= 0) {
    const lo = s.slice(start, dash);
    const hi = s.slice(dash + 1, end);
    for (let i = start; i < end; i++) {
      if (i !== dash && !isDigit(s.charCodeAt(i))) throw new Fail('to', i, 'a digit in a range like 8008100-8008121 (write \\- for a literal -)');
    }
    if (lo.length === 0) throw new Fail('to', start, 'the low end of the range before `-`');
    if (hi.length === 0) throw new Fail('to', dash + 1, 'the high end of the range after `-`');
    if (lo.length !== hi.length) throw new Fail('to', dash + 1, `a high end with as many digits as the low end (${lo.length})`);
    if (lo.length > MAX_RANGE_DIGITS) throw new Fail('to', start, `a range of at most ${MAX_RANGE_DIGITS} digits`);
    if (Number(hi) < Number(lo)) throw new Fail('to', dash + 1, `a high end not below the low end ${lo}`);
    return { kind: 'range', lo: Number(lo), hi: Number(hi), width: lo.length, draws: 1 };
  }
  const ops: TargetOp[] = [];
  let lit = '';
  let symbols = 0;
  let draws = 0;
  let hasRest = false;
  const flush = (): void => { if (lit) { ops.push({ k: 'lit', s: lit }); lit = ''; } };
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 42 /* * */) {
      if (hasRest) throw new Fail('to', i, 'at most one `*` in an alternative (write \\* for a literal *)');
      flush(); ops.push({ k: 'rest' }); hasRest = true;
      continue;
    }
    if (symbols >= MAX_ALT_SYMBOLS) throw new Fail('to', i, `at most ${MAX_ALT_SYMBOLS} symbols in an alternative`);
    if (c === 63 /* ? */) { flush(); ops.push({ k: 'rand' }); draws++; symbols++; continue; }
    if (c === 36 /* $ */) { flush(); ops.push({ k: 'dollar', pos: symbols }); symbols++; continue; }
    if (c === 92 /* \ */) {
      if (i + 1 >= end || !printable(s.charCodeAt(i + 1))) throw new Fail('to', i + 1, 'a character after `\\`');
      lit += s[i + 1]; symbols++; i++;
      continue;
    }
    if (!printable(c)) throw new Fail('to', i, 'a printable ASCII character');
    lit += s[i]; symbols++;
  }
  flush();
  return { kind: 'ops', ops, draws, hasRest };
}

function parseTarget(s: string): TargetAlt[] {
  const alts: TargetAlt[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || (s.charCodeAt(i) === 59 /* ; */ && !escaped(s, i))) {
      if (alts.length >= MAX_ALTS) throw new Fail('to', start, `at most ${MAX_ALTS} alternatives`);
      // An empty alternative is only meaningful as the whole target ("delete"/"strip").
      if (i === start && s.length > 0) throw new Fail('to', i, 'an alternative between `;` separators');
      alts.push(parseAlt(s, start, i));
      start = i + 1;
    }
  }
  return alts;
}

/** True when the character at i is preceded by an odd run of backslashes. */
function escaped(s: string, i: number): boolean {
  let n = 0;
  while (i - 1 - n >= 0 && s.charCodeAt(i - 1 - n) === 92) n++;
  return (n & 1) === 1;
}

/** Parses one rule, or returns the first syntax problem in it. */
export function tryParseRule(rule: DialRule, index: number): ParsedRule | SyntaxProblem {
  try {
    if (typeof rule?.from !== 'string' || typeof rule?.to !== 'string') {
      return { index, rule: { from: String(rule?.from), to: String(rule?.to) }, field: typeof rule?.from !== 'string' ? 'from' : 'to', position: 0, expected: 'a string' };
    }
    const o = parseOriginal(rule.from);
    const alts = parseTarget(rule.to);
    const single = alts.length === 1 ? alts[0]! : undefined;
    const appendRest = !o.starAlone && single !== undefined && single.kind === 'ops' && !single.hasRest;
    const random = alts.length > 1 || alts.some((a) => a.draws > 0);
    return { index, rule: { from: rule.from, to: rule.to }, ...o, alts, appendRest, random };
  } catch (e) {
    if (e instanceof Fail) return { index, rule, field: e.field, position: e.position, expected: e.expected };
    throw e;
  }
}

/** Tells a tryParseRule failure from a parsed rule. */
export function isProblem(x: ParsedRule | SyntaxProblem): x is SyntaxProblem {
  return (x as SyntaxProblem).expected !== undefined;
}

/** Parses a rule set; throws SSW_ERR_DIALPLAN_SYNTAX naming the first bad rule, position and expectation. */
export function parseRules(rules: readonly DialRule[]): ParsedRule[] {
  const out: ParsedRule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = tryParseRule(rules[i]!, i);
    if (isProblem(r)) throw problemError(r);
    out.push(r);
  }
  return out;
}

/** Reads "original -> target" (or "original:target"), e.g. for the CLI; spaces around the separator are ignored. */
export function parseRuleText(text: string): DialRule {
  const arrow = text.indexOf('->');
  const at = arrow >= 0 ? arrow : text.indexOf(':');
  if (at < 0) {
    throw syntaxError(`dial-plan rule ${JSON.stringify(text)}: expected "original -> target" or "original:target"`, { rule: text, position: text.length, expected: '`->` or `:`' });
  }
  return { from: text.slice(0, at).trim(), to: text.slice(at + (arrow >= 0 ? 2 : 1)).trim() };
}

/** Reads one rule per non-blank line (see parseRuleText). */
export function parseRulesText(text: string): DialRule[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map(parseRuleText);
}

/** Priority order: true when rule a beats rule b for a number both match. */
export function beats(a: ParsedRule, b: ParsedRule): boolean {
  if (a.starAlone !== b.starAlone) return b.starAlone;
  if (a.prefix.length !== b.prefix.length) return a.prefix.length > b.prefix.length;
  if (a.condCount !== b.condCount) return a.condCount > b.condCount;
  return a.index < b.index;
}
