/**
 * The rule-set validator behind the admin API and CLI: syntax errors, and warnings for rules
 * that can never win (an empty length condition, or rules of higher priority that together
 * take every number the rule would match).
 */
import { WILD, beats, describeProblem, isProblem, tryParseRule, type DialRule, type ParsedRule } from './parse.js';

export interface RuleIssue {
  readonly index: number;
  readonly message: string;
}

export interface ValidationReport {
  readonly errors: RuleIssue[];
  readonly warnings: RuleIssue[];
}

const label = (p: ParsedRule): string => `rule ${p.index} (${JSON.stringify(p.rule.from)} -> ${JSON.stringify(p.rule.to)})`;

/** Lowest number length the rule can match, and the highest. */
function span(p: ParsedRule): [number, number] {
  return [Math.max(p.minLen, p.prefix.length), p.maxLen];
}

/** True when every number that fits prefix b also fits prefix a (same length, a no stricter anywhere). */
function prefixCovers(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== WILD && a[i] !== b[i]) return false;
  return true;
}

/** True when the union of the intervals holds every integer of [lo, hi]. */
function covered(lo: number, hi: number, ivs: Array<[number, number]>): boolean {
  ivs.sort((x, y) => x[0] - y[0]);
  let cur = lo;
  for (const [a, b] of ivs) {
    if (a > cur) break;
    if (b + 1 > cur) cur = b + 1;
    if (cur > hi) return true;
  }
  return cur > hi;
}

/**
 * Checks a rule set. Errors: syntax (the rule set will not compile). Warnings: a rule that can
 * never match, or that higher-priority rules shadow completely. Numbers may hold any character,
 * so a `?` (digits only) never covers a position the shadowed rule leaves open.
 */
export function validateRules(rules: readonly DialRule[]): ValidationReport {
  const errors: RuleIssue[] = [];
  const warnings: RuleIssue[] = [];
  const parsed: ParsedRule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = tryParseRule(rules[i]!, i);
    if (isProblem(r)) errors.push({ index: i, message: describeProblem(r) });
    else parsed.push(r);
  }

  // Only rules with the same prefix length can shadow each other completely: a longer prefix
  // leaves out numbers that differ in its extra characters, a shorter one loses on priority.
  const exact = new Map<string, ParsedRule[]>();
  const wild = new Map<number, ParsedRule[]>();
  const stars: ParsedRule[] = [];
  for (const p of parsed) {
    if (p.starAlone) { stars.push(p); continue; }
    if (p.prefix.includes(WILD)) {
      const l = wild.get(p.prefix.length);
      if (l) l.push(p); else wild.set(p.prefix.length, [p]);
    } else {
      const k = `${p.prefix.length}:${String.fromCharCode(...p.prefix)}`;
      const l = exact.get(k);
      if (l) l.push(p); else exact.set(k, [p]);
    }
  }

  for (const p of parsed) {
    const [lo, hi] = span(p);
    if (hi < lo) {
      warnings.push({ index: p.index, message: `${label(p)} can never match: no number length satisfies its prefix and length conditions` });
      continue;
    }
    let rivals: ParsedRule[];
    if (p.starAlone) {
      // the default rule loses to any root rule (prefix length 0, with a length condition) and to an earlier `*`
      rivals = [...(exact.get('0:') ?? []), ...stars.filter((s) => s.index < p.index)];
    } else {
      rivals = [...(wild.get(p.prefix.length) ?? [])];
      if (!p.prefix.includes(WILD)) rivals.push(...(exact.get(`${p.prefix.length}:${String.fromCharCode(...p.prefix)}`) ?? []));
    }
    const winners = rivals.filter((a) => a !== p && beats(a, p) && (p.starAlone || prefixCovers(a.prefix, p.prefix)));
    const ivs = winners.map(span).filter(([a, b]) => a <= b);
    if (winners.length && covered(lo, hi, ivs)) {
      const by = winners.map((w) => w.index).join(', ');
      warnings.push({ index: p.index, message: `${label(p)} is shadowed completely: rule(s) ${by} win for every number it matches` });
    }
  }
  return { errors, warnings };
}
